"""The quality gate: measure the live frame against its reference for tampering.

Everything is relative to the camera's own reference, not to fixed absolute levels, which fail on
plain or dark scenes. The kinds are looked for in this order, and the first one found is the verdict
(:class:`~fov_monitor.core.result.TamperKind`):

1. ``black``: no picture at all (a black frame or no signal), while a reference shows one.
2. ``frozen``: the picture repeats the previous grab within encoding noise (needs the previous
   grab's :class:`~fov_monitor.core.fingerprint.FrameFingerprint`; without it, cannot tell).
3. ``blinded``: glare saturates a share of the view the reference does not.
4. ``covered``: where the reference shows structure, the live frame shows none that matches it.
5. ``defocused``: the fine detail is gone, relative to the reference, while the coarse structure
   still matches.

Black, frozen and blinded hide everything else and are judged before alignment (and save its
cost). Covered and defocused are judged on the aligned frame, or, when it does not align, with the
camera assumed unmoved, before any "redirected" or "unverifiable" verdict: a covered lens is not a
redirected camera.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.features import strong_corners
from fov_monitor.core.homography import Matrix, corners_xy, project
from fov_monitor.core.imaging import GrayImage
from fov_monitor.core.quality import measure_detail, noise_level
from fov_monitor.core.reference import Reference
from fov_monitor.core.result import Tamper, TamperKind
from fov_monitor.core.settings import CheckSettings

BLACK_PEAK = 24
"""A frame whose 99th-percentile gray level is at most this shows no picture."""
SATURATED_LEVEL = 240
NEIGHBOURHOOD_SIGMA = 3.0
"""The view is compared in neighbourhoods of this Gaussian size at a quarter of the working size
(about 1/25 of the width): fine enough to measure a cover's share, wide enough to hold structure."""
LIT_LEVEL = 24.0
"""A neighbourhood darker than this in the live frame is no evidence either way (night, shadow)."""
BAND_SIGMAS = (2.0, 8.0)
"""Coarse structure (difference of Gaussians, half working size): a defocus a person would call
blurred leaves it, an opaque cover or a translucent one (which diffuses the scene) removes it."""
TEXTURED = 1.5
"""Smallest structure (standard deviation of the band, gray levels) of a reference cell that can
show whether it is covered."""
MATCHING_CELL = 0.4
"""A neighbourhood whose structure correlates less than this with the reference's ..."""
WEAK_CELL = 0.5
"""... and is weaker than this share of the reference's (after the exposure's gain) is covered."""
FADED_CELL = 0.3
"""A neighbourhood whose structure fell under this share, whatever its correlation, is covered: a
translucent cover leaves a faint wash of the scene."""
LAPLACIAN_NOISE_GAIN = 20.0
"""Variance of the 4-neighbour Laplacian of white noise of variance 1."""
SHARPNESS_GRID = (6, 4)
"""Cells (columns, rows) the view's sharpness is measured in."""
SHARP_CELLS = 0.75
"""The quantile of the cells' sharpness that stands for the view: its sharper parts (see
:func:`_sharpness`)."""
SMOOTH_CELL = 0.35
"""A neighbourhood counts as covered only where the live frame's finest detail fell under this share
of the reference's: a cover at the lens is out of focus and smooth, the leaves of a tree that grew in
front of a house are not."""
FINE_SIGMA = 1.0
"""The finest detail: what a Gaussian of this size (half-size pixels) smooths away."""
FINE_NOISE_GAIN = 0.76
"""Share of white noise's variance that passes the fine-detail filter (the image minus its Gaussian of
:data:`FINE_SIGMA`: 1 - 2 g(0) + sum g^2 = 1 - 1/(2 pi) + 1/(4 pi) for sigma 1)."""
HIDDEN_CORNER_DENSITY = 0.45
"""A cover hides the scene's corners with it: the share of the reference's strong corners (see
:func:`~fov_monitor.core.features.strong_corners`) that lie in the
covered cells must be at least this share of the covered area's share. Weather takes soft structure
that holds few corners: clouds that a hazy sky no longer shows held 1.5 % of the reference's corners
in 26 % of the view (0.06) on ``webcams/mexico``; a cover over any part of a scene holds about its
share (0.6-1.3 over the covers of ``benchmarks/conditions.py``)."""
MIN_CORNERS_TO_WEIGH = 12
"""With fewer reference corners than this in the comparable view, the covered area is judged alone."""


