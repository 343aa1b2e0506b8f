"""Known camera moves and viewing conditions made from real frames, with their ground truth.

Real footage of re-aimed cameras at night is rare; these functions make it from real frames so that
the truth is known exactly: a crop window moved by ``d`` pixels is a pan or tilt of ``d`` pixels, and
gamma, noise, contrast and JPEG loss stand in for night/IR, dusk and poor links. They are used by the
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
        picture turns clockwise) are positive, as :class:`~fov_monitor.result.CheckResult` measures.
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
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 25])
        if not ok:
            raise InvalidSettingsError("JPEG encoding failed for the synthetic condition")
        flags = cv2.IMREAD_GRAYSCALE if frame.ndim == 2 else cv2.IMREAD_COLOR
        decoded = cv2.imdecode(encoded, flags)
        if decoded is None:
            raise InvalidSettingsError("JPEG decoding failed for the synthetic condition")
        return decoded
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
