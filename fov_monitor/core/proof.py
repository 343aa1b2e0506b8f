"""Prove a view before it accuses: second estimates, and the whole picture's edges.

A homography that says a camera looks outside its permit, or at a privacy zone, is an accusation.
It stands on the points' own evidence only when they agree in numbers and spread over the frame;
otherwise a second, independent estimate must accuse too (:func:`accusation_doubt`). A frame that no
points align is measured by its edges alone when they line up with a reference where a camera can
look (:func:`edge_alignment`), and then accuses only a move well beyond the tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from fov_monitor.core.alignment import Alignment, align
from fov_monitor.core.dense import corner_disagreement_px, dense_align
from fov_monitor.core.geometry import ViewGeometry, measure_view
from fov_monitor.core.homography import Matrix, measure_motion, scale_matrix
from fov_monitor.core.imaging import GrayImage, WorkingImage
from fov_monitor.core.permit import Permit
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod
from fov_monitor.core.settings import CheckSettings

OTHER_STAGES = {
    AlignMethod.TRACK: (AlignMethod.ORB, AlignMethod.SIFT),
    AlignMethod.ORB: (AlignMethod.TRACK, AlignMethod.SIFT),
    AlignMethod.SIFT: (AlignMethod.TRACK, AlignMethod.ORB),
    AlignMethod.ORB_EQUALISED: (AlignMethod.TRACK, AlignMethod.SIFT),
}
"""The point stages that give a second, independent estimate of an alignment made by each stage."""
WRONG_BASIN = 0.25
"""A dense estimate whose frame corners lie this share of the width from the points' is not a second
opinion on the same view (it converged elsewhere); the points' own evidence must then do."""
EDGES_ONLY = (
    "view recognised by its edges only: too few points match (the light or the season changed a lot "
    "since the reference), but the whole picture's edges line up with it"
)
EDGES_MARGIN = 0.03
"""An ``edges`` alignment accuses only a view this much further outside the permit than the tolerance:
the edges alone put an unmoved view up to 1.3 % off (p95 on real webcams over months)."""
EDGES_LINE_UP = 0.35
"""Correlation of the edges (see :func:`edge_alignment`) from which a frame that matches no reference
is still the reference's view, not another one."""
STRONG_SPREAD = 0.3
"""A point alignment accuses on its own evidence only if it is confident and its agreeing points span
at least this share of the frame; a weaker one needs a second estimate that accuses too."""


def accusation_doubt(
    alignment: Alignment,
    references: Sequence[Reference],
    live: WorkingImage,
    view: ViewGeometry,
    permit: Permit,
    settings: CheckSettings,
) -> str | None:
    """Return why a redirect or zone exposure is not proven, or None if independent evidence supports it.

    The view is measured again by second estimates that owe nothing to the first, cheapest first,
    and the accusation stands as soon as one of them, converged on the same view, accuses too:

    - the point stages the first estimate did not use (features for a tracked alignment, tracking
      for a feature one), on the same reference;
    - the whole picture's edges (:func:`~fov_monitor.core.dense.dense_align`), started from the
      global shift and from the first estimate (the one the edges correlate with best);
    - for a ``partial`` alignment, the dense estimate that confirmed it.

    A confident alignment whose agreeing points span much of the frame (:data:`STRONG_SPREAD`) stands
    on that evidence alone: the dense estimate can settle in another basin over foliage and sky (seen
    5 % off a tracked 8 % move with 68 agreeing points), and the points' spread is the stronger proof.
    """
    used = references[alignment.reference_index]
    exposed = {zone.name for zone in view.zones if zone.exposed}
    if alignment.method is AlignMethod.EDGES:
        if not exposed and view.outside_fraction > permit.tolerance + EDGES_MARGIN:
            return None
        return (
            f"{EDGES_ONLY}: a move this small, or a privacy zone, cannot be told on the edges alone "
            f"(they must put more than {permit.tolerance + EDGES_MARGIN:.0%} of the view outside); grab again"
        )
    if alignment.inliers >= settings.track_min_inliers and alignment.spread >= STRONG_SPREAD:
        return None  # agreeing points spread over the frame: evidence no second estimate outweighs
    measured: list[ViewGeometry] = []
    for second_H in _second_estimates(alignment, used, live.gray, settings):
        full = full_resolution(second_H, used, references[0], live.scale)
        second = measure_view(full, live.size_wh, permit, live.gray, live.scale)
        seconds_zones = {zone.name for zone in second.zones if zone.exposed}
        if exposed and exposed <= seconds_zones:
            return None
        if not exposed and second.outside_fraction > permit.tolerance:
            return None
        measured.append(second)
    if not measured:
        return (
            f"the {alignment.method} alignment ({alignment.inliers} points over {alignment.spread:.0%} "
            "of the frame) found no second estimate to confirm it; grab again"
        )
    least = min(second.outside_fraction for second in measured)
    return (
        f"a second, independent estimate finds {least:.1%} of the view outside the permit"
        f"{' and no privacy zone in view' if exposed else ''} (the {alignment.method} alignment: "
        f"{view.outside_fraction:.1%}); grab again"
    )


