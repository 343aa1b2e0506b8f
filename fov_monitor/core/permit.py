"""The permit: what a camera may see, drawn on its reference image.

A permit is whatever decision fixes a camera's view: an authority's permit or the owner's documented
weighing of interests. Its geometry (the permitted polygon and the privacy zones) is in reference
pixel coordinates, ``(x, y)`` with the origin at the top-left corner of the reference image.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.validation import explain_validity

from fov_monitor.errors import N_, InvalidPermitError, PeopleMessage

PointsXY = Sequence[tuple[float, float]] | Sequence[Sequence[float]]

DEFAULT_TOLERANCE = 0.02
DEFAULT_ZONE_TOLERANCE = 0.01
FAR_OUTSIDE_MARGIN = 0.05
"""A vertex may lie this share of the reference size beyond its edge (a drawing that overshoots
the border is clipped); farther out, the permit was drawn for another image."""
MIN_AREA_PX = 1.0
"""A polygon must enclose at least this many square pixels: a smaller one cannot be seen."""
MIN_PERMITTED_SHARE = 0.01
"""The permitted polygon must cover at least this share of the reference it is drawn on: with less
every check of the unmoved view is redirected, so it was drawn for another image (or by mistake)."""
DECISION_FIELDS = ("reference_number", "valid_from", "valid_to", "permitted_hours", "purpose")
PERMITTED_AREA = PeopleMessage(N_("the permitted area"))
"""The permitted polygon, as the permit editor's errors name it."""


def zone_named(name: str) -> PeopleMessage:
    """Return a privacy zone as the permit editor's errors name it."""
    return PeopleMessage(N_("the privacy zone %(zone)s"), {"zone": name})


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision that fixes a camera's view: its number, validity and permitted hours.

    Attributes
    ----------
    reference_number : str
        The decision's (permit's) reference number, e.g. ``"LST 2025-1234"``.
    valid_from, valid_to : datetime.date or None
        First and last day of validity; ``None`` means open-ended.
    permitted_hours : tuple of str
        Daily windows in which filming is permitted, ``"HH:MM-HH:MM"``; empty means all day.
    purpose : str
        The purpose the decision gives for filming.
    """

    reference_number: str
    valid_from: date | None = None
    valid_to: date | None = None
    permitted_hours: tuple[str, ...] = ()
    purpose: str = ""

    def __post_init__(self) -> None:
        if not self.reference_number.strip():
            raise InvalidPermitError("decision reference_number is empty; give the permit's number")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise InvalidPermitError(
                f"decision {self.reference_number}: valid_to {self.valid_to} is before "
                f"valid_from {self.valid_from}"
            )
        if isinstance(self.permitted_hours, str):
            raise InvalidPermitError(
                f"decision {self.reference_number}: permitted hours must be a list of 'HH:MM-HH:MM' "
                f"windows, got the string {self.permitted_hours!r}; write [{self.permitted_hours!r}]"
            )
        for window in self.permitted_hours:
            _parse_hours(window, self.reference_number)

    @classmethod
    def from_dict(cls, data: object, source: str = "permit") -> Decision:
        """Build a decision from its JSON form (:meth:`to_dict`), strictly, naming ``source`` in errors.

        Known fields only (:data:`DECISION_FIELDS`), text where text is meant.
        """
        if not isinstance(data, Mapping):
            raise InvalidPermitError(f"{source}: field 'decision' must be an object, got {_shown(data)}")
        unknown = sorted(str(key) for key in set(data) - set(DECISION_FIELDS))
        if unknown:
            raise InvalidPermitError(
                f"{source}: unknown field 'decision.{unknown[0]:.40}'; expected one of "
                f"{', '.join(DECISION_FIELDS)}"
            )
        if "reference_number" not in data:
            raise InvalidPermitError(f"{source}: field 'decision.reference_number' is missing")
        for name in ("reference_number", "purpose"):
            if name in data and not isinstance(data[name], str):
                raise InvalidPermitError(
                    f"{source}: field 'decision.{name}' must be text, got {_shown(data[name])}"
                )
        hours = _hours_list(data.get("permitted_hours", ()), source)
        try:
            return cls(
                reference_number=data["reference_number"],
                valid_from=_date_or_none(data.get("valid_from")),
                valid_to=_date_or_none(data.get("valid_to")),
                permitted_hours=hours,
                purpose=data.get("purpose", ""),
            )
        except (TypeError, ValueError) as exc:  # InvalidPermitError is a ValueError: named as it is
            raise InvalidPermitError(f"{source}: field 'decision' is malformed ({exc})") from None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form: dates as ``YYYY-MM-DD`` or None, the hours as a list."""
        return {
            "reference_number": self.reference_number,
            "valid_from": _iso_or_none(self.valid_from),
            "valid_to": _iso_or_none(self.valid_to),
            "permitted_hours": list(self.permitted_hours),
            "purpose": self.purpose,
        }

    def is_valid_on(self, day: date) -> bool:
        """Return True if the decision is in force on ``day``."""
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )

    def permits_filming_at(self, minute_of_day: int) -> bool:
        """Return True if filming is permitted at ``minute_of_day`` (0..1439, local time).

        No windows means all day; a window whose end is before its start runs past midnight
        (``"22:00-06:00"``); its end is excluded.
        """
        if not self.permitted_hours:
            return True
        for window in self.permitted_hours:
            start, end = _parse_hours(window, self.reference_number)
            inside = (
                start <= minute_of_day < end
                if start <= end
                else minute_of_day >= start or minute_of_day < end
            )
            if inside:
                return True
        return False


