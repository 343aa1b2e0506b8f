"""Align a frame whose points only partly match: the dense estimate, trusted when those points agree.

When the light has changed a lot since the reference (the sun on the other side of the scene, dusk,
haze), the point stages of :mod:`~fov_monitor.core.alignment` find only a few correspondences that
agree, fewer than they trust alone. Those few are evidence of the same view, but not enough to
measure it. :func:`~fov_monitor.core.dense.dense_align` measures it from every edge of the picture,
from its own start (phase correlation), owing nothing to the points. When the two independent
estimates agree (most of the points land where the dense homography sends them) the view is the
reference's, measured; a frame of another scene gives a few chance correspondences that no dense
alignment reproduces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from fov_monitor.core.alignment import Alignment, AlignmentFailure
from fov_monitor.core.dense import agreement, corner_disagreement_px, dense_align
from fov_monitor.core.homography import degeneracy
from fov_monitor.core.imaging import GrayImage
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod
from fov_monitor.core.settings import CheckSettings

RECOGNISED_POINTS = 6
"""Agreeing correspondences, confirmed by the dense estimate, that show the view is the reference's."""
MEASURED_POINTS = 6
"""... and that are enough to measure it, when the two estimates also agree on the whole frame
(:data:`MEASURED_AGREEMENT`). Frames of other scenes give up to 10 chance correspondences that agree
with some homography (306 pairs of unrelated photographs and webcams), but none the dense estimate
confirmed (29 such pairs with 6 or more)."""
MEASURED_AGREEMENT = 0.03
"""The points' homography measures the view only where it puts the frame's corners within this
share of the width of the dense estimate's: a few points bunched in one part of the frame fit a
homography that bends the rest of it (seen 6-7 % outside on an unmoved camera)."""
AGREEMENT_PX = 6.0
"""A correspondence agrees with the dense homography within this many working pixels."""
AGREEING_SHARE = 0.6
"""Share of the point attempt's agreeing correspondences that must agree with the dense estimate."""
MAX_ZOOM = 1.5
"""A recovered view may be zoomed at most this much either way: the dense estimate is for a changed
light, not a changed lens (a zoomed camera is aligned by the scale-invariant features)."""


def recover_alignment(
    failure: AlignmentFailure, references: Sequence[Reference], live_gray: GrayImage, settings: CheckSettings
) -> Alignment | AlignmentFailure:
    """Return a ``partial`` alignment confirmed by the dense estimate, or the failure (recognised or not).

    Parameters
    ----------
    failure : AlignmentFailure
        Why the point stages did not trust their best attempt, with its agreeing correspondences.
    references : sequence of Reference
        The camera's references; the best attempt's is used.
    live_gray : (h, w) uint8 array
        The live frame at the working size.
    settings : CheckSettings
        ``min_spread``.

    Returns
    -------
    Alignment or AlignmentFailure
        An ``AlignMethod.PARTIAL`` alignment (the points' homography, ``confirmed_by`` the dense one)
        when at least :data:`MEASURED_POINTS` agree with the dense estimate; otherwise the failure,
        with ``recognised_points`` set when at least :data:`RECOGNISED_POINTS` do.
    """
    if failure.H_live_to_ref is None or len(failure.live_xy) < RECOGNISED_POINTS:
        return failure
    reference = references[failure.reference_index]
    dense = dense_align(reference, live_gray)
    if dense is None:
        return failure
    live_wh = (int(live_gray.shape[1]), int(live_gray.shape[0]))
    if degeneracy(dense.H_live_to_ref, live_wh, reference.working_size_wh, MAX_ZOOM):
        return failure
    agrees = agreement(dense.H_live_to_ref, failure.live_xy, failure.ref_xy, AGREEMENT_PX)
    agree = int(agrees.sum())
    if agree < RECOGNISED_POINTS or agree < AGREEING_SHARE * len(failure.live_xy):
        return failure
    spread = _hull_share(failure.live_xy[agrees], live_wh)
    apart = corner_disagreement_px(failure.H_live_to_ref, dense.H_live_to_ref, live_wh)
    if agree < MEASURED_POINTS or spread < settings.min_spread or apart > MEASURED_AGREEMENT * live_wh[0]:
        return replace(failure, recognised_points=agree)
    return Alignment(
        failure.H_live_to_ref,
        failure.reference_index,
        AlignMethod.PARTIAL,
        agree,
        agree / len(failure.live_xy),
        spread,
        confirmed_by=dense.H_live_to_ref,
    )


def _hull_share(points_xy: np.ndarray, size_wh: tuple[int, int]) -> float:
    hull = cv2.convexHull(points_xy.astype(np.float32).reshape(-1, 1, 2))
    return float(cv2.contourArea(hull)) / float(size_wh[0] * size_wh[1])