@dataclass(frozen=True, slots=True)
class ViewComparison:
    """The live frame compared with one reference, cell by cell.

    Attributes
    ----------
    covered_fraction : float
        Share of the comparable cells whose structure is gone, 0..1.
    faded_fraction : float
        Share of the comparable view whose structure fell under half the reference's, exposure not
        discounted.
    comparable_share : float
        Share of the reference's working area that can show a cover: structure in the reference,
        inside the live view, lit in the live frame.
    sharpness_ratio : float
        Fine detail of the live frame as a share of the reference's (noise discounted); 1 is as
        sharp, below 0.4 is clearly blurred.
    hidden_corner_share : float or None
        Share of the reference's corners in the comparable view that lie in covered cells; None
        when the comparable view holds too few corners to weigh.
    """

    covered_fraction: float
    faded_fraction: float
    comparable_share: float
    sharpness_ratio: float
    hidden_corner_share: float | None = None

    @property
    def hides_corners(self) -> bool:
        """True if the covered cells hold the reference's corners as a cover would (see
        :data:`HIDDEN_CORNER_DENSITY`), or if there are too few corners to tell."""
        if self.hidden_corner_share is None:
            return True
        return self.hidden_corner_share >= HIDDEN_CORNER_DENSITY * self.covered_fraction


def exposure_tamper(
    live_gray: GrayImage, references: Sequence[Reference], settings: CheckSettings
) -> Tamper | None:
    """Return ``black`` or ``blinded`` when the live frame's exposure hides the view, else None.

    Parameters
    ----------
    live_gray : (h, w) uint8 array
        The live frame at the working size.
    references : sequence of Reference
        The camera's references; the frame is black only if one of them shows a picture, blinded
        only if it is saturated beyond all of them.
    settings : CheckSettings
        ``blinded_share``.
    """
    peak, saturated, mean = _levels(live_gray)
    brightest = max(ref.quality.mean_luma for ref in references)
    if peak <= BLACK_PEAK and brightest >= 2.0 * mean + 8.0:
        return Tamper(TamperKind.BLACK, mean, f"black: mean gray level {mean:.0f}")
    excess = saturated - min(ref.cached("tamper_levels", _levels)[1] for ref in references)
    if excess >= settings.blinded_share and _glare_hides_corners(live_gray, references, excess):
        return Tamper(TamperKind.BLINDED, excess, f"blinded {excess:.0%}")
    return None


def _glare_hides_corners(live_gray: GrayImage, references: Sequence[Reference], excess: float) -> bool:
    """Return True if the newly saturated part of the view holds the reference's corners as glare would.

    Glare into the lens washes out whatever lies under it; a hazy or overcast sky that the camera
    renders white is saturated too, but holds few of the scene's corners. Taken with the camera
    unmoved (black, frozen and blinded are judged before alignment), against each reference: the
    least damning one counts.
    """
    for reference in references:
        corners = reference.cached("strong_corners", strong_corners)
        live = live_gray
        if live.shape != reference.gray.shape:
            live = cv2.resize(live_gray, reference.working_size_wh, interpolation=cv2.INTER_AREA)
        column = np.clip(corners[:, 0].astype(np.intp), 0, live.shape[1] - 1)
        row = np.clip(corners[:, 1].astype(np.intp), 0, live.shape[0] - 1)
        if len(corners) < MIN_CORNERS_TO_WEIGH:
            continue
        washed = cv2.blur(live, (5, 5))[row, column] >= SATURATED_LEVEL
        if float(washed.mean()) < HIDDEN_CORNER_DENSITY * excess:
            return False
    return True


