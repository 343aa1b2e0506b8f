"""Permits: validation at construction, the JSON form, and fitting the reference."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pytest

import fov_monitor as fm
from tests.support.messages import assert_one_line

SQUARE = [(0, 0), (100, 0), (100, 100), (0, 100)]


@pytest.mark.parametrize(
    ("points", "fragment"),
    [
        ([], "at least 3 distinct points"),
        ([(0, 0), (10, 0)], "at least 3 distinct points"),
        ([(0, 0), (0, 0), (0, 0), (1, 1)], "at least 3 distinct points"),
        ([(0, 0), (math.nan, 0), (10, 10)], "NaN"),
        ([(0, 0), (math.inf, 0), (10, 10)], "infinite"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "not a simple polygon"),
        ([(0, 0), (5, 5), (10, 10)], "no area"),
        ([(0, 0), "ab", (1, 1)], "pairs of numbers"),
        ([(0, 0, 0), (1, 0, 0), (1, 1, 0)], "pairs of numbers"),
        (None, "pairs of numbers"),
        (7, "pairs of numbers"),
    ],
    ids=[
        "no-points",
        "two-points",
        "repeated-points",
        "nan",
        "inf",
        "bow-tie",
        "collinear",
        "not-numbers",
        "triples",
        "none",
        "number",
    ],
)
def test_bad_permitted_polygon_is_refused_naming_it(points, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=points)
    assert_one_line(caught.value, "permitted polygon", fragment)


@pytest.mark.parametrize(
    ("zone", "fragment"),
    [
        ([(0, 0), (1, 1)], "at least 3 distinct points"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "not a simple polygon"),
        ([(0, 0), (math.nan, 1), (1, 1)], "NaN"),
    ],
    ids=["two-points", "bow-tie", "nan"],
)
def test_bad_privacy_zone_is_refused_naming_the_zone(zone, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=SQUARE, privacy_zones={"door": zone})
    assert_one_line(caught.value, "privacy zone 'door'", fragment)


def test_privacy_zones_given_as_a_list_are_refused_with_a_permit_error() -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=SQUARE, privacy_zones=[[(0, 0), (9, 0), (9, 9)]])  # type: ignore[arg-type]
    assert_one_line(caught.value, "privacy_zones")


@pytest.mark.parametrize("field", ["tolerance", "zone_tolerance"])
@pytest.mark.parametrize("value", [0, 1, -0.1, 1.5, math.nan, "0.1", None])
def test_tolerance_outside_zero_one_is_refused(field: str, value) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=SQUARE, **{field: value})
    assert_one_line(caught.value, f"{field} must be a share between 0 and 1")


@pytest.mark.parametrize("value", [0.001, 0.02, 0.5, 0.999, np.float64(0.05)])
def test_tolerance_inside_zero_one_is_kept(value: float) -> None:
    permit = fm.Permit(permitted_xy=SQUARE, tolerance=value, zone_tolerance=value)
    assert permit.tolerance == value
    assert permit.zone_tolerance == value


def test_points_may_be_a_numpy_array() -> None:
    permit = fm.Permit(permitted_xy=np.array(SQUARE, np.float32))
    assert permit.permitted.area == pytest.approx(100 * 100)


def test_whole_image_permit_covers_the_image_exactly() -> None:
    permit = fm.Permit.whole_image((640, 360), tolerance=0.05)
    assert permit.permitted.bounds == (0.0, 0.0, 640.0, 360.0)
    assert permit.permitted.area == pytest.approx(640 * 360)
    assert permit.tolerance == 0.05
    assert dict(permit.zones) == {}


@pytest.mark.parametrize(
    ("size_wh", "points", "fits"),
    [
        ((1920, 1080), [(0, 0), (1900, 0), (1900, 1000), (0, 1000)], True),
        ((640, 360), [(0, 0), (1900, 0), (1900, 1000), (0, 1000)], False),
        # A drawing that overshoots the border a little is clipped, not refused.
        ((640, 360), [(-20, -10), (660, -10), (660, 370), (-20, 370)], True),
        ((640, 360), [(-40, 0), (640, 0), (640, 360), (-40, 360)], False),
        ((640, 360), [(0, 0), (640, 0), (640, 400), (0, 400)], False),
    ],
    ids=["inside", "drawn-for-1080p", "small-overshoot", "left-far", "bottom-far"],
)
def test_permit_far_outside_the_reference_is_refused(size_wh, points, fits: bool) -> None:
    permit = fm.Permit(permitted_xy=points)
    if fits:
        permit.check_fits(size_wh)
        return
    with pytest.raises(fm.InvalidPermitError) as caught:
        permit.check_fits(size_wh)
    assert_one_line(caught.value, "permitted polygon", f"far outside the {size_wh[0]}x{size_wh[1]} reference")


@pytest.mark.parametrize(
    "points",
    [
        [(605, 0), (625, 0), (625, 360), (605, 360)],  # wholly right of a 600 px wide image, in the margin
        [(0, 0), (5, 0), (5, 5), (0, 5)],  # 25 px² of 216,000
    ],
    ids=["outside-in-the-margin", "negligible"],
)
def test_permitted_polygon_covering_next_to_nothing_of_the_reference_is_refused(points) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=points).check_fits((600, 360))
    assert_one_line(caught.value, "permitted polygon covers", "600x360", "every check would be redirected")


def test_a_huge_coordinate_gives_a_short_error() -> None:
    permit = fm.Permit(permitted_xy=[(0, 0), (1e300, 0), (600, 360), (0, 360)])
    with pytest.raises(fm.InvalidPermitError) as caught:
        permit.check_fits((600, 360))
    assert_one_line(caught.value, "permitted polygon spans x 0..1e+300", "600x360")
    assert len(str(caught.value)) < 200


def test_privacy_zone_far_outside_the_reference_is_refused_naming_it() -> None:
    permit = fm.Permit(
        permitted_xy=[(0, 0), (640, 0), (640, 360), (0, 360)],
        privacy_zones={"balcony": [(1500, 100), (1600, 100), (1600, 200)]},
    )
    with pytest.raises(fm.InvalidPermitError) as caught:
        permit.check_fits((640, 360))
    assert_one_line(caught.value, "privacy zone 'balcony'", "640x360")


def test_check_frame_refuses_a_permit_drawn_for_another_image(astronaut) -> None:
    reference = fm.Reference.from_image(astronaut)
    permit = fm.Permit(permitted_xy=[(0, 0), (4000, 0), (4000, 3000), (0, 3000)])
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.check_frame(reference, permit, astronaut)
    assert_one_line(caught.value, "512x512", "redraw it on this camera's reference")


FULL_PERMIT = fm.Permit(
    permitted_xy=SQUARE,
    privacy_zones={"window": [(10, 10), (20, 10), (20, 20)], "door": [(50, 50), (60, 50), (60, 70)]},
    tolerance=0.05,
    zone_tolerance=0.03,
    decision=fm.Decision("LST 2025-1", date(2025, 1, 1), date(2030, 1, 1), ("06:00-22:00",), "safety"),
)


@pytest.mark.parametrize(
    "permit",
    [FULL_PERMIT, fm.Permit(permitted_xy=SQUARE), fm.Permit.whole_image((1280, 720), tolerance=0.1)],
    ids=["full", "plain", "whole-image"],
)
def test_json_form_round_trips_through_text(permit: fm.Permit) -> None:
    again = fm.Permit.from_dict(json.loads(json.dumps(permit.to_dict())))
    assert again.to_dict() == permit.to_dict()
    assert again.permitted.equals(permit.permitted)
    assert again.tolerance == permit.tolerance
    assert again.zone_tolerance == permit.zone_tolerance
    assert set(again.zones) == set(permit.zones)
    for name, zone in permit.zones.items():
        assert again.zones[name].equals(zone)
    assert again.decision == permit.decision


def test_decision_validity_is_inclusive_of_both_days() -> None:
    decision = FULL_PERMIT.decision
    assert decision is not None
    assert decision.is_valid_on(date(2025, 1, 1))
    assert decision.is_valid_on(date(2030, 1, 1))
    assert not decision.is_valid_on(date(2024, 12, 31))
    assert not decision.is_valid_on(date(2030, 1, 2))
    assert fm.Decision("open").is_valid_on(date(1990, 1, 1))


def test_from_dict_fills_the_documented_defaults() -> None:
    permit = fm.Permit.from_dict({"permitted_xy": SQUARE})
    assert permit.tolerance == 0.02
    assert permit.zone_tolerance == 0.01
    assert dict(permit.zones) == {}
    assert permit.decision is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"permitted_xy": SQUARE, "tolerence": 0.1}, "unknown field 'tolerence'"),
        ({"permitted_xy": SQUARE, "zones": {}}, "unknown field 'zones'"),
        ({"privacy_zones": {}}, "'permitted_xy' is missing"),
        ({"permitted_xy": SQUARE, "privacy_zones": [1, 2]}, "'privacy_zones' must map"),
        (
            {"permitted_xy": SQUARE, "decision": {"valid_from": "2025-01-01"}},
            "'decision.reference_number' is missing",
        ),
        (
            {"permitted_xy": SQUARE, "decision": {"reference_number": "A", "valid_to": "2025-13-01"}},
            "'decision' is malformed",
        ),
        ({"permitted_xy": [[0, 0], [1, 1]]}, "at least 3 distinct points"),
        ({"permitted_xy": SQUARE, "tolerance": 2}, "tolerance must be a share"),
        ({"permitted_xy": SQUARE, "privacy_zones": {"w": [[0, 0], [1, 1]]}}, "privacy zone 'w'"),
        ([1, 2, 3], "expected a JSON object"),
        (
            {"permitted_xy": SQUARE, "decision": {"reference_number": "A", "valid_too": "2030-01-01"}},
            "unknown field 'decision.valid_too'",
        ),
        (
            {"permitted_xy": SQUARE, "decision": {"reference_number": None}},
            "'decision.reference_number' must be text",
        ),
        (
            {"permitted_xy": SQUARE, "decision": {"reference_number": 7}},
            "'decision.reference_number' must be text",
        ),
        (
            {"permitted_xy": SQUARE, "decision": {"reference_number": "A", "purpose": None}},
            "'decision.purpose' must be text",
        ),
        ({"permitted_xy": [["0", "0"], ["100", "0"], ["100", "100"]]}, "pairs of numbers"),
        ({"permitted_xy": [[False, False], [True, False], [True, True]]}, "pairs of numbers"),
        ({"permitted_xy": [[0, 0], [1e-9, 0], [1e-9, 1e-9]]}, "less than one"),
        ({"permitted_xy": [[0, 0], [10**400, 0], [0, 10]]}, "NaN or infinite"),
    ],
    ids=[
        "typo",
        "unknown",
        "missing",
        "zones-list",
        "decision-no-number",
        "decision-bad-date",
        "two-points",
        "tolerance",
        "bad-zone",
        "not-object",
        "decision-unknown-field",
        "decision-null-number",
        "decision-number-not-text",
        "decision-null-purpose",
        "coordinates-as-text",
        "coordinates-as-booleans",
        "negligible-area",
        "400-digit-coordinate",
    ],
)
def test_from_dict_names_the_source_and_the_bad_field(data, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit.from_dict(data, source="permit file p.json")
    assert_one_line(caught.value, fragment)
    assert str(caught.value).startswith("permit file p.json")


def test_hours_given_as_one_string_instead_of_a_list_are_named_in_the_error() -> None:
    data = {"permitted_xy": SQUARE, "decision": {"reference_number": "A", "permitted_hours": "06:00-22:00"}}
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit.from_dict(data, source="permit file p.json")
    assert_one_line(caught.value, "permit file p.json", "06:00-22:00")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"valid_from": date(2026, 1, 1), "valid_to": date(2025, 1, 1)}, "before valid_from"),
        ({"permitted_hours": ("6-22",)}, "must read 'HH:MM-HH:MM'"),
        ({"permitted_hours": ("06:00-25:00",)}, "must read 'HH:MM-HH:MM'"),
        ({"permitted_hours": ("06:00-24:30",)}, "must read 'HH:MM-HH:MM'"),
        ({"permitted_hours": ("06:60-22:00",)}, "must read 'HH:MM-HH:MM'"),
        ({"permitted_hours": ("06:00-22:00", "bad")}, "'bad'"),
        ({"permitted_hours": ("06:00",)}, "must read 'HH:MM-HH:MM'"),
    ],
    ids=["valid-to-first", "no-minutes", "hour-25", "24-30", "minute-60", "second-window", "no-end"],
)
def test_decision_validation(kwargs, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Decision("LST 1", **kwargs)
    assert_one_line(caught.value, "LST 1", fragment)


@pytest.mark.parametrize("number", ["", "   "])
def test_decision_needs_a_reference_number(number: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Decision(number)
    assert_one_line(caught.value, "reference_number")


@pytest.mark.parametrize("hours", [("00:00-24:00",), ("06:00-22:00", "23:00-23:30"), ()])
def test_valid_hours_are_kept(hours: tuple[str, ...]) -> None:
    assert fm.Decision("LST 1", permitted_hours=hours).permitted_hours == hours


def test_numpy_tolerance_is_accepted() -> None:
    assert fm.Permit(permitted_xy=SQUARE, tolerance=np.float32(0.05)).tolerance == pytest.approx(0.05)
