"""A camera's reference view with its features computed once, at the working size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.features import (
    FeatureIndex,
    Keypoints,
    PointsXY,
    detect_orb,
    detect_sift,
    normalise_for_tracking,
    select_track_points,
)
from fov_monitor.core.imaging import GrayImage, to_working_gray
from fov_monitor.core.quality import measure_quality
from fov_monitor.core.result import FrameQuality
from fov_monitor.core.settings import CheckSettings

T = TypeVar("T")
Matrix = NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Reference:
    """A reference image of one camera in one condition, prepared for fast checks.

    Build it with :meth:`from_image`; keep it (in memory, or on disk with
    :func:`fov_monitor.store.reference_cache.save_reference`) and pass it to every check of the camera.
    Its feature indexes are built on first use and kept; share a reference between processes, not
    between threads checking at the same time.

    Attributes
    ----------
    label : str
        What the reference shows: ``"day"``, ``"night"``, a PTZ preset name.
    size_wh : (int, int)
        Width and height of the original reference image, pixels; the permit is drawn in these.
    scale : float
        Working pixels per reference pixel.
    gray : (h, w) uint8 array
        The reference at the working size.
    track_xy : (N, 2) float32 array
        Corner points the fast path tracks, working pixels.
    orb : Keypoints
        ORB features of ``gray``.
    sift : Keypoints
        SIFT features of ``gray`` after contrast equalisation
        (see :func:`~fov_monitor.core.features.detect_sift`).
    quality : FrameQuality
        Exposure and texture of the reference.
    working_width : int
        The working width the features were computed at.
    track_gray : (h, w) uint8 array
        ``gray`` normalised for tracking (derived, see
        :func:`~fov_monitor.core.features.normalise_for_tracking`).
    to_base : (3, 3) float64 array or None
        For a reference the camera's bank learned (:mod:`fov_monitor.core.bank`): its pixels to the
        pixels of the approved base reference, as verified against it; None for a reference of the
        base's own framing (the base itself, one a technician captured).
    """

    label: str
    size_wh: tuple[int, int]
    scale: float
    gray: GrayImage
    track_xy: PointsXY
    orb: Keypoints
    sift: Keypoints
    quality: FrameQuality
    working_width: int
    to_base: Matrix | None = None
    track_gray: GrayImage = field(init=False, repr=False)
    _indexes: dict[str, FeatureIndex] = field(default_factory=dict, init=False, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "track_gray", normalise_for_tracking(self.gray))

    @classmethod
    def from_image(
        cls,
        image: np.ndarray,
        *,
        label: str = "day",
        settings: CheckSettings | None = None,
        to_base: Matrix | None = None,
    ) -> Reference:
        """Prepare a reference from an image.

        Parameters
        ----------
        image : (H, W) or (H, W, 3|4) array
            Gray, BGR or BGRA; uint8, uint16 or float.
        label : str
            What the reference shows (``"day"``, ``"night"``, a preset name).
        settings : CheckSettings, optional
            Feature counts and working size; the defaults when omitted.
        to_base : (3, 3) array, optional
            For a learned reference, its pixels to the base reference's (see :attr:`to_base`).

        Returns
        -------
        Reference

        Raises
        ------
        InvalidImageError
            When ``image`` is not a usable image.
        """
        settings = settings or CheckSettings()
        working = to_working_gray(image, settings.working_width, what=f"reference {label!r}")
        return cls(
            label=label,
            size_wh=working.size_wh,
            scale=working.scale,
            gray=working.gray,
            track_xy=select_track_points(working.gray, settings.track_points),
            orb=detect_orb(working.gray, settings.orb_features_reference),
            sift=detect_sift(working.gray, settings.sift_features),
            quality=replace(measure_quality(working.gray), chroma=working.chroma),
            working_width=settings.working_width,
            to_base=None if to_base is None else np.asarray(to_base, np.float64),
        )

    def index(self, kind: str) -> FeatureIndex:
        """Return the nearest-neighbour index of the ``"orb"`` or ``"sift"`` features, built on first use."""
        if kind not in self._indexes:
            self._indexes[kind] = FeatureIndex(self.orb if kind == "orb" else self.sift)
        return self._indexes[kind]

    def cached(self, key: str, make: Callable[[GrayImage], T]) -> T:
        """Return ``make(self.gray)``, computed on first use under ``key`` and kept (not saved to disk)."""
        if key not in self._derived:
            self._derived[key] = make(self.gray)
        return self._derived[key]  # type: ignore[no-any-return]

    @property
    def working_size_wh(self) -> tuple[int, int]:
        """Return ``(width, height)`` of the working image."""
        return int(self.gray.shape[1]), int(self.gray.shape[0])
