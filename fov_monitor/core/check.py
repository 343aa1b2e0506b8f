"""The verdict on one live frame: align it, measure it against the permit, say what is wrong."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np

from fov_monitor.core.alignment import Alignment, AlignmentFailure, align
from fov_monitor.core.conditions import missing_reference
from fov_monitor.core.dense import corner_disagreement_px, dense_align
from fov_monitor.core.fingerprint import FrameFingerprint
from fov_monitor.core.geometry import ViewGeometry, measure_view
from fov_monitor.core.homography import Matrix, ViewMotion, measure_motion, scale_matrix
from fov_monitor.core.imaging import GrayImage, WorkingImage, to_working_gray
from fov_monitor.core.permit import Permit
from fov_monitor.core.quality import measure_detail, measure_quality, texture_above_noise
from fov_monitor.core.recovery import recover_alignment
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod, CheckResult, FrameQuality, Status, Tamper, TamperKind
from fov_monitor.core.settings import CheckSettings
from fov_monitor.core.tamper import exposure_tamper, view_tamper
from fov_monitor.errors import InvalidImageError, InvalidPermitError, InvalidSettingsError

ACCUSING = frozenset({Status.REDIRECTED, Status.ZONE_EXPOSED})
"""Verdicts on an aligned view that must be confirmed by a second, independent estimate."""
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
MIN_MATCHED_SIDE_PX = 64
"""A frame that matches no reference and is smaller than this on a side is unverifiable, not "not
recognised": at 60x48 px a copy of the very reference view matches nothing (measured on the sample
photos: 77 px a side and more align)."""
MAX_SHAPE_CHANGE = 2.0
"""A frame that matches no reference and whose aspect ratio differs from the reference's by more than
this factor is unverifiable, not "not recognised": copies of the sample photos stretched up to 2x
align (and are judged), from 2.2x on most match nothing. Another scene of a shape within the factor
(a 3:2 view against a square reference) is still "not recognised"."""
CONFINED_DETAIL = 0.5
"""A frame that does not align and has distinct corners in at most this share of the grid cells the
reference has them in shows its scene only on a strip: where a cover is found with the camera taken
as unmoved, the rest is the cover, not another scene. Measured on ``../shared/data``: 80 % covers
keep 0.10-0.42 of the reference's cells, other scenes (sample photos against each other) 0.60-1.1."""


