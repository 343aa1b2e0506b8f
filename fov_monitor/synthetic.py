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
class CropMove:
    """A reference and a live view cut from one frame, the live window moved by a known shift.

    Attributes
    ----------
    reference, live : (h, w[, 3]) uint8 arrays
        The two views, of the same size.
    H_live_to_ref : (3, 3) float64 array
        The true homography from live to reference pixels (a pure translation).
    shift_fraction : (float, float)
        The move as a share of the window width and height.
    """

    reference: Image
    live: Image
    H_live_to_ref: NDArray[np.float64]
    shift_fraction: tuple[float, float]


def crop_move(frame: Image, shift_fraction: tuple[float, float], window_fraction: float = 0.8) -> CropMove:
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
    CropMove
    """
    height, width = frame.shape[:2]
    win_w, win_h = round(width * window_fraction), round(height * window_fraction)
    x0, y0 = (width - win_w) // 2, (height - win_h) // 2
    dx, dy = round(shift_fraction[0] * win_w), round(shift_fraction[1] * win_h)
    if not (0 <= x0 + dx <= width - win_w and 0 <= y0 + dy <= height - win_h):
        raise InvalidSettingsError(
            f"a shift of {shift_fraction} does not fit a {window_fraction:.0%} window; use a smaller "
            "window_fraction or shift"
        )
    reference = frame[y0 : y0 + win_h, x0 : x0 + win_w].copy()
    live = frame[y0 + dy : y0 + dy + win_h, x0 + dx : x0 + dx + win_w].copy()
    H = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
    return CropMove(reference, live, H, (dx / win_w, dy / win_h))


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