def _parse_hours(window: str, number: str) -> tuple[int, int]:
    try:
        start, end = window.split("-")
        minutes = []
        for part in (start, end):
            hours_text, minutes_text = part.strip().split(":")
            hours, mins = int(hours_text), int(minutes_text)
            if not (0 <= hours <= 23 and 0 <= mins < 60) and (hours, mins) != (24, 0):
                raise ValueError(part)
            minutes.append(hours * 60 + mins)
    except ValueError:
        raise InvalidPermitError(
            f"decision {number}: permitted hours {window!r} must read 'HH:MM-HH:MM'"
        ) from None
    return minutes[0], minutes[1]


def _hours_list(value: object, source: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidPermitError(
            f"{source}: field 'decision.permitted_hours' must be a list of 'HH:MM-HH:MM' windows, "
            f"got {value!r}; write [{value!r}]"
        )
    return tuple(str(window) for window in value)


@dataclass(frozen=True, slots=True, eq=False)
class Permit:
    """What one camera may see.

    Parameters
    ----------
    permitted_xy : sequence of (x, y)
        The permitted polygon, at least 3 points, in reference pixel coordinates.
    privacy_zones : mapping of str to sequence of (x, y), optional
        Named polygons that must never be visible, in reference pixel coordinates.
    tolerance : float
        Share of the live view that may lie outside the permitted polygon, in (0, 1).
    zone_tolerance : float
        Share of a privacy zone's area that may show before it counts as exposed (slack for
        alignment error at its border), in (0, 1).
    decision : Decision, optional
        The decision behind the permit.

    Raises
    ------
    InvalidPermitError
        When a polygon has fewer than 3 points, non-finite coordinates or crosses itself, or a
        tolerance is outside (0, 1).
    """

    permitted_xy: PointsXY
    privacy_zones: Mapping[str, PointsXY] = field(default_factory=dict)
    tolerance: float = DEFAULT_TOLERANCE
    zone_tolerance: float = DEFAULT_ZONE_TOLERANCE
    decision: Decision | None = None
    permitted: Polygon = field(init=False, repr=False)
    zones: Mapping[str, Polygon] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.privacy_zones, Mapping):
            raise InvalidPermitError(
                "permit privacy_zones must map zone names to polygons, e.g. {'school entrance': "
                f"[(x, y), ...]}}, got {type(self.privacy_zones).__name__}"
            )
        for name, value in (("tolerance", self.tolerance), ("zone_tolerance", self.zone_tolerance)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < float(value) < 1.0:
                raise InvalidPermitError(
                    f"permit {name} must be a share between 0 and 1 (exclusive), got {value!r}"
                )
        permitted = polygon_from_points(self.permitted_xy, "permitted polygon", PERMITTED_AREA)
        zones = {
            str(name): polygon_from_points(points, f"privacy zone {name!r}", zone_named(str(name)))
            for name, points in self.privacy_zones.items()
        }
        object.__setattr__(self, "permitted", permitted)
        object.__setattr__(self, "zones", zones)
        shapely.prepare(permitted)

    @classmethod
    def whole_image(
        cls, size_wh: tuple[int, int], tolerance: float = DEFAULT_TOLERANCE, decision: Decision | None = None
    ) -> Permit:
        """Return a permit for the whole reference image of size ``(width, height)``."""
        width, height = size_wh
        return cls(
            permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
            tolerance=tolerance,
            decision=decision,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "permit") -> Permit:
        """Build a permit from its JSON form.

        The form is ``{"permitted_xy": [[x, y], ...], "privacy_zones": {"name": [[x, y], ...]},
        "tolerance": 0.02, "zone_tolerance": 0.01, "decision": {...}}``; unknown keys are refused.
        """
        if not isinstance(data, Mapping):
            raise InvalidPermitError(f"{source}: expected a JSON object, got {type(data).__name__}")
        known = {"permitted_xy", "privacy_zones", "tolerance", "zone_tolerance", "decision"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidPermitError(
                f"{source}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(known))}"
            )
        if "permitted_xy" not in data:
            raise InvalidPermitError(f"{source}: field 'permitted_xy' is missing")
        decision_data = data.get("decision")
        decision = None if decision_data is None else Decision.from_dict(decision_data, source)
        zones = data.get("privacy_zones") or {}
        if not isinstance(zones, Mapping):
            raise InvalidPermitError(f"{source}: field 'privacy_zones' must map names to polygons")
        try:
            return cls(
                permitted_xy=data["permitted_xy"],
                privacy_zones=zones,
                tolerance=data.get("tolerance", DEFAULT_TOLERANCE),
                zone_tolerance=data.get("zone_tolerance", DEFAULT_ZONE_TOLERANCE),
                decision=decision,
            )
        except InvalidPermitError as exc:
            raise InvalidPermitError(f"{source}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form read by :meth:`from_dict`."""
        data: dict[str, Any] = {
            "permitted_xy": _points_of(self.permitted),
            "privacy_zones": {name: _points_of(zone) for name, zone in self.zones.items()},
            "tolerance": self.tolerance,
            "zone_tolerance": self.zone_tolerance,
        }
        if self.decision is not None:
            data["decision"] = self.decision.to_dict()
        return data

    def check_fits(self, size_wh: tuple[int, int]) -> None:
        """Raise if the permit was evidently drawn for an image other than one of ``size_wh``.

        Raises
        ------
        InvalidPermitError
            When a vertex lies farther than 5 % of the image size outside the image.
        """
        width, height = size_wh
        self._check_extent(size_wh)
        inside = self.permitted.intersection(shapely.box(0, 0, width, height)).area
        if inside < MIN_PERMITTED_SHARE * width * height:
            raise InvalidPermitError(
                f"permitted polygon covers {inside / (width * height):.1%} of the {width}x{height} "
                f"reference (at least {MIN_PERMITTED_SHARE:.0%} needed): every check would be redirected; "
                "redraw it on this camera's reference image"
            ).saying(
                N_(
                    "The permitted area covers almost none of the reference image: every check would "
                    "find the camera redirected. Draw it around what the camera may film."
                )
            )

    def _check_extent(self, size_wh: tuple[int, int]) -> None:
        """Raise when a polygon reaches farther than the margin outside an image of ``size_wh``."""
        width, height = size_wh
        margin_x, margin_y = FAR_OUTSIDE_MARGIN * width, FAR_OUTSIDE_MARGIN * height
        shapes = [("permitted polygon", PERMITTED_AREA, self.permitted)] + [
            (f"privacy zone {name!r}", zone_named(name), zone) for name, zone in self.zones.items()
        ]
        for what, shape, polygon in shapes:
            min_x, min_y, max_x, max_y = polygon.bounds
            if (
                min_x < -margin_x
                or min_y < -margin_y
                or max_x > width + margin_x
                or max_y > height + margin_y
            ):
                raise InvalidPermitError(
                    f"{what} spans x {_pixels(min_x)}..{_pixels(max_x)}, "
                    f"y {_pixels(min_y)}..{_pixels(max_y)}, far outside the {width}x{height} reference; "
                    "redraw it on this camera's reference image"
                ).saying(
                    N_("%(shape)s reaches far outside the reference image: draw it on the image."),
                    shape=shape,
                )


POLYGON_TEXT = "points as 'x,y x,y x,y ...' in reference pixels"
"""How a polygon is written as text (``permit set --polygon``, an inventory's ``area`` column)."""


def parse_points(text: str, what: str) -> list[tuple[float, float]]:
    """Parse ``'x,y x,y ...'`` (pairs apart by spaces or ``;``) into ``(x, y)`` points.

    Parameters
    ----------
    text : str
        The points, e.g. ``"0,0 1920,0 1920,1080"``.
    what : str
        Named in the error (``"--polygon"``).

    Raises
    ------
    InvalidPermitError
        When a pair is not two numbers.
    """
    malformed = InvalidPermitError(f"{what}: {text!r} is not a list of points; write {POLYGON_TEXT}")
    try:
        points = [tuple(float(v) for v in pair.split(",")) for pair in text.replace(";", " ").split()]
    except ValueError:
        raise malformed from None
    if any(len(point) != 2 for point in points):
        raise malformed
    return [(p[0], p[1]) for p in points]


def polygon_from_points(points: object, what: str, shape: PeopleMessage | None = None) -> Polygon:
    """Return a valid shapely polygon from ``points``, or raise naming ``what`` is wrong.

    ``shape`` names it for people (the permit editor's errors); "the shape" when not given.

    Raises
    ------
    InvalidPermitError
        When there are fewer than 3 distinct points, a coordinate is not a finite number, the polygon
        crosses itself or has no area.
    """
    shape = shape or _THE_SHAPE
    try:
        pairs = [(_coordinate(x), _coordinate(y)) for x, y in points]  # type: ignore[attr-defined]
    except (TypeError, ValueError, OverflowError):
        raise InvalidPermitError(
            f"{what} must be a list of [x, y] pairs of numbers, got {_shown(points)}"
        ).saying(N_("%(shape)s has a point that is not two numbers (x,y)."), shape=shape) from None
    if any(not (math.isfinite(x) and math.isfinite(y)) for x, y in pairs):
        raise InvalidPermitError(f"{what} has a coordinate that is NaN or infinite: {_shown(pairs)}").saying(
            N_("%(shape)s has a point that is not two numbers (x,y)."), shape=shape
        )
    distinct = list(dict.fromkeys(pairs))
    if len(distinct) < 3:
        raise InvalidPermitError(f"{what} must have at least 3 distinct points, got {len(distinct)}").saying(
            N_("%(shape)s needs at least 3 points; it has %(points)s."), shape=shape, points=len(distinct)
        )
    polygon = Polygon(pairs)
    if MultiPoint(pairs).convex_hull.area <= 0.0:
        raise InvalidPermitError(f"{what} has no area; its points lie on one line").saying(
            N_("%(shape)s has no area: its points lie on one line."), shape=shape
        )
    if not polygon.is_valid:
        raise InvalidPermitError(
            f"{what} is not a simple polygon ({_shown(explain_validity(polygon))}); "
            "draw its points in order around the area without crossing edges"
        ).saying(
            N_(
                "%(shape)s crosses itself (it is not a simple polygon): draw its points in order around "
                "the area, without crossing edges."
            ),
            shape=shape,
        )
    if not polygon.area >= MIN_AREA_PX:
        raise InvalidPermitError(
            f"{what} encloses {polygon.area:.3g} square pixels, less than one: it cannot be seen; "
            "draw it in the reference's pixels"
        ).saying(N_("%(shape)s is too small to be seen: draw it larger."), shape=shape)
    return polygon


_THE_SHAPE = PeopleMessage(N_("the shape"))


def _coordinate(value: object) -> float:
    """Return a coordinate as a float; a string or a boolean is not a number here."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"not a number: {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: as infinite as it gets
        return math.inf


def _pixels(value: float) -> str:
    """Return a coordinate for a message: whole pixels, or 3 digits and an exponent when huge."""
    return f"{value:.0f}" if abs(value) < 1e6 else f"{value:.3g}"


def _shown(value: object) -> str:
    """Return ``value`` as an error shows it: its repr cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _points_of(polygon: Polygon) -> list[list[float]]:
    return [[x, y] for x, y in list(polygon.exterior.coords)[:-1]]


def _date_or_none(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _iso_or_none(value: date | None) -> str | None:
    return value.isoformat() if value else None