def check_frame(
    reference: Reference | Sequence[Reference],
    permit: Permit,
    frame: np.ndarray,
    *,
    hfov_deg: float | None = None,
    settings: CheckSettings | None = None,
    previous: FrameFingerprint | None = None,
) -> CheckResult:
    """Check whether a live frame still shows only what the permit allows.

    Parameters
    ----------
    reference : Reference or sequence of Reference
        The camera's reference(s) of one view (day, night/IR, season); the best-matching one is
        used. They must share one aspect ratio; one at another resolution is scaled to the first.
    permit : Permit
        The permitted polygon and privacy zones, in pixel coordinates of the (first) reference.
    frame : (H, W) or (H, W, 3|4) array
        The live frame: gray, BGR or BGRA; uint8, uint16 or float. Its size may differ from the
        reference's.
    hfov_deg : float, optional
        The camera's horizontal field of view, to report the shift in degrees.
    settings : CheckSettings, optional
        Thresholds; the defaults when omitted. Use the settings the references were made with.
    previous : FrameFingerprint, optional
        ``result.fingerprint`` of the camera's previous check, to detect a frozen feed; without it
        a frozen feed cannot be told (never an error).

    Returns
    -------
    CheckResult
        ``tampered`` (black, frozen, blinded, covered, defocused; see :mod:`fov_monitor.core.tamper` for
        the order) outranks every verdict on the view; the view is still measured when it aligns.

    Raises
    ------
    InvalidImageError
        When the frame is not a usable image or no reference is given.
    InvalidPermitError
        When the permit was evidently drawn for an image of another size.
    """
    started = time.perf_counter()
    references = _as_sequence(reference)
    settings = settings or CheckSettings()
    _check_references(references, settings)
    _check_field_of_view(hfov_deg)
    if not isinstance(permit, Permit):
        raise InvalidPermitError(
            f"check_frame needs a Permit, got {type(permit).__name__}; build one with Permit(...) or "
            "Permit.from_dict(...)"
        )
    permit.check_fits(references[0].size_wh)
    live = to_working_gray(frame, settings.working_width, what="live frame")
    prepared = time.perf_counter()
    quality = replace(measure_quality(live.gray), chroma=live.chroma)
    fingerprint = FrameFingerprint.of(live.gray)
    early = _early_tamper(live.gray, references, fingerprint, previous, settings)
    if early is not None:
        timings = {"prepare": (prepared - started) * 1e3}
        timings["total"] = (time.perf_counter() - started) * 1e3
        return CheckResult(
            status=Status.TAMPERED,
            reasons=(early.text, "tampering hides the view: it was not aligned"),
            quality=quality,
            tamper=early,
            timings_ms=timings,
            fingerprint=fingerprint,
        )
    alignment = align(references, live.gray, settings)
    aligned = time.perf_counter()
    timings = {"prepare": (prepared - started) * 1e3, "align": (aligned - prepared) * 1e3}

    if isinstance(alignment, AlignmentFailure):
        alignment = recover_alignment(alignment, references, live.gray, settings)
        if isinstance(alignment, AlignmentFailure) and not alignment.recognised_points:
            alignment = _by_edges(alignment, references, live.gray, quality, settings)
        timings["recover"] = (time.perf_counter() - aligned) * 1e3
    if isinstance(alignment, AlignmentFailure):
        result = _unaligned_result(alignment, references, live.gray, quality, fingerprint, settings, timings)
        misshapen = _misshapen_reason(live.size_wh, references[0].size_wh)
        if result.status is Status.REDIRECTED and misshapen is not None:
            # Not recognised because it cannot be matched, not because it shows another view.
            result = replace(result, status=Status.UNVERIFIABLE, reasons=(misshapen, *result.reasons[1:]))
    else:
        used = references[alignment.reference_index]
        tamper, _ = view_tamper(used, live.gray, alignment.H_live_to_ref, settings)
        H_live_to_ref = _full_resolution(alignment.H_live_to_ref, used, references[0], live.scale)
        view = measure_view(H_live_to_ref, live.size_wh, permit, live.gray, live.scale)
        motion = measure_motion(H_live_to_ref, live.size_wh, references[0].size_wh, hfov_deg)
        status, reasons = judge_view(view, motion, permit, settings)
        if alignment.method is AlignMethod.EDGES and status is Status.COMPLIANT:
            status, reasons = Status.UNVERIFIABLE, (EDGES_ONLY, *reasons)
        elif status in ACCUSING:
            doubt = accusation_doubt(alignment, references, live, view, permit, settings)
            if doubt is not None:
                status, reasons = Status.UNVERIFIABLE, (f"not confirmed: {reasons[0]}", doubt, *reasons[1:])
        if tamper is not None:
            status, reasons = Status.TAMPERED, (tamper.text, *reasons)
        result = CheckResult(
            status=status,
            reasons=reasons,
            quality=quality,
            H_live_to_ref=H_live_to_ref,
            outside_fraction=view.outside_fraction,
            tamper=tamper,
            shift_px=motion.shift_px,
            shift_fraction=motion.shift_fraction,
            pan_deg=motion.pan_deg,
            tilt_deg=motion.tilt_deg,
            roll_deg=motion.roll_deg,
            zoom=motion.zoom,
            inliers=alignment.inliers,
            confidence=alignment.confidence,
            view_polygon_xy=view.polygon_xy,
            zones=view.zones,
            reference_index=alignment.reference_index,
            reference_label=used.label,
            method=alignment.method,
            timings_ms=timings,
            fingerprint=fingerprint,
        )
    timings["gate"] = (time.perf_counter() - aligned) * 1e3
    timings["total"] = (time.perf_counter() - started) * 1e3
    return result


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
        full = _full_resolution(second_H, used, references[0], live.scale)
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


