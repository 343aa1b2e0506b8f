"""Tunable figures of the check, in one frozen settings object passed down from the caller."""

from __future__ import annotations

from dataclasses import dataclass, fields

from fov_monitor.errors import InvalidSettingsError


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Settings of reference preparation, alignment and the verdict.

    The defaults are the measured ones (see ``benchmarks/accuracy.py``); change them only with a
    benchmark run to show why.

    Attributes
    ----------
    working_width : int
        Width in pixels of the gray image everything is measured on.
    track_points : int
        Reference points tracked into the live frame by the fast path.
    track_min_inliers : int
        Tracked points that must agree with one homography for the fast path to be trusted.
    orb_features_reference, orb_features_live : int
        ORB features kept on the reference and on the live frame (second stage).
    sift_features : int
        SIFT features on the reference and on the live frame (third stage).
    min_inliers : int
        Matched features that must agree with one homography for a feature stage to be trusted.
    min_spread : float
        Share of the live frame the agreeing points must span (convex hull) to be trusted.
    confident_spread : float
        Share of the live frame the agreeing points must span for an alignment to end the cascade;
        a narrower one is kept while the stronger stages are tried.
    max_zoom : float
        Largest zoom factor (and smallest, as its inverse) a homography may imply before it is taken
        for a false match.
    dark_luma : float
        Mean gray level under which a frame that does not align is "too dark" (with low contrast).
    flat_contrast : float
        Gray-level spread (1st..99th percentile) under which a frame is too dark or too flat.
    equalise_contrast : float
        Gray-level spread under which a live frame (or a mean under ``dark_luma``) that no stage
        aligned confidently is tried once more on contrast-equalised images.
    plain_texture : float
        Texture figure (see :class:`~fov_monitor.core.result.FrameQuality`) under which a frame is too plain
        to support a verdict.
    min_detail : float
        Share of the frame's grid cells that must hold a distinct corner for a frame that does not
        align to count as another scene ("redirected") rather than unverifiable.
    drift_warning : float
        Share of the tolerance from which a compliant view is reported as drifting.
    covered_share : float
        Share of the comparable view whose structure is gone from which the camera is covered.
    defocus_ratio : float
        Sharpness as a share of the reference's under which the camera is defocused.
    blinded_share : float
        Share of the view saturated beyond the reference's from which the camera is blinded.
    min_comparable_share : float
        Share of the reference with structure, in view and lit, that a covered or defocused verdict
        needs.
    """

    working_width: int = 640
    track_points: int = 200
    track_min_inliers: int = 40
    orb_features_reference: int = 2500
    orb_features_live: int = 1000
    sift_features: int = 1500
    min_inliers: int = 16
    min_spread: float = 0.02
    confident_spread: float = 0.1
    max_zoom: float = 8.0
    dark_luma: float = 40.0
    flat_contrast: float = 12.0
    equalise_contrast: float = 64.0
    plain_texture: float = 0.6
    min_detail: float = 0.08
    drift_warning: float = 0.5
    covered_share: float = 0.25
    defocus_ratio: float = 0.4
    blinded_share: float = 0.3
    min_comparable_share: float = 0.1

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if not isinstance(value, int | float) or value <= 0:
                raise InvalidSettingsError(f"setting {spec.name} must be a positive number, got {value!r}")
        if self.working_width < 64:
            raise InvalidSettingsError(
                f"setting working_width must be at least 64 px, got {self.working_width}"
            )
        for name in (
            "min_spread",
            "confident_spread",
            "drift_warning",
            "min_detail",
            "covered_share",
            "defocus_ratio",
            "blinded_share",
            "min_comparable_share",
        ):
            if getattr(self, name) >= 1:
                raise InvalidSettingsError(
                    f"setting {name} must be a share below 1, got {getattr(self, name)!r}"
                )
        if self.max_zoom <= 1:
            raise InvalidSettingsError(f"setting max_zoom must exceed 1, got {self.max_zoom}")
