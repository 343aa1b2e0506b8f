"""What a check says about one live frame: the status, the measured quantities and the reasons."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from fov_monitor.core.fingerprint import FrameFingerprint


class Status(enum.StrEnum):
    """The verdict on a live frame, from best to worst."""

    COMPLIANT = "compliant"
    """Aligned with confidence; the live view lies inside the permit within tolerance."""
    REDIRECTED = "redirected"
    """The view reaches outside the permit, or a good frame matches no reference ("not recognised")."""
    ZONE_EXPOSED = "zone_exposed"
    """A privacy zone is visible."""
    TAMPERED = "tampered"
    """The camera is covered, defocused, blinded, black or frozen."""
    UNVERIFIABLE = "unverifiable"
    """The frame itself cannot support a verdict (too dark, too plain)."""

    @property
    def non_compliant(self) -> bool:
        """True when the view breaks the permit: redirected, zone exposed or tampered."""
        return self in (Status.REDIRECTED, Status.ZONE_EXPOSED, Status.TAMPERED)


class Outcome(enum.StrEnum):
    """A camera's outcome in a scan run: a verdict's :class:`Status`, or why there is none (a superset).

    The verdicts' values are :class:`Status`'s own, not spelt again.
    """

    COMPLIANT = Status.COMPLIANT.value
    REDIRECTED = Status.REDIRECTED.value
    ZONE_EXPOSED = Status.ZONE_EXPOSED.value
    TAMPERED = Status.TAMPERED.value
    UNVERIFIABLE = Status.UNVERIFIABLE.value
    OFFLINE = "offline"
    """No usable frame: the camera timed out, refused, asked for other credentials or sent no image."""
    ERROR = "error"
    """The camera's enrolment cannot support a check (no reference, damaged file, bad permit)."""

    @classmethod
    def of(cls, status: Status) -> Outcome:
        """Return the outcome of a verdict's status."""
        return cls(status.value)

    @property
    def status(self) -> Status | None:
        """The verdict's status; None for ``offline`` and ``error``, which judged no frame."""
        return _STATUS_OF.get(self)

    @property
    def non_compliant(self) -> bool:
        """True for a verdict that the view breaks the permit: redirected, zone exposed or tampered."""
        status = self.status
        return status is not None and status.non_compliant


_STATUS_OF = {Outcome.of(status): status for status in Status}


class AlignMethod(enum.StrEnum):
    """The stage of the alignment cascade that produced the accepted homography."""

    TRACK = "track"
    """Reference points tracked into the live frame (fast path, camera barely moved)."""
    ORB = "orb"
    """ORB features matched (camera moved farther, or the scene changed a little)."""
    SIFT = "sift"
    """SIFT features on contrast-equalised images (dark, low-contrast or strongly changed views)."""
    ORB_EQUALISED = "orb-equalised"
    """ORB features, more of them, on contrast-equalised images: the escalation for a dark or flat
    live frame that no earlier stage aligned confidently."""
    PARTIAL = "partial"
    """Too few points agree for any stage alone (the light changed a lot), but the whole picture's
    edges, aligned independently (:mod:`fov_monitor.core.dense`), put them where they are: the view
    is measured with those points' homography (:mod:`fov_monitor.core.recovery`)."""
    EDGES = "edges"
    """No points match, but the whole picture's edges line up with a reference's where a camera can
    look (:func:`fov_monitor.core.check.edge_alignment`): a move well beyond the tolerance is measured
    and reported, anything less cannot be told."""


class TamperKind(enum.StrEnum):
    """What was done to a camera, in the order the check looks for it (see :mod:`fov_monitor.core.tamper`)."""

    BLACK = "black"
    """No picture: black, or no signal. Figure: the frame's mean gray level."""
    FROZEN = "frozen"
    """The same picture as the previous grab, within encoding noise. Figure: mean difference, gray levels."""
    BLINDED = "blinded"
    """Glare or a lamp saturates the view. Figure: share of the view saturated beyond the reference's."""
    COVERED = "covered"
    """Part or all of the view occluded (opaque or translucent). Figure: share of the view covered."""
    DEFOCUSED = "defocused"
    """Knocked out of focus. Figure: sharpness as a share of the reference's."""