def _early_tamper(
    live_gray: GrayImage,
    references: Sequence[Reference],
    fingerprint: FrameFingerprint,
    previous: FrameFingerprint | None,
    settings: CheckSettings,
) -> Tamper | None:
    """Return black, frozen or blinded: what hides the view, so that aligning it is pointless."""
    exposure = exposure_tamper(live_gray, references, settings)
    if exposure is not None and exposure.kind is TamperKind.BLACK:
        return exposure
    if fingerprint.is_frozen_after(previous):
        return Tamper(TamperKind.FROZEN, 0.0, "frozen: the very same picture as the previous grab")
    return exposure


def _unaligned_tamper(
    references: Sequence[Reference], live_gray: GrayImage, settings: CheckSettings
) -> Tamper | None:
    """Return covered or defocused for a frame that did not align, taking the camera as unmoved.

    Only when every reference of the camera agrees: the least damning finding counts.
    """
    findings = [view_tamper(reference, live_gray, None, settings)[0] for reference in references]
    if any(finding is None for finding in findings):
        return None
    return min(findings, key=lambda finding: (finding.kind is TamperKind.COVERED, finding.figure))  # type: ignore[union-attr]


def _as_sequence(reference: Reference | Sequence[Reference]) -> Sequence[Reference]:
    references = [reference] if isinstance(reference, Reference) else list(reference)
    if not references or not all(isinstance(ref, Reference) for ref in references):
        raise InvalidImageError(
            "check_frame needs a Reference or a non-empty sequence of them; build one with "
            "Reference.from_image(image)"
        )
    return references


def _check_references(references: Sequence[Reference], settings: CheckSettings) -> None:
    first = references[0]
    for ref in references:
        if ref.working_width != settings.working_width:
            raise InvalidImageError(
                f"reference {ref.label!r} was prepared at working width {ref.working_width}, the check "
                f"runs at {settings.working_width}; prepare it again with the same CheckSettings"
            )
        first_aspect, aspect = first.size_wh[0] / first.size_wh[1], ref.size_wh[0] / ref.size_wh[1]
        if abs(aspect - first_aspect) > 0.01 * first_aspect:
            raise InvalidImageError(
                f"reference {ref.label!r} is {ref.size_wh[0]}x{ref.size_wh[1]}, reference {first.label!r} "
                f"{first.size_wh[0]}x{first.size_wh[1]}: references of one view must share an aspect "
                "ratio; capture them from the same stream"
            )


def _check_field_of_view(hfov_deg: float | None) -> None:
    if hfov_deg is None:
        return
    if not isinstance(hfov_deg, (int, float, np.floating, np.integer)) or not 0.0 < float(hfov_deg) < 180.0:
        raise InvalidSettingsError(
            f"hfov_deg must be a number of degrees between 0 and 180 (exclusive), got {hfov_deg!r}; "
            "give the camera's horizontal field of view or leave it out"
        )


def _misshapen_reason(live_wh: tuple[int, int], reference_wh: tuple[int, int]) -> str | None:
    """Return why a frame that matched no reference cannot be matched at all, or None if it could be.

    A frame too small to hold the reference's corners, or stretched (or cut to a strip) far from
    the reference's shape, matches no reference whatever it shows: it cannot be judged, which is not
    the same as showing another view.
    """
    (width, height), (ref_width, ref_height) = live_wh, reference_wh
    if min(width, height) < MIN_MATCHED_SIDE_PX:
        return (
            f"frame too small to judge: {width}x{height} px (at least {MIN_MATCHED_SIDE_PX} px a side); "
            "check the camera's stream resolution"
        )
    stretch = (width / height) / (ref_width / ref_height)
    if max(stretch, 1.0 / stretch) > MAX_SHAPE_CHANGE:
        return (
            f"frame of another shape than the reference, so not judged: {width}x{height} against "
            f"{ref_width}x{ref_height} (stretched or cut to a strip); check the camera's stream settings"
        )
    return None


