"""A camera's reference bank: the approved base reference and condition references learned safely.

A camera is enrolled with one reference, usually by day; the nightly scan sees it at night, in haze,
in snow, with the sun on the other side. The bank lets the camera's own compliant frames become
references of the conditions no reference shows yet, under rules that keep it from learning a moved
view:

- only a frame judged ``compliant`` with high confidence teaches (:func:`learning_refusal`);
- only in conditions no reference of the bank covers yet: light level, colour or infrared, or a look
  the references' own corners no longer follow (the fast path did not align it; the sun on the
  other side, snow, foliage);
- it is verified directly against the approved base reference, never against a learned one
  (:func:`verify_against_base`): aligned with confidence, and within the smallest move the camera's
  enrolment self-test certified, so that a learned reference cannot carry a drift;
- its homography to the base is kept with it (:attr:`~fov_monitor.core.reference.Reference.to_base`),
  so that every verdict is measured in the base's pixels, where the permit is drawn;
- the bank is bounded (:data:`MAX_LEARNED`): a new learned reference takes the place of the oldest.

Nothing here reads or writes a file: the store keeps the learned references (faces blurred, each
addition audited) and a technician can list, inspect and remove them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fov_monitor.core.alignment import Alignment, align
from fov_monitor.core.conditions import comparable
from fov_monitor.core.homography import Matrix, measure_motion, scale_matrix
from fov_monitor.core.imaging import GrayImage, to_working_gray
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod, CheckResult, Status
from fov_monitor.core.settings import CheckSettings

MAX_LEARNED = 6
"""Learned references a camera's bank holds at most (the technician's own come on top)."""
COVERED = 0.8
"""A frame the fast path aligned with at least this confidence is in conditions a reference covers;
below it (fewer of the reference's corners follow: the season, the sun's side, snow), it may teach."""
LEARN_CONFIDENCE = 0.6
"""Smallest alignment confidence (see :attr:`~fov_monitor.core.alignment.Alignment.confidence`) of a
compliant frame that may teach."""
DEFAULT_CERTIFIED_MOVE = 0.01
"""The largest shift (share of the frame) a learned reference may differ from the base by when the
camera's self-test certified none."""
MAX_ZOOM_CHANGE = 0.01
"""... and the largest zoom change (share), in any case."""


