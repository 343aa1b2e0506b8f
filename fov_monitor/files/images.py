"""Read image files safely: a clear error for a missing, truncated or huge file, never a crash."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from fov_monitor.errors import ImageFileError

MAX_IMAGE_PIXELS = 64_000_000
"""Largest image (width x height) decoded at full size; larger JPEGs are decoded reduced, others
refused, so that no file can exhaust memory."""

_REDUCED_FLAGS = (
    (2, cv2.IMREAD_REDUCED_COLOR_2),
    (4, cv2.IMREAD_REDUCED_COLOR_4),
    (8, cv2.IMREAD_REDUCED_COLOR_8),
)


def read_image(path: str | Path, max_pixels: int = MAX_IMAGE_PIXELS) -> NDArray[np.uint8]:
    """Read an image file as an (H, W, 3) uint8 BGR array.

    Parameters
    ----------
    path : str or Path
        A JPEG, PNG, PPM, BMP, TIFF or WebP file.
    max_pixels : int
        Largest width x height decoded at full size; see :func:`decode_image_bytes`.

    Returns
    -------
    (H, W, 3) uint8 array

    Raises
    ------
    ImageFileError
        When the file is missing, unreadable, not an image, truncated or too large.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageFileError(f"image file {path} does not exist; check the path")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageFileError(f"image file {path} cannot be read ({exc}); check the file") from None
    return decode_image_bytes(data, f"image file {path}", max_pixels)


def image_size_wh(data: bytes, name: str) -> tuple[int, int]:
    """Return an encoded image's ``(width, height)`` from its header, without decoding its pixels.

    Raises
    ------
    ImageFileError
        When the bytes are not an image.
    """
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError):
        raise ImageFileError(f"{name} is not an image; give a JPEG, PNG or PPM file") from None
    return int(width), int(height)


def decode_image_bytes(data: bytes, name: str, max_pixels: int = MAX_IMAGE_PIXELS) -> NDArray[np.uint8]:
    """Decode an encoded image (JPEG, PNG, PPM, BMP, TIFF or WebP) as an (H, W, 3) uint8 BGR array.

    Parameters
    ----------
    data : bytes
        The encoded image, as read from a file or received from a camera.
    name : str
        What the bytes are, as errors should name it: ``"image file a.jpg"``, ``"snapshot from
        http://cam-07/snapshot.jpg"`` (never with a password in it).
    max_pixels : int
        Largest width x height decoded at full size. A larger JPEG is decoded at 1/2, 1/4 or 1/8 of
        its size (cheaply, inside the decoder); any other larger image is refused.

    Returns
    -------
    image : (H, W, 3) uint8 array
        BGR, at full size or (a huge JPEG) reduced.

    Raises
    ------
    ImageFileError
        When the bytes are not an image, are truncated, corrupt or over ``max_pixels``.
    """
    try:
        with Image.open(io.BytesIO(data)) as header:
            width, height = header.size
            image_format = header.format
    except Image.DecompressionBombError:
        raise ImageFileError(
            f"{name} is over the limit of {max_pixels / 1e6:.0f} MP; give a smaller image"
        ) from None
    except UnidentifiedImageError:
        raise ImageFileError(f"{name} is not an image; give a JPEG, PNG or PPM file") from None
    except OSError as exc:
        raise ImageFileError(f"{name} cannot be read ({exc}); check the file") from None
    flags = cv2.IMREAD_COLOR
    if width * height > max_pixels:
        reduction = next(
            (flags for factor, flags in _REDUCED_FLAGS if width * height / factor**2 <= max_pixels), None
        )
        if image_format != "JPEG" or reduction is None:
            raise ImageFileError(
                f"{name} is {width}x{height} px, over the limit of {max_pixels / 1e6:.0f} MP; "
                "give a smaller image"
            )
        flags = reduction
    array = np.frombuffer(data, dtype=np.uint8)
    if _is_truncated(array, image_format):
        raise ImageFileError(f"{name} is truncated; copy it again")
    image = cv2.imdecode(array, flags) if array.size else None
    if image is None:
        raise ImageFileError(f"{name} could not be decoded (corrupt or unsupported); check the file")
    return image  # type: ignore[no-any-return]


def _is_truncated(data: NDArray[np.uint8], image_format: str | None) -> bool:
    """Tell whether an encoded file ends before its format's end marker."""
    # Cameras and snapshot endpoints pad complete images with zeros or blanks; skip that padding.
    tail = data[-4096:].tobytes().rstrip(b"\x00 \r\n\t")[-64:]
    if image_format == "JPEG":
        return b"\xff\xd9" not in tail
    if image_format == "PNG":
        return b"IEND" not in tail
    return False