def _unaligned_result(
    failure: AlignmentFailure,
    references: Sequence[Reference],
    gray: GrayImage,
    quality: FrameQuality,
    fingerprint: FrameFingerprint,
    settings: CheckSettings,
    timings: dict[str, float],
) -> CheckResult:
    tamper = _unaligned_tamper(references, gray, settings)
    quality = measure_detail(gray, quality)
    unfit = frame_unfit_reason(quality, settings)
    # A frame that does not align is covered or defocused only if it is also unfit on its own, or,
    # for a cover, if its detail is confined to a strip: a sharp frame detailed all over that matches
    # nothing is another scene ("redirected"), not a cover.
    evidence = unfit
    if tamper is not None and tamper.kind is TamperKind.COVERED and not evidence:
        evidence = _confined_detail_reason(quality, references)
    if tamper is not None and evidence:
        return CheckResult(
            status=Status.TAMPERED,
            reasons=(tamper.text, evidence, f"no alignment: {failure.reason}"),
            quality=quality,
            tamper=tamper,
            inliers=failure.best_inliers,
            timings_ms=timings,
            fingerprint=fingerprint,
        )
    if unfit:
        return _unverifiable(failure, quality, fingerprint, timings, unfit)
    if failure.recognised_points:
        return _unverifiable(
            failure,
            quality,
            fingerprint,
            timings,
            f"view recognised only in part: {failure.recognised_points} points agree with the whole "
            "picture's edges, not enough to measure it (the light or the scene changed a lot since the "
            "reference)",
        )
    missing = missing_reference(quality, [reference.quality for reference in references])
    if missing is not None:
        return _unverifiable(
            failure,
            quality,
            fingerprint,
            timings,
            f"no reference for {missing} conditions: capture one with 'fov-monitor reference capture "
            f"<camera> --label {missing}' (a frame in conditions no reference shows cannot be told "
            "from another view)",
        )
    return CheckResult(
        status=Status.REDIRECTED,
        reasons=(
            "view not recognised: the frame is well exposed, detailed and textured, taken in light a "
            "reference shows, but matches no reference, and its edges line up with none",
            f"no alignment: {failure.reason}",
        ),
        quality=quality,
        inliers=failure.best_inliers,
        timings_ms=timings,
        fingerprint=fingerprint,
    )


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


def _by_edges(
    failure: AlignmentFailure,
    references: Sequence[Reference],
    gray: GrayImage,
    quality: FrameQuality,
    settings: CheckSettings,
) -> Alignment | AlignmentFailure:
    """Return the edges' alignment of a fit frame, in light a reference shows, that no points aligned."""
    if frame_unfit_reason(measure_detail(gray, quality), settings) is not None:
        return failure
    if missing_reference(quality, [reference.quality for reference in references]) is not None:
        return failure
    if _unaligned_tamper(references, gray, settings) is not None:
        return failure
    return edge_alignment(references, gray) or failure


def _unverifiable(
    failure: AlignmentFailure,
    quality: FrameQuality,
    fingerprint: FrameFingerprint,
    timings: dict[str, float],
    why: str,
) -> CheckResult:
    return CheckResult(
        status=Status.UNVERIFIABLE,
        reasons=(why, f"no alignment: {failure.reason}"),
        quality=quality,
        inliers=failure.best_inliers,
        timings_ms=timings,
        fingerprint=fingerprint,
    )