def _second_estimates(
    alignment: Alignment, reference: Reference, live_gray: GrayImage, settings: CheckSettings
) -> Iterator[Matrix]:
    """Yield independent estimates of the same view (working pixels of ``reference``), cheapest first."""
    height, width = live_gray.shape

    def same_view(H: Matrix) -> bool:
        return corner_disagreement_px(H, alignment.H_live_to_ref, (width, height)) <= WRONG_BASIN * width

    if alignment.confirmed_by is not None:
        yield alignment.confirmed_by
        return
    others = OTHER_STAGES.get(alignment.method, ())
    if others:
        found = align([reference], live_gray, settings, stages=others)
        if isinstance(found, Alignment) and same_view(found.H_live_to_ref):
            yield found.H_live_to_ref
    starts = (None, alignment.H_live_to_ref)
    converged = [found for found in (dense_align(reference, live_gray, start) for start in starts) if found]
    on_view = [found for found in converged if same_view(found.H_live_to_ref)]
    if on_view:
        yield max(on_view, key=lambda found: found.correlation).H_live_to_ref


def edge_alignment(references: Sequence[Reference], gray: GrayImage) -> Alignment | None:
    """Return an ``edges`` alignment to the reference whose edges the frame's line up with, or None.

    "View not recognised" accuses the camera of looking elsewhere; before it does, the whole
    picture's edges (:func:`~fov_monitor.core.dense.dense_align`) are aligned with each reference. A
    frame of the same view in a light the points cannot bridge lines up where a camera can look with a
    correlation of 0.44-0.64 (``webcams/stlouis`` with the sun on the other side); frames of other
    scenes that ended anywhere near did at most 0.32 (159 pairs of webcams, videos and photographs).
    """
    height, width = gray.shape
    for index, reference in enumerate(references):
        dense = dense_align(reference, gray)
        if dense is None or dense.correlation < EDGES_LINE_UP:
            continue
        motion = measure_motion(dense.H_live_to_ref, (width, height), reference.working_size_wh)
        dx, dy = motion.shift_fraction
        if abs(motion.zoom - 1.0) < 0.05 and max(abs(dx), abs(dy)) < 0.25 and abs(motion.roll_deg) < 5.0:
            return Alignment(dense.H_live_to_ref, index, AlignMethod.EDGES, 0, 0.0, 1.0)
    return None


def full_resolution(H_working: Matrix, used: Reference, first: Reference, live_scale: float) -> Matrix:
    """Scale a working-size homography to full live pixels -> pixels of the first (base) reference.

    A learned reference is mapped by its verified homography to the base; one of the base's own
    framing at another resolution by the ratio of the sizes.
    """
    if used.to_base is not None:
        to_first = used.to_base
    else:
        to_first = np.diag([first.size_wh[0] / used.size_wh[0], first.size_wh[1] / used.size_wh[1], 1.0])
    H = to_first @ scale_matrix(1.0 / used.scale) @ H_working @ scale_matrix(live_scale)
    return H / H[2, 2]  # type: ignore[no-any-return]
