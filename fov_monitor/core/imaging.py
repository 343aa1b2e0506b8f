"""Turn any accepted image array into the 8-bit gray working image the core measures on.

The core works on a downscaled gray image (by default 640 px wide): features, tracking and quality
figures are all computed there, and coordinates are scaled back to full resolution at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.errors import InvalidImageError

GrayImage = NDArray[np.uint8]

MIN_SIDE_PX = 48
"""The smallest side an image may have: below it too few corners remain to tell a move from noise."""

MAX_ASPECT = 8.0
"""The longest side may be at most this many times the shortest (a 32:9 panorama is 3.6)."""

SHRINK_BEFORE_GRAY_PIXELS = 16_000_000
"""Colour images larger than this are shrunk before they are made gray, so no full-size copy is made.
Smaller ones are made gray first, which is faster."""


@dataclass(frozen=True, slots=True)
class WorkingImage:
    """A frame reduced to the working size.

    Attributes
    ----------
    gray : (h, w) uint8 array
        The gray image at the working size.
    size_wh : tuple of int
        ``(width, height)`` of the original image in pixels.
    scale : float
        Working pixels per original pixel (``<= 1``).
    chroma : float or None
        Mean colourfulness of the lit part (see :func:`chroma_of`); None for a gray image.
    """

    gray: GrayImage
    size_wh: tuple[int, int]
    scale: float
    chroma: float | None = None


def describe_array(image: object) -> str:
    """Return a short description of an image-like object for error messages."""
    if isinstance(image, np.ndarray):
        return f"array of shape {image.shape} and dtype {image.dtype}"
    return f"{type(image).__name__}"


def to_uint8(image: NDArray[np.generic], what: str = "image") -> NDArray[np.uint8]:
    """Return ``image`` as uint8 without changing its channels.

    16-bit images are mapped from the range of the smallest sensor depth that holds their maximum
    (10, 12, 14 or 16 bits: a 12-bit camera's data in uint16 reads as 0..4095), float images from
    0..1 when their maximum is at most 1 and from 0..255 otherwise (clipped).

    Raises
    ------
    InvalidImageError
        When the dtype cannot be converted or a float image holds NaN or infinity.
    """
    if image.dtype == np.uint8:
        return image  # type: ignore[return-value]
    if image.dtype == np.uint16:
        top = int(image.max()) if image.size else 0
        full_scale = next((1 << bits) - 1 for bits in (10, 12, 14, 16) if top < 1 << bits)
        return ((image.astype(np.uint32) * 255 + full_scale // 2) // full_scale).astype(np.uint8)
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255  # type: ignore[no-any-return]
    if np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise InvalidImageError(
                f"{what} holds NaN or infinite values; pass a finite float image (0..1 or 0..255)"
            )
        peak = float(image.max()) if image.size else 0.0
        factor = 255.0 if peak <= 1.0 else 1.0
        return np.clip(image.astype(np.float64) * factor + 0.5, 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        return np.clip(image, 0, 255).astype(np.uint8)  # type: ignore[no-any-return]
    raise InvalidImageError(f"{what} has dtype {image.dtype}; pass uint8, uint16 or float pixels")


def validate_image(image: object, what: str = "image") -> NDArray[np.generic]:
    """Check that ``image`` is an image array and return it with a channel layout the core accepts.

    Accepted: ``(H, W)`` gray, ``(H, W, 1)``, ``(H, W, 3)`` BGR and ``(H, W, 4)`` BGRA, each side at
    least :data:`MIN_SIDE_PX`.

    Raises
    ------
    InvalidImageError
        With a one-line message naming what was passed and what is expected.
    """
    if not isinstance(image, np.ndarray):
        raise InvalidImageError(
            f"{what} must be a numpy image array (H x W gray or H x W x 3 BGR), got {describe_array(image)}"
        )
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise InvalidImageError(
            f"{what} must be H x W gray, H x W x 3 BGR or H x W x 4 BGRA, got {describe_array(image)}"
        )
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE_PX:
        raise InvalidImageError(
            f"{what} is {width}x{height} px; a frame needs at least {MIN_SIDE_PX} px on each side"
        )
    if max(height, width) > MAX_ASPECT * min(height, width):
        raise InvalidImageError(
            f"{what} is {width}x{height} px, a strip rather than a camera view; a frame may be at most "
            f"{MAX_ASPECT:g} times as wide as high or the other way round"
        )
    return image


def to_working_gray(image: object, working_width: int, what: str = "image") -> WorkingImage:
    """Reduce an image to a gray image at most ``working_width`` pixels wide.

    The image is shrunk before its colour is dropped when it is large, so that a huge frame never
    needs a full-size gray copy.

    Parameters
    ----------
    image : (H, W) or (H, W, 3|4) array
        Gray, BGR or BGRA pixels, uint8, uint16 or float.
    working_width : int
        Width of the working image; images narrower than this keep their size.
    what : str
        How to name the image in error messages.

    Returns
    -------
    WorkingImage
    """
    checked = validate_image(image, what)
    height, width = checked.shape[:2]
    scale = min(1.0, working_width / width)
    pixels = checked
    if pixels.dtype not in (np.uint8, np.uint16, np.float32):
        pixels = to_uint8(pixels, what)
    chroma = chroma_of(pixels, what) if pixels.ndim == 3 else None
    if pixels.ndim == 3 and height * width <= SHRINK_BEFORE_GRAY_PIXELS:
        pixels = _drop_colour(pixels)
    if scale < 1.0:
        target_wh = (max(1, round(width * scale)), max(1, round(height * scale)))
        pixels = cv2.resize(pixels, target_wh, interpolation=cv2.INTER_AREA)
    if pixels.ndim == 3:
        pixels = _drop_colour(pixels)
    gray = np.ascontiguousarray(to_uint8(pixels, what))
    return WorkingImage(
        gray=gray, size_wh=(int(width), int(height)), scale=gray.shape[1] / width, chroma=chroma
    )


CHROMA_WIDTH = 160
"""Colourfulness is measured on a thumbnail this wide: the lit part's hue, not its detail."""
CHROMA_LIT = 20
"""Pixels whose brightest channel is darker than this carry no colour worth measuring."""


def chroma_of(pixels: NDArray[np.generic], what: str = "image") -> float:
    """Return the mean colourfulness of the lit part of a colour image: brightest minus dimmest channel.

    Parameters
    ----------
    pixels : (H, W, 3|4) array
        BGR or BGRA, uint8, uint16 or float32.
    what : str
        How to name the image in error messages.

    Returns
    -------
    float
        Gray levels, 0..255: about 0 for an infrared or monochrome picture, 10 or more for a colour
        scene in daylight; 0 when nothing is lit.
    """
    height, width = pixels.shape[:2]
    if width > CHROMA_WIDTH:
        size_wh = (CHROMA_WIDTH, max(1, round(height * CHROMA_WIDTH / width)))
        pixels = cv2.resize(pixels, size_wh, interpolation=cv2.INTER_AREA)
    colour = to_uint8(pixels, what)
    blue, green, red = (colour[:, :, channel].astype(np.int16) for channel in range(3))
    # Channel by channel: numpy's reduction over a last axis of 3 is many times slower.
    brightest = np.maximum(np.maximum(blue, green), red)
    dimmest = np.minimum(np.minimum(blue, green), red)
    lit = brightest >= CHROMA_LIT
    return float((brightest - dimmest)[lit].mean()) if lit.any() else 0.0


def _drop_colour(pixels: NDArray[np.generic]) -> NDArray[np.generic]:
    code = cv2.COLOR_BGR2GRAY if pixels.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
    return cv2.cvtColor(pixels, code)  # type: ignore[no-any-return]
