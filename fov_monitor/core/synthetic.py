"""Known camera moves and viewing conditions made from real frames, with their ground truth.

Real footage of re-aimed cameras at night is rare; these functions make it from real frames so that
the truth is known exactly: a crop window moved by ``d`` pixels is a pan or tilt of ``d`` pixels, and
gamma, noise, contrast and JPEG loss stand in for night/IR, dusk and poor links; blur, pasted covers,
a bloom, a black frame and a re-sent picture stand in for tampering (defocus, covered, blinded,
black, frozen), each with its true amount. They are used by the
tests, the benchmarks and the enrolment self-test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.errors import InvalidSettingsError

Image = NDArray[np.uint8]


class Condition(enum.StrEnum):
    """A viewing condition applied to a clean frame."""

    CLEAN = "clean"
    """The frame as it is."""
    NIGHT = "night"
    """Gray, dark (gamma 1.8, a third of the light) with sensor noise (sigma 6 gray levels): IR at night."""
    DUSK = "dusk"
    """Dark and low in contrast (40 % of the range, mean near 45)."""
    JPEG25 = "jpeg25"
    """JPEG compressed at quality 25."""


@dataclass(frozen=True, slots=True)
class KnownMove:
    """A reference view and a live view of the same camera after a move whose homography is known.

    Attributes
    ----------
    reference, live : (h, w[, 3]) uint8 arrays
        The two views, of the same size.
    H_live_to_ref : (3, 3) float64 array
        The true homography from live to reference pixels.
    """

    reference: Image
    live: Image
    H_live_to_ref: NDArray[np.float64]

    @property
    def shift_fraction(self) -> tuple[float, float]:
        """Return the translation of the move as a share of the view's width and height.

        For a crop move (a pure pan or tilt) this is the whole move.
        """
        height, width = self.live.shape[:2]
        return float(self.H_live_to_ref[0, 2] / width), float(self.H_live_to_ref[1, 2] / height)


def _centre_window(frame: Image, window_fraction: float) -> tuple[int, int, int, int]:
    """Return ``(x0, y0, width, height)`` of the centred window covering ``window_fraction``."""
    height, width = frame.shape[:2]
    win_w, win_h = round(width * window_fraction), round(height * window_fraction)
    return (width - win_w) // 2, (height - win_h) // 2, win_w, win_h


def crop_move(frame: Image, shift_fraction: tuple[float, float], window_fraction: float = 0.8) -> KnownMove:
    """Cut a centred reference window and a live window moved by ``shift_fraction`` of its size.

    Parameters
    ----------
    frame : (H, W[, 3]) uint8 array
        The real frame both views are cut from.
    shift_fraction : (float, float)
        ``(dx, dy)`` of the live window as a share of the window's width and height; right and down
        are positive.
    window_fraction : float
        Size of the window as a share of the frame; the shift must fit in the margin left.

    Returns
    -------
    KnownMove
    """
    height, width = frame.shape[:2]
    x0, y0, win_w, win_h = _centre_window(frame, window_fraction)
    dx, dy = round(shift_fraction[0] * win_w), round(shift_fraction[1] * win_h)
    if not (0 <= x0 + dx <= width - win_w and 0 <= y0 + dy <= height - win_h):
        raise InvalidSettingsError(
            f"a shift of {shift_fraction} does not fit a {window_fraction:.0%} window; use a smaller "
            "window_fraction or shift"
        )
    reference = frame[y0 : y0 + win_h, x0 : x0 + win_w].copy()
    live = frame[y0 + dy : y0 + dy + win_h, x0 + dx : x0 + dx + win_w].copy()
    H = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
    return KnownMove(reference, live, H)


def rotation_matrix(pan_deg: float, tilt_deg: float, roll_deg: float) -> NDArray[np.float64]:
    """Return the camera rotation for a pan (about y), then tilt (about x), then roll (about z)."""
    pan, tilt, roll = np.radians([pan_deg, tilt_deg, roll_deg])
    about_y = np.array([[np.cos(pan), 0, np.sin(pan)], [0, 1, 0], [-np.sin(pan), 0, np.cos(pan)]])
    about_x = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    about_z = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    return about_z @ about_x @ about_y  # type: ignore[no-any-return]


def ptz_move(
    frame: Image,
    pan_deg: float,
    tilt_deg: float,
    roll_deg: float = 0.0,
    zoom: float = 1.0,
    hfov_deg: float = 60.0,
    window_fraction: float = 0.7,
) -> KnownMove:
    """Turn and zoom a camera whose reference is the centre window of ``frame``.

    A rotation ``R`` and a zoom of a pinhole camera map reference pixels to live pixels by the
    homography ``K' R K^-1``; the live view is rendered from the whole frame, so what comes into view
    is real scene (reflected at the frame's border where the turn reaches beyond it).

    Parameters
    ----------
    frame : (H, W[, 3]) uint8 array
        The real frame; the reference is its centre window.
    pan_deg, tilt_deg, roll_deg : float
        The turn, degrees: pan right, tilt down and a counter-clockwise roll of the camera (the
        picture turns clockwise) are positive, as :class:`~fov_monitor.core.result.CheckResult` measures.
    zoom : float
        Focal length factor against the reference.
    hfov_deg : float
        Horizontal field of view of the reference window.
    window_fraction : float
        Size of the reference window as a share of the frame.

    Returns
    -------
    KnownMove
    """
    x0, y0, win_w, win_h = _centre_window(frame, window_fraction)
    focal = (win_w / 2) / np.tan(np.radians(hfov_deg) / 2)
    K = np.array([[focal, 0, win_w / 2], [0, focal, win_h / 2], [0, 0, 1.0]])
    K_live = K.copy()
    K_live[0, 0] *= zoom
    K_live[1, 1] *= zoom
    # Image y points down, so a tilt down and a counter-clockwise roll are negative rotations about
    # the camera's x and z axes; the scene moves against the camera, hence the transpose.
    H_ref_to_live = K_live @ rotation_matrix(pan_deg, -tilt_deg, -roll_deg).T @ np.linalg.inv(K)
    H_live_to_ref = np.linalg.inv(H_ref_to_live).astype(np.float64)
    H_live_to_ref /= H_live_to_ref[2, 2]
    window_to_frame = np.array([[1.0, 0, x0], [0, 1.0, y0], [0, 0, 1.0]])
    live = cv2.warpPerspective(
        frame,
        window_to_frame @ H_live_to_ref,
        (win_w, win_h),
        flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT,
    )
    reference = frame[y0 : y0 + win_h, x0 : x0 + win_w].copy()
    return KnownMove(reference, live, H_live_to_ref)


def apply_condition(frame: Image, condition: Condition, seed: int = 0) -> Image:
    """Return ``frame`` as it would look under ``condition`` (deterministic for a given seed)."""
    if condition is Condition.CLEAN:
        return frame
    if condition is Condition.JPEG25:
        return reencode(frame, 25)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    light = gray.astype(np.float32) / 255.0
    rng = np.random.default_rng(seed)
    if condition is Condition.NIGHT:
        dark = 255.0 * np.power(light, 1.8) * 0.35
        noisy = dark + rng.normal(0.0, 6.0, size=dark.shape)
    else:  # DUSK
        noisy = 25.0 + light * 0.4 * 100.0 + rng.normal(0.0, 2.0, size=light.shape)
    out = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR) if frame.ndim == 3 else out  # type: ignore[no-any-return]


def dim(
    frame: Image, gamma: float, gain: float, noise_sigma: float, offset: float = 0.0, seed: int = 0
) -> Image:
    """Return the frame as a gray picture with little light or contrast: ``offset + 255 gain (I/255)^gamma``.

    Harder than :attr:`Condition.NIGHT` and :attr:`Condition.DUSK`: for the escalation to equalised
    contrast (e.g. gamma 2.2 at a seventh of the light, or 8 % of the range on a gray level of 60).
    """
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    light = np.power(gray.astype(np.float32) / 255.0, gamma)
    noise = np.random.default_rng(seed).normal(0.0, noise_sigma, size=light.shape)
    return np.clip(offset + 255.0 * gain * light + noise + 0.5, 0, 255).astype(np.uint8)


def defocus(frame: Image, sigma_720p: float) -> Image:
    """Return the frame out of focus: a Gaussian blur of ``sigma_720p`` pixels at 720 lines.

    The blur is scaled to the frame's height, so a given sigma looks the same at any resolution.
    """
    sigma = sigma_720p * frame.shape[0] / 720.0
    return cv2.GaussianBlur(frame, (0, 0), max(0.1, sigma))  # type: ignore[no-any-return]


def cover_mask(
    size_wh: tuple[int, int], share: float, centre_xy: tuple[float, float], blob: bool = True, seed: int = 0
) -> NDArray[np.bool_]:
    """Return a mask covering ``share`` of the frame (within 1 %), a hand- or bag-like blob or a rectangle.

    Parameters
    ----------
    size_wh : (int, int)
        Frame width and height.
    share : float
        Share of the frame to cover, 0..1.
    centre_xy : (float, float)
        Centre of the cover as a share of the width and height; a cover near the border is cut by
        it and grows inwards.
    blob : bool
        A lobed blob (a hand, a bag) when True, else a rectangle of the frame's aspect.
    seed : int
        Shape of the blob's lobes.
    """
    width, height = size_wh
    if share >= 0.999:
        return np.ones((height, width), bool)
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * np.pi, 2)
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    lobes = 1.0 + 0.25 * np.sin(3 * angles + phases[0]) + 0.12 * np.sin(5 * angles + phases[1])
    cx, cy = centre_xy[0] * width, centre_xy[1] * height

    def mask_of(radius: float) -> NDArray[np.bool_]:
        canvas = np.zeros((height, width), np.uint8)
        if blob:
            points = np.stack([cx + radius * lobes * np.cos(angles), cy + radius * lobes * np.sin(angles)], 1)
            cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 1)
        else:
            half_w, half_h = radius, radius * height / width
            cv2.rectangle(
                canvas,
                (round(cx - half_w), round(cy - half_h)),
                (round(cx + half_w), round(cy + half_h)),
                1,
                -1,
            )
        return canvas.astype(bool)

    low, high = 0.0, 2.0 * float(np.hypot(width, height))
    for _ in range(30):
        middle = (low + high) / 2
        if mask_of(middle).mean() < share:
            low = middle
        else:
            high = middle
    return mask_of(high)


def cover(frame: Image, mask: NDArray[np.bool_], level: int = 120, opacity: float = 1.0) -> Image:
    """Return the frame with the masked part covered.

    An object at the lens is far out of focus: an opaque one shows as a smooth patch of its own
    gray ``level``; a translucent one (a plastic bag, spray) lets ``1 - opacity`` of the light through,
    diffused, so the scene behind it shows only as a wash (blurred by 3 % of the frame's width).
    """
    height, width = frame.shape[:2]
    shade = np.linspace(-12, 12, width, dtype=np.float32)[None, :] + np.float32(level)
    patch = np.broadcast_to(shade, (height, width)).astype(np.float32)
    if frame.ndim == 3:
        patch = np.repeat(patch[:, :, None], 3, axis=2)
    if opacity < 1.0:
        behind = cv2.GaussianBlur(frame, (0, 0), 0.03 * width).astype(np.float32)
        patch = opacity * patch + (1.0 - opacity) * behind
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.004 * width + 0.5)
    if frame.ndim == 3:
        soft = soft[:, :, None]
    out = soft * patch + (1.0 - soft) * frame.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def glare(frame: Image, share: float, centre_xy: tuple[float, float] = (0.5, 0.4)) -> Image:
    """Return the frame blinded by a bright bloom whose saturated core covers about ``share`` of it."""
    height, width = frame.shape[:2]
    # The bloom adds 2 x 255 at its centre: it saturates where its profile exceeds one half.
    radius = float(np.sqrt(share * width * height / np.pi)) / np.sqrt(2 * np.log(2))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    distance2 = (xs - centre_xy[0] * width) ** 2 + (ys - centre_xy[1] * height) ** 2
    bloom = 510.0 * np.exp(-distance2 / (2 * radius**2))
    if frame.ndim == 3:
        bloom = bloom[:, :, None]
    return np.clip(frame.astype(np.float32) + bloom, 0, 255).astype(np.uint8)


def black(frame: Image, level: int = 3, seed: int = 0) -> Image:
    """Return a black frame of the same shape: a dark level with a little sensor noise (no signal)."""
    noise = np.random.default_rng(seed).normal(level, 1.5, frame.shape)
    return np.clip(noise, 0, 255).astype(np.uint8)


def reencode(frame: Image, quality: int = 75) -> Image:
    """Return the frame encoded as JPEG at ``quality`` and decoded: a frozen feed re-sent."""
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED) if ok else None
    if decoded is None:
        raise InvalidSettingsError(
            f"JPEG encoding at quality {quality} failed for the synthetic frozen frame"
        )
    return decoded  # type: ignore[no-any-return]