def view_tamper(
    reference: Reference,
    live_gray: GrayImage,
    H_live_to_ref: Matrix | None,
    settings: CheckSettings,
) -> tuple[Tamper | None, ViewComparison | None]:
    """Return ``covered`` or ``defocused`` from a comparison of the live view with a reference.

    Parameters
    ----------
    reference : Reference
        The reference the live frame aligned to (or, unaligned, the one to compare with).
    live_gray : (h, w) uint8 array
        The live frame at the working size.
    H_live_to_ref : (3, 3) float64 array or None
        Live working pixels to reference working pixels; None when the frame did not align, in
        which case the camera is taken as unmoved (a live frame of another shape is not compared).
    settings : CheckSettings
        ``covered_share`` and ``defocus_ratio``.

    Returns
    -------
    Tamper or None, ViewComparison or None
        The finding, and the comparison it rests on (None when the two could not be compared).
    """
    comparison = compare_view(reference, live_gray, H_live_to_ref)
    if comparison is None or comparison.comparable_share < settings.min_comparable_share:
        return None, comparison
    if comparison.covered_fraction >= settings.covered_share and comparison.hides_corners:
        share = comparison.covered_fraction
        return Tamper(TamperKind.COVERED, share, f"covered {share:.0%}"), comparison
    if comparison.sharpness_ratio < settings.defocus_ratio and comparison.faded_fraction >= 0.9:
        # Blurred and faded all over: a translucent cover over the whole lens (a bag, spray). A
        # defocus alone keeps the coarse structure's contrast; dusk keeps the fine detail.
        share = comparison.faded_fraction
        return Tamper(TamperKind.COVERED, share, f"covered {share:.0%} (translucent)"), comparison
    if comparison.sharpness_ratio < settings.defocus_ratio:
        ratio = comparison.sharpness_ratio
        return Tamper(TamperKind.DEFOCUSED, ratio, f"defocused: sharpness {ratio:.0%} of the reference"), (
            comparison
        )
    return None, comparison


