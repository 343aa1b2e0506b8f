"""Permits: validation at construction, the JSON form, and fitting the reference."""

from __future__ import annotations

import math
from datetime import date

import pytest

import fov_monitor as fm

SQUARE = [(0, 0), (100, 0), (100, 100), (0, 100)]


@pytest.mark.parametrize(
    ("points", "fragment"),
    [
        ([(0, 0), (10, 0)], "at least 3 distinct points"),
        ([(0, 0), (0, 0), (0, 0), (1, 1)], "at least 3 distinct points"),
        ([(0, 0), (math.nan, 0), (10, 10)], "NaN"),
        ([(0, 0), (10, 10), (10, 0), (0, 10)], "not a simple polygon"),
        ([(0, 0), (5, 5), (10, 10)], "no area"),
        ([(0, 0), "ab", (1, 1)], "pairs of numbers"),
    ],
    ids=["two-points", "repeated-points", "nan", "bow-tie", "collinear", "not-numbers"],
)
def test_bad_polygons_are_refused(points, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit(permitted_xy=points)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("tolerance", [0, 1, -0.1, 1.5, "0.1"])
def test_tolerance_outside_zero_one_is_refused(tolerance) -> None:
    with pytest.raises(fm.InvalidPermitError, match="tolerance must be a share between 0 and 1"):
        fm.Permit(permitted_xy=SQUARE, tolerance=tolerance)


def test_bad_privacy_zone_is_named() -> None:
    with pytest.raises(fm.InvalidPermitError, match="privacy zone 'door'"):
        fm.Permit(permitted_xy=SQUARE, privacy_zones={"door": [(0, 0), (1, 1)]})


def test_permit_far_outside_the_reference_is_refused() -> None:
    permit = fm.Permit(permitted_xy=[(0, 0), (1900, 0), (1900, 1000), (0, 1000)])
    permit.check_fits((1920, 1080))
    with pytest.raises(fm.InvalidPermitError, match="far outside the 640x360 reference"):
        permit.check_fits((640, 360))


def test_check_frame_refuses_a_permit_drawn_for_another_image(astronaut) -> None:
    reference = fm.Reference.from_image(astronaut)
    permit = fm.Permit(permitted_xy=[(0, 0), (4000, 0), (4000, 3000), (0, 3000)])
    with pytest.raises(fm.InvalidPermitError, match="redraw it on this camera's reference"):
        fm.check_frame(reference, permit, astronaut)


def test_json_form_round_trips() -> None:
    permit = fm.Permit(
        permitted_xy=SQUARE,
        privacy_zones={"window": [(10, 10), (20, 10), (20, 20)]},
        tolerance=0.05,
        decision=fm.Decision("LST 2025-1", date(2025, 1, 1), date(2030, 1, 1), ("06:00-22:00",), "safety"),
    )
    again = fm.Permit.from_dict(permit.to_dict())
    assert again.to_dict() == permit.to_dict()
    assert again.permitted.equals(permit.permitted)
    assert again.decision is not None
    assert again.decision.is_valid_on(date(2026, 6, 1))
    assert not again.decision.is_valid_on(date(2031, 1, 1))


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"permitted_xy": SQUARE, "tolerence": 0.1}, "unknown field 'tolerence'"),
        ({"privacy_zones": {}}, "'permitted_xy' is missing"),
        ({"permitted_xy": SQUARE, "privacy_zones": [1, 2]}, "'privacy_zones' must map"),
        ({"permitted_xy": SQUARE, "decision": {"valid_from": "2025-01-01"}}, "'decision' is malformed"),
        ([1, 2, 3], "expected a JSON object"),
    ],
    ids=["typo", "missing", "zones-list", "decision-no-number", "not-object"],
)
def test_from_dict_names_the_bad_field(data, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError) as caught:
        fm.Permit.from_dict(data, source="permit file p.json")
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("permit file p.json")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"valid_from": date(2026, 1, 1), "valid_to": date(2025, 1, 1)}, "before valid_from"),
        ({"permitted_hours": ("6-22",)}, "must read 'HH:MM-HH:MM'"),
        ({"permitted_hours": ("06:00-25:00",)}, "must read 'HH:MM-HH:MM'"),
    ],
)
def test_decision_validation(kwargs, fragment: str) -> None:
    with pytest.raises(fm.InvalidPermitError, match=fragment):
        fm.Decision("LST 1", **kwargs)
