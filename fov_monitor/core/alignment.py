"""Align a live frame to a camera's references: a cascade from cheap to robust.

1. ``track``: the reference's corner points are tracked into the live frame (pyramidal Lucas-Kanade,
   checked there and back). A camera that has not moved, or moved a little, is aligned here in a few
   milliseconds: the common case is the fast one.
2. ``orb``: ORB features matched with the ratio test and a mutual check, for larger moves.
3. ``sift``: SIFT on contrast-equalised images, for dark, low-contrast or strongly changed views.
4. ``orb-equalised``: the escalation, only for a dark or flat live frame that no stage aligned
   confidently: ORB, with as many features as the reference's, on both images contrast-equalised.
   Plain ORB finds few corners in such a frame, and SIFT's matches do not survive the amplified
   noise; this costs ~25 ms and never runs for a frame the fast path aligns.

Each stage fits a homography with MAGSAC++ and is trusted only with enough agreeing points spread
over the frame and a homography that a camera can produce. A feature-stage homography is then refined
by tracking the reference points from where it predicts them, for sub-pixel accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from fov_monitor.core.features import (
    RATIO_ORB,
    RATIO_SIFT,
    FeatureIndex,
    Keypoints,
    PointsXY,
    detect_orb,
    detect_orb_equalised,
    detect_sift,
    global_shift,
    normalise_for_tracking,
    track_points,
)
from fov_monitor.core.homography import Estimate, Matrix, corners_xy, degeneracy, estimate_homography, project
from fov_monitor.core.imaging import GrayImage
from fov_monitor.core.quality import measure_quality
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import AlignMethod
from fov_monitor.core.settings import CheckSettings

CASCADE = (AlignMethod.TRACK, AlignMethod.ORB, AlignMethod.SIFT, AlignMethod.ORB_EQUALISED)
"""The point-based stages, cheapest first (``dense`` is not one: see :mod:`fov_monitor.core.dense`)."""
RANDOM_SEED = 20250101
TRACK_THRESHOLD_PX = 1.5
FEATURE_THRESHOLD_PX = 3.0
REFINE_ROUNDS = 2
TRACK_REFINE_MIN_BEND_PX = 1.0
"""A tracked homography that moves a frame corner this far (working px) beyond the common shift is
refined (a roll or zoom); a pure shift is not."""
PHOTOMETRIC_SHRINK = 4
"""A second round of refinement starts from a warp that is already close, and tracks more points."""
REFINE_MAX_SHIFT_PX = 6.0
"""A refined homography replaces the feature one only if, at the points that support it, it moves
them by at most this many working pixels (median)."""


@dataclass(frozen=True, slots=True)
class Alignment:
    """A trusted homography from the live frame to one reference, with its evidence.

    Attributes
    ----------
    H_live_to_ref : (3, 3) float64 array
        Maps live working pixels to reference working pixels.
    reference_index : int
        Which reference of the sequence it aligns to.
    method : AlignMethod
        The cascade stage that found it.
    inliers : int
        Agreeing point correspondences.
    inlier_ratio : float
        Agreeing share of the correspondences.
    spread : float
        Share of the live frame spanned by the agreeing points.
    confirmed_by : (3, 3) float64 array or None
        The independent second estimate that confirmed a ``partial`` alignment (None otherwise).
    """

    H_live_to_ref: Matrix
    reference_index: int
    method: AlignMethod
    inliers: int
    inlier_ratio: float
    spread: float
    confirmed_by: Matrix | None = field(default=None, repr=False)

    @property
    def confidence(self) -> float:
        """Return a confidence figure in 0..1 from the inlier count and their spread."""
        return (1.0 - math.exp(-self.inliers / 30.0)) * min(1.0, self.spread / 0.2)

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class AlignmentFailure:
    """No trusted alignment could be made; tests false and says why.

    Attributes
    ----------
    reason : str
        Why the best attempt was not trusted.
    best_inliers : int
        Agreeing correspondences of the best attempt (0 when nothing matched).
    reference_index : int
        The reference of the best attempt.
    live_xy, ref_xy : (best_inliers, 2) float32 arrays
        The best attempt's agreeing correspondences, live and reference working pixels: partial
        evidence that a second estimate may confirm (:mod:`fov_monitor.core.dense`).
    H_live_to_ref : (3, 3) float64 array or None
        The best attempt's homography (untrusted).
    recognised_points : int
        Of the best attempt's agreeing correspondences, how many an independent dense estimate put
        where they are (:mod:`fov_monitor.core.recovery`): the view is recognised in part, too little to
        measure it; 0 when not tried or none.
    """

    reason: str
    best_inliers: int = 0
    reference_index: int = 0
    live_xy: PointsXY = field(default_factory=lambda: np.zeros((0, 2), np.float32), repr=False)
    ref_xy: PointsXY = field(default_factory=lambda: np.zeros((0, 2), np.float32), repr=False)
    H_live_to_ref: Matrix | None = field(default=None, repr=False)
    recognised_points: int = 0

    def __bool__(self) -> bool:
        return False


class _LiveFrame:
    """The live working image and the features made from it, each computed at most once."""

    def __init__(self, gray: GrayImage, settings: CheckSettings) -> None:
        self.gray = gray
        self.size_wh = (int(gray.shape[1]), int(gray.shape[0]))
        self._settings = settings
        self._features: dict[AlignMethod, Keypoints] = {}

    def features(self, method: AlignMethod) -> Keypoints:
        if method not in self._features:
            if method is AlignMethod.ORB:
                self._features[method] = detect_orb(self.gray, self._settings.orb_features_live)
            elif method is AlignMethod.ORB_EQUALISED:
                self._features[method] = detect_orb_equalised(
                    self.gray, self._settings.orb_features_reference
                )
            else:
                self._features[method] = detect_sift(self.gray, self._settings.sift_features)
        return self._features[method]


def align(
    references: Sequence[Reference],
    live_gray: GrayImage,
    settings: CheckSettings,
    stages: Sequence[AlignMethod] = CASCADE,
) -> Alignment | AlignmentFailure:
    """Align a live working image to the best of a camera's references.

    Each stage is tried on every reference; the first stage that gives a confident alignment ends
    the cascade; when several references align confidently in one stage (day and night of one
    view), the one that looks most like the live frame wins. A weaker alignment (enough agreeing
    points, but few or bunched together) is kept
    while the stronger stages are tried, and returned if none of them does better.

    Parameters
    ----------
    references : sequence of Reference
        The camera's references (at least one).
    live_gray : (h, w) uint8 array
        The live frame at the working size.
    settings : CheckSettings
        Thresholds and feature counts.
    stages : sequence of AlignMethod
        The stages to try, in order (the whole cascade by default; a second, independent estimate
        asks for other stages than the first one's).

    Returns
    -------
    Alignment or AlignmentFailure
        The best alignment found, or why none was trusted.
    """
    # FLANN's randomised trees and the robust fits draw from OpenCV's per-thread generator: seed it
    # so that the same frame always gets the same verdict.
    cv2.setRNGSeed(RANDOM_SEED)
    live = _LiveFrame(live_gray, settings)
    live_track_gray = normalise_for_tracking(live_gray)
    failure = AlignmentFailure("no reference points could be followed into the live frame")
    best: Alignment | None = None
    for method in stages:
        if method is AlignMethod.ORB_EQUALISED and not is_dark_or_flat(live_gray, settings):
            continue
        confident: list[Alignment] = []
        for index, reference in enumerate(references):
            if method is AlignMethod.TRACK:
                estimate = _track(reference, live_track_gray, settings)
            else:
                ratio = RATIO_SIFT if method is AlignMethod.SIFT else RATIO_ORB
                live_xy, ref_xy = _feature_index(reference, method, settings).match(
                    live.features(method), ratio
                )
                estimate = estimate_homography(live_xy, ref_xy, FEATURE_THRESHOLD_PX, live.size_wh)
            trusted = _judge(estimate, method, reference, live.size_wh, settings, index)
            if isinstance(trusted, AlignmentFailure):
                if trusted.best_inliers >= failure.best_inliers:
                    failure = trusted
                continue
            if method is not AlignMethod.TRACK or _bends(trusted.H_live_to_ref, live.size_wh):
                for _ in range(REFINE_ROUNDS):
                    trusted = _refine(trusted, reference, live_gray, live.size_wh, settings)
            candidate = Alignment(
                trusted.H_live_to_ref, index, method, trusted.inliers, trusted.inlier_ratio, trusted.spread
            )
            if _is_confident(candidate, settings):
                confident.append(candidate)
            elif best is None or _preference(candidate) > _preference(best):
                best = candidate
        if confident:
            if len(confident) == 1:
                return confident[0]
            return _closest_in_light(confident, references, live_gray)
    return best if best is not None else failure


def is_dark_or_flat(gray: GrayImage, settings: CheckSettings) -> bool:
    """Return True if a working image is dark or flat enough to be aligned on equalised contrast.

    Parameters
    ----------
    gray : (h, w) uint8 array
        The live frame at the working size.
    settings : CheckSettings
        ``dark_luma`` and ``equalise_contrast``.
    """
    quality = measure_quality(gray)
    return quality.mean_luma < settings.dark_luma or quality.contrast < settings.equalise_contrast


def _feature_index(reference: Reference, method: AlignMethod, settings: CheckSettings) -> FeatureIndex:
    """Return the reference's index of ``method``'s features; the equalised ones are made on first use."""
    if method is not AlignMethod.ORB_EQUALISED:
        return reference.index(str(method))

    def make(gray: GrayImage) -> FeatureIndex:
        return FeatureIndex(detect_orb_equalised(gray, settings.orb_features_reference))

    return reference.cached(str(method), make)


def _track(reference: Reference, live_track_gray: GrayImage, settings: CheckSettings) -> Estimate | None:
    """Track the reference's corners into the live frame and fit a homography to them.

    When the points do not follow from where they were (the camera moved farther than tracking
    reaches, or the frame is dark and noisy), they are tracked again from where the global shift of
    the picture, found by phase correlation, puts them.

    Tracking needs images of one size: a live frame of the reference's shape at another resolution
    is resized to it (and the homography scaled back); one of another shape is left to the features.
    """
    ref_w, ref_h = reference.working_size_wh
    live_h, live_w = live_track_gray.shape
    to_ref_size = np.eye(3)
    if (live_w, live_h) != (ref_w, ref_h):
        if abs(live_w / live_h - ref_w / ref_h) > 0.01 * ref_w / ref_h:
            return None
        live_track_gray = cv2.resize(live_track_gray, (ref_w, ref_h), interpolation=cv2.INTER_AREA)
        to_ref_size = np.diag([ref_w / live_w, ref_h / live_h, 1.0])
    ref_xy, live_xy = track_points(reference.track_gray, live_track_gray, reference.track_xy)
    estimate = estimate_homography(live_xy, ref_xy, TRACK_THRESHOLD_PX, (ref_w, ref_h))
    if estimate is None or estimate.inliers < settings.track_min_inliers:
        shift_xy = global_shift(reference.track_gray, live_track_gray)
        guess = (reference.track_xy + shift_xy).astype(np.float32)
        ref_xy, live_xy = track_points(
            reference.track_gray, live_track_gray, reference.track_xy, guess, max_round_trip_px=1.0
        )
        guided = estimate_homography(live_xy, ref_xy, TRACK_THRESHOLD_PX, (ref_w, ref_h))
        if guided is not None and (estimate is None or guided.inliers > estimate.inliers):
            estimate = guided
    if estimate is None:
        return None
    back = np.array([live_w / ref_w, live_h / ref_h], np.float32)
    return Estimate(
        estimate.H_live_to_ref @ to_ref_size,
        estimate.inliers,
        estimate.inlier_ratio,
        estimate.spread,
        estimate.inlier_live_xy * back,
        estimate.inlier_ref_xy,
    )


def _preference(alignment: Alignment) -> tuple[float, float]:
    """Rank alignments that are not confident: the share of agreeing points, then the confidence."""
    return alignment.inlier_ratio, alignment.confidence


def _bends(H_live_to_ref: Matrix, live_size_wh: tuple[int, int]) -> bool:
    """Return True if the homography moves the frame's corners by more than a shift does.

    Tracking measures a shift to a fraction of a pixel, but its fixed square windows blur a roll or a
    zoom: such a tracked homography is refined like a feature one. A camera that did not move, or
    only panned a little, skips the refinement and stays on the fast path.
    """
    corners = corners_xy(live_size_wh)
    moved = project(H_live_to_ref, corners) - corners
    return float(np.abs(moved - moved.mean(axis=0)).max()) > TRACK_REFINE_MIN_BEND_PX


def _closest_in_light(
    candidates: Sequence[Alignment], references: Sequence[Reference], live_gray: GrayImage
) -> Alignment:
    """Return the confident alignment whose reference looks most like the live frame.

    Tracking on local-mean-removed images aligns a night frame to the day reference as well as to
    the night one (both agree ~100 %), so the number of agreeing points cannot choose. The mean
    absolute gray-level difference between the aligned live frame and each reference, at a quarter
    of the working size, can: it sees exposure, IR rendering and noise. Only a camera with several
    references that all align pays for it.
    """
    return min(
        candidates,
        key=lambda found: (
            photometric_distance(references[found.reference_index].gray, live_gray, found.H_live_to_ref),
            -found.inlier_ratio,
        ),
    )


def photometric_distance(reference_gray: GrayImage, live_gray: GrayImage, H_live_to_ref: Matrix) -> float:
    """Return the mean absolute gray-level difference of the live frame warped onto the reference.

    Parameters
    ----------
    reference_gray, live_gray : (h, w) uint8 arrays
        The working images.
    H_live_to_ref : (3, 3) float64 array
        Live working pixels to reference working pixels.

    Returns
    -------
    float
        0..255, measured at a quarter of the reference's size over the part the live view covers;
        255 when the view covers none of it.
    """
    height, width = reference_gray.shape
    small_wh = (max(8, width // PHOTOMETRIC_SHRINK), max(8, height // PHOTOMETRIC_SHRINK))
    to_small = np.diag([small_wh[0] / width, small_wh[1] / height, 1.0])
    warp = to_small @ H_live_to_ref
    small_ref = cv2.resize(reference_gray, small_wh, interpolation=cv2.INTER_AREA)
    small_live = cv2.warpPerspective(live_gray, warp, small_wh, flags=cv2.INTER_AREA)
    covered = cv2.warpPerspective(np.full(live_gray.shape, 255, np.uint8), warp, small_wh) == 255
    if not covered.any():
        return 255.0
    return float(np.mean(cv2.absdiff(small_live, small_ref)[covered]))


def _is_confident(alignment: Alignment, settings: CheckSettings) -> bool:
    return alignment.inliers >= settings.track_min_inliers and alignment.spread >= settings.confident_spread


def _judge(
    estimate: Estimate | None,
    method: AlignMethod,
    reference: Reference,
    live_size_wh: tuple[int, int],
    settings: CheckSettings,
    reference_index: int,
) -> Estimate | AlignmentFailure:
    if estimate is None:
        return AlignmentFailure(f"{method}: too few matching points", reference_index=reference_index)

    def failure(reason: str) -> AlignmentFailure:
        return AlignmentFailure(
            f"{method}: {reason}",
            estimate.inliers,
            reference_index,
            estimate.inlier_live_xy,
            estimate.inlier_ref_xy,
            estimate.H_live_to_ref,
        )

    if estimate.inliers < settings.min_inliers:
        return failure(f"only {estimate.inliers} points agree (need {settings.min_inliers})")
    if estimate.spread < settings.min_spread:
        return failure(f"agreeing points cover {estimate.spread:.1%} of the frame")
    problem = degeneracy(estimate.H_live_to_ref, live_size_wh, reference.working_size_wh, settings.max_zoom)
    if problem:
        return failure(problem)
    return estimate


def _refine(
    estimate: Estimate,
    reference: Reference,
    live_gray: GrayImage,
    live_size_wh: tuple[int, int],
    settings: CheckSettings,
) -> Estimate:
    """Sharpen a feature homography: warp the live frame onto the reference and track the residual.

    After the warp, what is left to find is a small, nearly rigid offset, which tracking measures
    to a fraction of a pixel even where the camera's viewpoint changed. The result is kept only if
    it agrees with the feature homography.
    """
    ref_w, ref_h = reference.working_size_wh
    warped = cv2.warpPerspective(
        live_gray,
        estimate.H_live_to_ref,
        (ref_w, ref_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    view = project(estimate.H_live_to_ref, corners_xy(live_size_wh)).astype(np.float32)
    inside = (
        np.array(
            [
                cv2.pointPolygonTest(view.reshape(-1, 1, 2), (float(x), float(y)), True) > 8.0
                for x, y in reference.track_xy
            ],
            bool,
        )
        if len(reference.track_xy)
        else np.zeros(0, bool)
    )
    if inside.sum() < settings.min_inliers:
        return estimate
    ref_xy, warped_xy = track_points(
        reference.track_gray,
        normalise_for_tracking(warped),
        reference.track_xy[inside],
        max_round_trip_px=1.0,
    )
    if len(ref_xy) < settings.min_inliers:
        return estimate
    correction, mask = cv2.findHomography(
        warped_xy, ref_xy, cv2.USAC_MAGSAC, 1.0, maxIters=1000, confidence=0.999
    )
    if correction is None or mask is None or int(mask.sum()) < settings.min_inliers:
        return estimate
    inlier_mask = mask.ravel().astype(bool)
    # Where there is evidence (the agreeing points), the correction must be small: refinement
    # sharpens an alignment, it does not replace it.
    shift = np.linalg.norm(ref_xy[inlier_mask] - warped_xy[inlier_mask], axis=1)
    if float(np.median(shift)) > REFINE_MAX_SHIFT_PX:
        return estimate
    refined_H = correction @ estimate.H_live_to_ref
    refined_H /= refined_H[2, 2]
    width, height = live_size_wh
    if degeneracy(refined_H, live_size_wh, reference.working_size_wh, settings.max_zoom):
        return estimate
    live_points = project(np.linalg.inv(refined_H), warped_xy[inlier_mask].astype(np.float64)).astype(
        np.float32
    )
    hull_area = float(cv2.contourArea(cv2.convexHull(live_points.reshape(-1, 1, 2))))
    inliers = int(inlier_mask.sum())
    return Estimate(
        refined_H,
        max(inliers, estimate.inliers),
        inliers / len(ref_xy),
        max(estimate.spread, hull_area / float(width * height)),
    )