def compare_view(
    reference: Reference, live_gray: GrayImage, H_live_to_ref: Matrix | None
) -> ViewComparison | None:
    """Compare the live frame with a reference cell by cell; None if they cannot be compared.

    See :func:`view_tamper` for the parameters.
    """
    ref_w, ref_h = reference.working_size_wh
    live_h, live_w = live_gray.shape
    if H_live_to_ref is None:
        if abs(live_w / live_h - ref_w / ref_h) > 0.01 * ref_w / ref_h:
            return None
        H_live_to_ref = np.diag([ref_w / live_w, ref_h / live_h, 1.0])
    half_wh = (max(16, ref_w // 2), max(16, ref_h // 2))
    to_half = np.diag([half_wh[0] / ref_w, half_wh[1] / ref_h, 1.0])
    warp = to_half @ H_live_to_ref
    identity = _is_identity(warp, (live_w, live_h), half_wh)
    if identity:
        live_half = cv2.resize(live_gray, half_wh, interpolation=cv2.INTER_AREA)
        inside_everywhere = True
    else:
        live_half = cv2.warpPerspective(live_gray, warp, half_wh, flags=cv2.INTER_LINEAR)
        mask = np.full(live_gray.shape, 1.0, np.float32)
        inside = cv2.warpPerspective(mask, warp, half_wh, flags=cv2.INTER_NEAREST)
        inside_everywhere = False
    ref_band = reference.cached("tamper_band", lambda gray: _band(_half(gray)))
    ref_std = reference.cached("tamper_band_std", lambda gray: np.sqrt(_local_mean(ref_band * ref_band)))
    live_band = _band(live_half)
    live_std = np.sqrt(_local_mean(live_band * live_band))
    correlation = _local_mean(ref_band * live_band) / np.maximum(ref_std * live_std, 1e-6)
    lit = _local_mean(live_half.astype(np.float32)) >= LIT_LEVEL
    comparable = (ref_std >= TEXTURED) & lit
    if not inside_everywhere:
        comparable &= _local_mean(inside) >= 0.99
    ratio = live_std / np.maximum(ref_std, 1e-6)
    matching = comparable & (correlation >= 0.8)
    # Exposure scales structure everywhere (dusk, night): judge weakness against the gain of the
    # parts that still match, when there are any. The upper quartile, because a translucent cover
    # also leaves matching, but faint, structure over most of the view.
    enough = bool(matching.any()) and matching.sum() >= 0.05 * comparable.sum()
    gain = float(np.percentile(ratio[matching], 75)) if enough else 1.0
    gain = min(1.0, gain)
    # An object at the lens is far out of focus: where it hides the scene, the picture is smooth.
    # Foliage that grew, a crowd or traffic hide structure too, but with fine detail of their own.
    ref_fine = reference.cached("tamper_fine", lambda gray: _fine_std(_half(gray)))
    live_fine = _fine_std(live_half, noise_level(live_half))
    smooth = live_fine < SMOOTH_CELL * np.maximum(ref_fine, 1e-6)
    covered = (
        comparable
        & smooth
        & (((correlation < MATCHING_CELL) & (ratio < WEAK_CELL * gain)) | (ratio < FADED_CELL * gain))
    )
    count = int(comparable.sum())
    # Unmoved and at the reference's size, the live band just computed is the one sharpness needs.
    same_half = identity and half_wh == (max(16, live_w // 2), max(16, live_h // 2))
    live_sharp = _sharpness(_at_reference_scale(live_gray, H_live_to_ref), live_band if same_half else None)
    ref_sharp = reference.cached("tamper_sharpness", _sharpness)
    # Defocused only if both the whole view and its sharper parts lost their fine detail: a defocus
    # blurs near and far alike, haze and rain only what is far.
    sharpness = max(live / max(ref, 1e-6) for live, ref in zip(live_sharp, ref_sharp, strict=True))
    faded = comparable & (ratio < WEAK_CELL)
    return ViewComparison(
        covered_fraction=float(covered.sum()) / count if count else 0.0,
        faded_fraction=float(faded.sum()) / count if count else 0.0,
        comparable_share=count / comparable.size,
        sharpness_ratio=float(sharpness),
        hidden_corner_share=_hidden_corner_share(reference, comparable, covered),
    )


def _hidden_corner_share(
    reference: Reference, comparable: NDArray[np.bool_], covered: NDArray[np.bool_]
) -> float | None:
    """Return the share of the reference's corners in comparable cells that lie in covered cells."""
    corners = reference.cached("strong_corners", strong_corners)
    ref_w, ref_h = reference.working_size_wh
    rows, cols = comparable.shape
    col = np.clip((corners[:, 0] * cols / ref_w).astype(np.intp), 0, cols - 1)
    row = np.clip((corners[:, 1] * rows / ref_h).astype(np.intp), 0, rows - 1)
    weighed = int(comparable[row, col].sum())
    if weighed < MIN_CORNERS_TO_WEIGH:
        return None
    return float(covered[row, col].sum()) / weighed


def _at_reference_scale(live_gray: GrayImage, H_live_to_ref: Matrix) -> GrayImage:
    """Return the live frame shrunk to the reference's scale when the view is zoomed in.

    A zoomed view shows each scene detail on more pixels; measured at its own scale it would look
    blurred against the reference even when in focus.
    """
    live_h, live_w = live_gray.shape
    x, y = live_w / 2, live_h / 2
    step = project(H_live_to_ref, np.array([[x, y], [x + 1.0, y], [x, y + 1.0]]))
    (ax, ay), (bx, by) = step[1] - step[0], step[2] - step[0]
    area = abs(float(ax * by - ay * bx))
    zoom = 1.0 / math.sqrt(max(area, 1e-9))
    if zoom < 1.1:
        return live_gray
    size_wh = (max(16, round(live_w / zoom)), max(16, round(live_h / zoom)))
    return cv2.resize(live_gray, size_wh, interpolation=cv2.INTER_AREA)  # type: ignore[no-any-return]


def _levels(gray: GrayImage) -> tuple[int, float, float]:
    """Return the 99th-percentile gray level, the saturated share and the mean of an image."""
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    total = max(1.0, float(histogram.sum()))
    peak = int(np.searchsorted(np.cumsum(histogram) / total, 0.99))
    saturated = float(histogram[SATURATED_LEVEL:].sum()) / total
    mean = float(np.dot(histogram, np.arange(256))) / total
    return peak, saturated, mean


def _is_identity(warp: Matrix, live_wh: tuple[int, int], half_wh: tuple[int, int]) -> bool:
    plain = np.diag([half_wh[0] / live_wh[0], half_wh[1] / live_wh[1], 1.0])
    corners = corners_xy(live_wh)
    return float(np.abs(project(warp, corners) - project(plain, corners)).max()) < 0.25


def _half(gray: GrayImage) -> GrayImage:
    height, width = gray.shape
    return cv2.resize(gray, (max(16, width // 2), max(16, height // 2)), interpolation=cv2.INTER_AREA)  # type: ignore[no-any-return]


def _band(gray: GrayImage) -> NDArray[np.float32]:
    image = gray.astype(np.float32)
    fine = cv2.GaussianBlur(image, (0, 0), BAND_SIGMAS[0])
    coarse = cv2.GaussianBlur(image, (0, 0), BAND_SIGMAS[1])
    return fine - coarse  # type: ignore[no-any-return]


def _local_mean(image: NDArray[np.float32]) -> NDArray[np.float32]:
    """Return the neighbourhood mean of a half-size map, at a quarter of the working size."""
    height, width = image.shape
    small = cv2.resize(image, (max(8, width // 2), max(8, height // 2)), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(small, (0, 0), NEIGHBOURHOOD_SIGMA)  # type: ignore[no-any-return]


def _fine_std(half: GrayImage, noise: float = 0.0) -> NDArray[np.float32]:
    """Return the neighbourhood spread of a half-size image's finest detail, sensor noise discounted."""
    image = half.astype(np.float32)
    fine = image - cv2.GaussianBlur(image, (0, 0), FINE_SIGMA)
    energy = _local_mean(fine * fine) - np.float32(FINE_NOISE_GAIN * noise * noise)
    return np.sqrt(np.maximum(energy, 0.0))  # type: ignore[no-any-return]


def _cell_means(image: NDArray[np.float32], cols: int, rows: int) -> NDArray[np.float32]:
    """Return the mean of each cell of a ``cols`` x ``rows`` grid over the image's centre.

    The image is cut to whole cells first (a few pixels at its edges left out): OpenCV averages
    whole blocks six times faster than fractional ones.
    """
    height, width = image.shape
    cell_h, cell_w = max(1, height // rows), max(1, width // cols)
    top, left = (height - cell_h * rows) // 2, (width - cell_w * cols) // 2
    centre = image[top : top + cell_h * rows, left : left + cell_w * cols]
    return cv2.resize(centre, (cols, rows), interpolation=cv2.INTER_AREA)  # type: ignore[no-any-return]


def _sharpness(gray: GrayImage, band_of_half: NDArray[np.float32] | None = None) -> tuple[float, float]:
    """Return fine detail over coarse structure, noise discounted: the whole view, and its sharper parts.

    The Laplacian's spread over the band's: exposure and contrast scale both alike, so the ratio is
    left to what focus does (a blur takes the fine detail long before the coarse structure). The
    second figure is the :data:`SHARP_CELLS` quantile of the same ratio over the cells of a
    :data:`SHARPNESS_GRID` that hold structure. ``band_of_half`` is ``_band(_half(gray))`` when the
    caller has it already.
    """
    laplacian = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    noise_var = LAPLACIAN_NOISE_GAIN * noise_level(gray) ** 2
    band = _band(_half(gray)) if band_of_half is None else band_of_half
    fine_var = float(cv2.meanStdDev(laplacian)[1][0][0]) ** 2
    whole = math.sqrt(max(0.0, fine_var - noise_var)) / max(float(cv2.meanStdDev(band)[1][0][0]), 0.5)
    cols, rows = SHARPNESS_GRID
    fine = _cell_means(laplacian * laplacian, cols, rows)
    fine_mean = _cell_means(laplacian, cols, rows)
    coarse = np.sqrt(_cell_means(band * band, cols, rows))
    signal = np.sqrt(np.maximum(0.0, fine - fine_mean * fine_mean - noise_var))
    structured = coarse >= TEXTURED
    if not structured.any():
        return whole, whole
    return whole, float(np.quantile(signal[structured] / np.maximum(coarse[structured], 0.5), SHARP_CELLS))


STABLE_CELL = 0.8
"""A neighbourhood of the reference whose structure another frame repeats with at least this
correlation stayed the same between the two."""


def stable_structure(reference: Reference, others: Sequence[GrayImage]) -> float:
    """Return the share of the view whose structure stays the same in every other frame of the view.

    Enrolment grabs several frames over a span: water, foliage in the wind, traffic and people move,
    buildings, kerbs and poles stay. A cell counts when the reference shows structure there and
    every other frame (taken with the camera unmoved) repeats it.

    Parameters
    ----------
    reference : Reference
        The reference, prepared from the first frame.
    others : sequence of (h, w) uint8 arrays
        The other frames at the working size, of the reference's aspect.

    Returns
    -------
    float
        0..1, a share of the whole view.
    """
    ref_band = reference.cached("tamper_band", lambda gray: _band(_half(gray)))
    ref_std = reference.cached("tamper_band_std", lambda gray: np.sqrt(_local_mean(ref_band * ref_band)))
    stable = ref_std >= TEXTURED
    half_wh = (ref_band.shape[1], ref_band.shape[0])
    for gray in others:
        live_band = _band(cv2.resize(gray, half_wh, interpolation=cv2.INTER_AREA))
        live_std = np.sqrt(_local_mean(live_band * live_band))
        correlation = _local_mean(ref_band * live_band) / np.maximum(ref_std * live_std, 1e-6)
        stable &= correlation >= STABLE_CELL
    return float(stable.mean())


def assess_reference(reference: Reference, settings: CheckSettings | None = None) -> list[str]:
    """Return warnings about a reference that weakens the checks against it (empty when it is fine).

    Meant for enrolment: a reference that is itself dark, blurred or plain cannot show a cover or a
    defocus later, and the checks against it end ``unverifiable`` rather than with a wrong verdict.

    Parameters
    ----------
    reference : Reference
        The prepared reference.
    settings : CheckSettings, optional
        The settings the checks will run with.

    Returns
    -------
    list of str
        One-line warnings naming the reference, the figure and what to do.
    """
    settings = settings or CheckSettings()
    name = f"reference {reference.label!r}"
    warnings = []
    quality = measure_detail(reference.gray, reference.quality)
    if quality.mean_luma < settings.dark_luma:
        warnings.append(
            f"{name} is dark (mean gray level {quality.mean_luma:.0f}); enrol a daylight reference beside it"
        )
    if quality.detail is not None and quality.detail < settings.min_detail:
        warnings.append(
            f"{name} has distinct corners in only {quality.detail:.0%} of the frame: out of focus or plain; "
            "refocus the camera and enrol again"
        )
    if len(reference.track_xy) < settings.track_min_inliers:
        warnings.append(
            f"{name} has {len(reference.track_xy)} trackable corners (fast path needs "
            f"{settings.track_min_inliers}); checks will be slower and less certain"
        )
    comparison = compare_view(reference, reference.gray, None)
    if comparison is None or comparison.comparable_share < settings.min_comparable_share:
        share = comparison.comparable_share if comparison else 0.0
        warnings.append(
            f"{name} shows structure in {share:.0%} of the view: covers and defocus cannot be "
            "told against it; enrol a view with more detail"
        )
    return warnings
