"""The enrolment self-test: what a reference lets fov-monitor detect, measured on the camera's own frames.

When a reference is captured, synthetic pans and tilts are run through the core: of the reference
itself and, when enrolment grabbed several frames over a span, of each of the others against it, so
that what moves in the scene (water, foliage, traffic) is part of the test. The smallest move found
correctly in every direction on every frame is what the camera is certified to detect. How much of
the view keeps its structure from frame to frame is measured too; a view with little that stays
(asphalt, water, foliage, an empty car park), a reference too dark, too plain or too poor in corners
is reported at enrolment, not discovered later as false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fov_monitor.core.check import check_frame
from fov_monitor.core.imaging import to_working_gray
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import Status
from fov_monitor.core.settings import CheckSettings
from fov_monitor.core.synthetic import crop_move
from fov_monitor.core.tamper import assess_reference, stable_structure

TRIAL_SHIFTS = (0.0025, 0.005, 0.01, 0.02, 0.04)
"""Moves tried, as a share of the frame's width (pans) or height (tilts), smallest first."""

_DIRECTIONS = ((1, 0), (-1, 0), (0, 1), (0, -1))
STABLE_SHARE_WARNING = 0.25
"""A view less than this share of which keeps its structure over the enrolment's frames is warned about."""
_MEASURE_TOLERANCE = 0.25
"""A move counts as found when it is measured within this share of its size (or one working pixel)."""


@dataclass(frozen=True, slots=True)
class SelfTest:
    """What a reference lets fov-monitor detect.

    Attributes
    ----------
    smallest_shift_fraction : float or None
        Smallest pan/tilt (share of the frame) measured correctly in all four directions; None
        when even the largest trial move was not.
    smallest_pan_deg, smallest_tilt_deg : float or None
        The same in degrees, when the field of view is known.
    warnings : list of str
        What makes the reference weak (too dark, too plain, few corners, little stable structure,
        moves not found).
    frames : int
        Frames of the view the test was run on (the reference and the others grabbed with it).
    stable_share : float or None
        Share of the view whose structure stayed the same over those frames; None for one frame.
    """

    smallest_shift_fraction: float | None
    smallest_pan_deg: float | None
    smallest_tilt_deg: float | None
    warnings: list[str] = field(default_factory=list)
    frames: int = 1
    stable_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form recorded with the reference."""
        return {
            "smallest_shift_fraction": self.smallest_shift_fraction,
            "smallest_pan_deg": self.smallest_pan_deg,
            "smallest_tilt_deg": self.smallest_tilt_deg,
            "warnings": list(self.warnings),
            "frames": self.frames,
            "stable_share": self.stable_share,
        }


def self_test(
    image: np.ndarray,
    *,
    label: str = "day",
    hfov_deg: float | None = None,
    settings: CheckSettings | None = None,
    others: Sequence[np.ndarray] = (),
) -> SelfTest:
    """Measure on a reference image (and the frames grabbed with it) the smallest pan/tilt detected reliably.

    Parameters
    ----------
    image : (H, W[, 3]) array
        The reference image as captured.
    label : str
        Its label, named in the warnings.
    others : sequence of (H, W[, 3]) arrays
        Further frames of the same view grabbed over a span at enrolment, as captured (faces blurred):
        the moves are tried on each of them too, and the share of the view that keeps its structure
        is measured.
    hfov_deg : float, optional
        The camera's horizontal field of view, to state the result in degrees.
    settings : CheckSettings, optional
        The settings checks will use.

    Returns
    -------
    SelfTest
    """
    settings = settings or CheckSettings()
    prepared = Reference.from_image(image, label=label, settings=settings)
    warnings = assess_reference(prepared, settings)
    stable = None
    if others:
        grays = [
            to_working_gray(other, settings.working_width, what="enrolment frame").gray for other in others
        ]
        stable = stable_structure(prepared, grays)
        if stable < STABLE_SHARE_WARNING:
            warnings.append(
                f"only {stable:.0%} of the view kept its structure over the {len(others) + 1} frames "
                "grabbed (water, foliage, traffic or a plain surface such as asphalt or an empty car "
                "park): moves are measured on that part alone, and a cover or defocus elsewhere cannot "
                "be told; aim the camera to include fixed structure (buildings, kerbs, poles) if the "
                "decision allows"
            )

    trial = crop_move(image, (0.0, 0.0))
    reference = Reference.from_image(trial.reference, label="self-test", settings=settings)
    permit = Permit.whole_image(reference.size_wh)
    unchanged = check_frame(reference, permit, trial.live, settings=settings)
    if unchanged.status is not Status.COMPLIANT:
        warnings.append(f"the unmoved view is not verified ({'; '.join(unchanged.reasons)})")

    smallest = None
    frames = [image, *others]
    for shift in reversed(TRIAL_SHIFTS):
        if not all(
            _found(frame, reference, permit, shift, d, settings) for frame in frames for d in _DIRECTIONS
        ):
            break
        smallest = shift
    if smallest is None:
        warnings.append(
            f"a move of {TRIAL_SHIFTS[-1]:.0%} of the frame is not measured reliably; the reference cannot "
            "support verdicts"
        )
    height, width = np.asarray(image).shape[:2]
    pan_deg = tilt_deg = None
    if smallest is not None and hfov_deg is not None:
        pan_deg = smallest * hfov_deg
        tilt_deg = smallest * hfov_deg * height / width
    return SelfTest(smallest, pan_deg, tilt_deg, warnings, len(frames), stable)


def _found(
    image: np.ndarray,
    reference: Reference,
    permit: Permit,
    shift: float,
    direction: tuple[int, int],
    settings: CheckSettings,
) -> bool:
    move = crop_move(image, (shift * direction[0], shift * direction[1]))
    result = check_frame(reference, permit, move.live, settings=settings)
    if result.shift_px is None:
        return False
    true_dx, true_dy = move.H_live_to_ref[0, 2], move.H_live_to_ref[1, 2]
    error = float(np.hypot(result.shift_px[0] - true_dx, result.shift_px[1] - true_dy))
    size = float(np.hypot(true_dx, true_dy))
    one_working_px = 1.0 / reference.scale
    return error <= max(_MEASURE_TOLERANCE * size, one_working_px)