def _confined_detail_reason(quality: FrameQuality, references: Sequence[Reference]) -> str | None:
    """Return why the live frame's detail is confined to a strip of the view, or None if it is not.

    Against the least detailed reference, so that a night reference's sparse corners never make a
    dark live frame look covered.
    """
    if quality.detail is None:
        return None
    reference_detail = min(_detail_of(reference) for reference in references)
    if quality.detail > CONFINED_DETAIL * reference_detail:
        return None
    return (
        f"scene only on a strip: distinct corners in {quality.detail:.0%} of the frame, "
        f"{reference_detail:.0%} in the reference"
    )


def _detail_of(reference: Reference) -> float:
    """Return the reference's share of grid cells with a distinct corner, computed once per reference."""

    def detail(gray: GrayImage) -> float:
        return measure_detail(gray, reference.quality).detail or 0.0

    return reference.cached("detail", detail)


def frame_unfit_reason(quality: FrameQuality, settings: CheckSettings) -> str | None:
    """Return why a frame cannot support a verdict (too dark, too plain), or None if it can.

    ``quality`` must carry the noise and detail figures (:func:`~fov_monitor.core.quality.measure_detail`).
    """
    if quality.contrast < settings.flat_contrast and quality.mean_luma < settings.dark_luma:
        return f"too dark: mean gray level {quality.mean_luma:.0f} with contrast {quality.contrast:.0f}"
    if quality.contrast < settings.flat_contrast:
        return f"too plain: contrast {quality.contrast:.0f} (needs {settings.flat_contrast:.0f})"
    texture = texture_above_noise(quality)
    if texture < settings.plain_texture:
        return (
            f"too plain: texture {texture:.2f} above the noise (needs {settings.plain_texture:.2f}); "
            "covered, fogged or facing a blank surface"
        )
    if quality.detail is not None and quality.detail < settings.min_detail:
        return (
            f"too little detail: distinct corners in {quality.detail:.0%} of the frame "
            f"(needs {settings.min_detail:.0%}); out of focus or facing a blank surface"
        )
    return None


def _full_resolution(H_working: Matrix, used: Reference, first: Reference, live_scale: float) -> Matrix:
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


def judge_view(
    view: ViewGeometry, motion: ViewMotion, permit: Permit, settings: CheckSettings
) -> tuple[Status, tuple[str, ...]]:
    """Return the status of an aligned view and its reasons, most important first.

    A privacy zone in view outranks a view reaching outside the permit; both reasons are given.
    """
    exposed = [zone for zone in view.zones if zone.exposed]
    reasons = [
        f"privacy zone {zone.name!r} visible: {zone.visible_fraction:.1%} of it in view" for zone in exposed
    ]
    status = Status.ZONE_EXPOSED if exposed else Status.COMPLIANT
    if view.outside_fraction > permit.tolerance:
        status = status if exposed else Status.REDIRECTED
        reasons.append(
            f"{view.outside_fraction:.1%} of the view is outside the permit "
            f"(tolerance {permit.tolerance:.1%})"
        )
    elif view.outside_fraction > settings.drift_warning * permit.tolerance:
        reasons.append(
            f"drifting: {view.outside_fraction:.1%} of the view outside the permit, within the "
            f"tolerance of {permit.tolerance:.1%}"
        )
    dx, dy = motion.shift_fraction
    if abs(dx) >= 0.005 or abs(dy) >= 0.005:
        reasons.append(f"view centre moved {_direction(dx, dy)}")
    if abs(motion.zoom - 1.0) >= 0.03:
        reasons.append(f"zoom {motion.zoom:.2f}x against the reference")
    if not reasons:
        reasons.append("view matches the reference inside the permit")
    return status, tuple(reasons)


def _direction(dx: float, dy: float) -> str:
    parts = []
    if abs(dx) >= 0.005:
        parts.append(f"{abs(dx):.1%} {'right' if dx > 0 else 'left'}")
    if abs(dy) >= 0.005:
        parts.append(f"{abs(dy):.1%} {'down' if dy > 0 else 'up'}")
    return " and ".join(parts)