@dataclass(frozen=True, slots=True)
class BaseVerification:
    """A candidate frame verified against the base reference.

    Attributes
    ----------
    to_base : (3, 3) float64 array
        The candidate's full-resolution pixels to the base reference's.
    shift_fraction : (float, float)
        How far its view centre lies from the base's, as a share of the width and height.
    zoom : float
        Its zoom against the base.
    inliers : int
        Agreeing points of the verification.
    method : AlignMethod
        The stage that aligned it.
    """

    to_base: Matrix
    shift_fraction: tuple[float, float]
    zoom: float
    inliers: int
    method: AlignMethod

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a frame does not join the bank; tests false.

    Attributes
    ----------
    reason : str
        One line.
    """

    reason: str

    def __bool__(self) -> bool:
        return False


def learning_refusal(result: CheckResult, references: Sequence[Reference]) -> Refusal | None:
    """Return why a checked frame may not become a condition reference, or None if it may be verified.

    Parameters
    ----------
    result : CheckResult
        The frame's verdict against the camera's references.
    references : sequence of Reference
        The bank as checked: the base first, then the technician's and the learned references.

    Returns
    -------
    Refusal or None
    """
    if result.status is not Status.COMPLIANT or result.tamper is not None:
        return Refusal(f"the frame was {result.status}: only a compliant frame teaches")
    if result.method is AlignMethod.PARTIAL or (result.confidence or 0.0) < LEARN_CONFIDENCE:
        return Refusal(
            f"aligned with confidence {result.confidence or 0.0:.2f} (needs {LEARN_CONFIDENCE:.2f})"
        )
    covering = next((ref for ref in references if comparable(result.quality, ref.quality)), None)
    if covering is not None and result.method is AlignMethod.TRACK and (result.confidence or 0.0) >= COVERED:
        return Refusal(f"its conditions are covered by reference {covering.label!r}")
    return None


def verify_against_base(
    base: Reference,
    candidate_gray: GrayImage,
    candidate_scale: float,
    settings: CheckSettings,
    certified_move: float | None,
) -> BaseVerification | Refusal:
    """Align a candidate frame to the base reference alone and check it shows the base's view.

    Parameters
    ----------
    base : Reference
        The approved base reference (its pixels are the permit's).
    candidate_gray : (h, w) uint8 array
        The candidate frame at the working size.
    candidate_scale : float
        Working pixels per pixel of the candidate frame.
    settings : CheckSettings
        The check's settings.
    certified_move : float or None
        The smallest move (share of the frame) the camera's self-test certified; the candidate may
        lie at most this far from the base (:data:`DEFAULT_CERTIFIED_MOVE` when None).

    Returns
    -------
    BaseVerification or Refusal
    """
    alignment = align([base], candidate_gray, settings)
    if not isinstance(alignment, Alignment):
        return Refusal(f"it does not align with the base reference alone ({alignment.reason})")
    if alignment.confidence < LEARN_CONFIDENCE:
        return Refusal(
            f"it aligns with the base reference with confidence {alignment.confidence:.2f} only "
            f"(needs {LEARN_CONFIDENCE:.2f})"
        )
    to_base = scale_matrix(1.0 / base.scale) @ alignment.H_live_to_ref @ scale_matrix(candidate_scale)
    to_base = to_base / to_base[2, 2]
    height, width = candidate_gray.shape
    candidate_wh = (round(width / candidate_scale), round(height / candidate_scale))
    motion = measure_motion(to_base, candidate_wh, base.size_wh)
    allowed = certified_move if certified_move is not None else DEFAULT_CERTIFIED_MOVE
    shift = math.hypot(*motion.shift_fraction)
    if shift > allowed or abs(motion.zoom - 1.0) > MAX_ZOOM_CHANGE:
        return Refusal(
            f"its view lies {shift:.2%} (zoom {motion.zoom:.3f}x) from the base reference's, beyond the "
            f"certified smallest move of {allowed:.2%}: a moved view is never learned"
        )
    return BaseVerification(
        np.asarray(to_base, np.float64),
        motion.shift_fraction,
        motion.zoom,
        alignment.inliers,
        alignment.method,
    )


class ReferenceBank:
    """A camera's references in memory: the base first, then the others; learns from offered frames.

    The store keeps the same bank on disk (learned references beside the technician's); this is the
    in-memory form for a caller that checks a camera's frames in a row (a benchmark, a live re-aim aid).

    Parameters
    ----------
    base : Reference
        The approved base reference.
    others : sequence of Reference
        The technician's references of other conditions, and learned ones.
    certified_move : float, optional
        The smallest move the base's self-test certified (share of the frame).
    settings : CheckSettings, optional
        The check's settings.
    max_learned : int
        The bound on learned references.
    """

    def __init__(
        self,
        base: Reference,
        others: Sequence[Reference] = (),
        *,
        certified_move: float | None = None,
        settings: CheckSettings | None = None,
        max_learned: int = MAX_LEARNED,
    ) -> None:
        self.references: list[Reference] = [base, *others]
        self.certified_move = certified_move
        self.settings = settings or CheckSettings()
        self.max_learned = max_learned

    def consider(self, frame: np.ndarray, result: CheckResult, label: str) -> Reference | Refusal:
        """Learn ``frame`` (already checked, with ``result``) as a condition reference if the rules allow.

        Parameters
        ----------
        frame : (H, W) or (H, W, 3) array
            The checked frame, as it will be stored (faces blurred).
        result : CheckResult
            Its verdict against :attr:`references`.
        label : str
            The new reference's label.

        Returns
        -------
        Reference or Refusal
            The learned reference (added to :attr:`references`), or why not.
        """
        refusal = learning_refusal(result, self.references)
        if refusal is not None:
            return refusal
        working = to_working_gray(frame, self.settings.working_width, what="candidate reference")
        verified = verify_against_base(
            self.references[0], working.gray, working.scale, self.settings, self.certified_move
        )
        if isinstance(verified, Refusal):
            return verified
        learned = Reference.from_image(frame, label=label, settings=self.settings, to_base=verified.to_base)
        kept = [ref for ref in self.references if ref.to_base is not None]
        if len(kept) >= self.max_learned:
            self.references.remove(kept[0])  # the oldest learned reference makes room
        self.references.append(learned)
        return learned