@dataclass(frozen=True, slots=True)
class Tamper:
    """The kind of tampering found and the figure measured for it.

    Attributes
    ----------
    kind : TamperKind
        What was found.
    figure : float
        The measured figure (see :class:`TamperKind` for its meaning per kind): a share 0..1 for
        ``covered``, ``blinded`` and ``defocused``, gray levels for ``black`` and ``frozen``.
    text : str
        The finding in a few words, e.g. ``"covered 72%"``.
    """

    kind: TamperKind
    figure: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-serialisable values."""
        return {"kind": str(self.kind), "figure": round(float(self.figure), 4), "text": self.text}


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """Exposure and texture of the live frame, measured at the working size.

    Attributes
    ----------
    mean_luma : float
        Mean gray level, 0..255.
    contrast : float
        Spread of gray levels between the 1st and 99th percentile, 0..255.
    texture : float
        Mean gradient magnitude of the frame shrunk 8 times (noise averaged away), in gray levels
        per working pixel.
    noise : float or None
        Estimated standard deviation of sensor noise, gray levels (measured only when needed).
    detail : float or None
        Share of the frame's grid cells (8 x 6) holding a distinct corner at half the working size:
        low for plain, covered or defocused views (measured only when needed).
    chroma : float or None
        Mean colourfulness (largest minus smallest colour channel, gray levels) of the lit part of
        the frame: near 0 for an infrared or monochrome picture; None when the frame came in gray.
    """

    mean_luma: float
    contrast: float
    texture: float
    noise: float | None = None
    detail: float | None = None
    chroma: float | None = None


@dataclass(frozen=True, slots=True)
class ZoneExposure:
    """How much of one privacy zone the live view shows.

    Attributes
    ----------
    name : str
        The zone's name in the permit.
    visible_fraction : float
        Share of the zone's area inside the live view, 0..1.
    view_fraction : float
        Share of the live view that shows the zone, 0..1.
    masked : bool
        True if the part in view is blanked by the camera's own privacy mask (uniform pixels).
    exposed : bool
        True if ``visible_fraction`` exceeds the permit's zone tolerance and it is not masked.
    """

    name: str
    visible_fraction: float
    view_fraction: float
    masked: bool
    exposed: bool


@dataclass(frozen=True, slots=True, eq=False)
class CheckResult:
    """The verdict on one live frame with its evidence.

    Attributes
    ----------
    status : Status
        The verdict.
    reasons : tuple of str
        Short human-readable reasons for the status, most important first.
    H_live_to_ref : (3, 3) float64 array or None
        Homography from live-frame pixels to reference pixels (full resolution), or None when no
        alignment was made.
    outside_fraction : float or None
        Share of the live view outside the permitted polygon, 0..1.
    tamper : Tamper or None
        Kind and measured figure of the tampering when ``status`` is ``tampered``, else None.
    shift_px : (float, float) or None
        Shift ``(dx, dy)`` of the view centre in reference pixels (right and down are positive).
    shift_fraction : (float, float) or None
        The same shift as a share of the reference width and height.
    pan_deg, tilt_deg : float or None
        The shift in degrees, when the camera's horizontal field of view is known.
    roll_deg : float or None
        Rotation of the view about its centre, degrees, counter-clockwise positive.
    zoom : float or None
        Zoom factor against the reference: 2.0 means the view covers a quarter of the area.
    inliers : int
        Point correspondences that agree with the homography.
    confidence : float
        Confidence in the alignment, 0..1 (inlier count, agreement and spread over the image).
    view_polygon_xy : (4, 2) float64 array or None
        The live frame's corners projected into the reference, ``(x, y)`` per row, clockwise from
        top-left.
    zones : tuple of ZoneExposure
        Per privacy zone, how much of it is visible.
    reference_index : int or None
        Index of the reference used, in the sequence passed to :func:`check_frame`.
    reference_label : str or None
        Label of the reference used (``"day"``, ``"night"``, a preset name).
    method : AlignMethod or None
        Alignment stage that produced the homography.
    quality : FrameQuality
        Exposure and texture of the live frame.
    timings_ms : dict of str to float
        Wall-clock milliseconds per step.
    fingerprint : FrameFingerprint or None
        A compact summary of this frame; pass it as ``previous`` to the next check of the camera
        to detect a frozen feed (serialise it with ``to_bytes()``).
    """

    status: Status
    reasons: tuple[str, ...]
    quality: FrameQuality
    H_live_to_ref: NDArray[np.float64] | None = None
    outside_fraction: float | None = None
    tamper: Tamper | None = None
    shift_px: tuple[float, float] | None = None
    shift_fraction: tuple[float, float] | None = None
    pan_deg: float | None = None
    tilt_deg: float | None = None
    roll_deg: float | None = None
    zoom: float | None = None
    inliers: int = 0
    confidence: float = 0.0
    view_polygon_xy: NDArray[np.float64] | None = None
    zones: tuple[ZoneExposure, ...] = ()
    reference_index: int | None = None
    reference_label: str | None = None
    method: AlignMethod | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    fingerprint: FrameFingerprint | None = field(default=None, repr=False)

    @property
    def compliant(self) -> bool:
        """Return True if the status is compliant."""
        return self.status is Status.COMPLIANT

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-serialisable values."""
        return {
            "status": str(self.status),
            "reasons": list(self.reasons),
            "H_live_to_ref": _list_or_none(self.H_live_to_ref),
            "outside_fraction": _round_or_none(self.outside_fraction, 6),
            "tamper": self.tamper.to_dict() if self.tamper else None,
            "shift_px": _pair_or_none(self.shift_px, 2),
            "shift_fraction": _pair_or_none(self.shift_fraction, 5),
            "pan_deg": _round_or_none(self.pan_deg, 3),
            "tilt_deg": _round_or_none(self.tilt_deg, 3),
            "roll_deg": _round_or_none(self.roll_deg, 3),
            "zoom": _round_or_none(self.zoom, 4),
            "inliers": self.inliers,
            "confidence": round(self.confidence, 4),
            "view_polygon_xy": _list_or_none(self.view_polygon_xy),
            "zones": [
                {
                    "name": zone.name,
                    "visible_fraction": round(zone.visible_fraction, 5),
                    "view_fraction": round(zone.view_fraction, 5),
                    "masked": zone.masked,
                    "exposed": zone.exposed,
                }
                for zone in self.zones
            ],
            "reference_index": self.reference_index,
            "reference_label": self.reference_label,
            "method": str(self.method) if self.method else None,
            "quality": {
                "mean_luma": round(self.quality.mean_luma, 2),
                "contrast": round(self.quality.contrast, 2),
                "texture": round(self.quality.texture, 3),
                "noise": _round_or_none(self.quality.noise, 3),
                "detail": _round_or_none(self.quality.detail, 3),
            },
            "timings_ms": {step: round(ms, 3) for step, ms in self.timings_ms.items()},
        }


def _list_or_none(array: NDArray[np.float64] | None) -> list[Any] | None:
    return None if array is None else np.round(array, 9).tolist()


def _round_or_none(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _pair_or_none(pair: tuple[float, float] | None, digits: int) -> list[float] | None:
    return None if pair is None else [round(float(pair[0]), digits), round(float(pair[1]), digits)]
