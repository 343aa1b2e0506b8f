"""The live view measured against the permit for known homographies (no image alignment involved)."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon, box

import fov_monitor as fm
from fov_monitor.core.geometry import measure_view
from fov_monitor.core.homography import corners_xy, project

REF_WH = (640, 480)


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0, dx], [0, 1, dy], [0, 0, 1]])


def _textured(size_wh: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (size_wh[1], size_wh[0]), dtype=np.uint8)


PERMITS = {
    "whole": [(0, 0), (640, 0), (640, 480), (0, 480)],
    "left-half": [(0, 0), (320, 0), (320, 480), (0, 480)],
    "triangle": [(0, 0), (640, 0), (0, 480)],
    "l-shape": [(0, 0), (640, 0), (640, 200), (200, 200), (200, 480), (0, 480)],
}
MOVES = {
    "identity": np.eye(3),
    "right-10pct": _shift(64, 0),
    "up-left": _shift(-30, -50),
    "zoom-out": np.array([[1.25, 0, -80], [0, 1.25, -60], [0, 0, 1]]),
    "perspective": np.array([[1.0, 0.02, 10], [0.01, 1.0, 5], [1e-4, 5e-5, 1.0]]),
}


@pytest.mark.parametrize("permit_name", list(PERMITS))
@pytest.mark.parametrize("move_name", list(MOVES))
def test_outside_fraction_is_the_share_of_the_view_outside_the_permit(
    permit_name: str, move_name: str
) -> None:
    H = MOVES[move_name]
    permit = fm.Permit(permitted_xy=PERMITS[permit_name])
    view = measure_view(H, REF_WH, permit, _textured(REF_WH), 1.0)
    truth = Polygon(project(H, corners_xy(REF_WH)))
    expected = truth.difference(Polygon(PERMITS[permit_name])).area / truth.area
    assert view.outside_fraction == pytest.approx(expected, abs=1e-9)
    np.testing.assert_allclose(view.polygon_xy, project(H, corners_xy(REF_WH)))


@pytest.mark.parametrize(
    ("dx", "zone_tolerance"),
    [(-120, 0.01), (-100, 0.01), (-99.5, 0.01), (-97, 0.01), (-95, 0.01), (-60, 0.01), (0, 0.01), (-60, 0.7)],
)
def test_zone_visible_fraction_and_exposure_follow_the_zone_tolerance(
    dx: float, zone_tolerance: float
) -> None:
    zone = [(540, 100), (640, 100), (640, 300), (540, 300)]
    permit = fm.Permit(
        permitted_xy=PERMITS["whole"], privacy_zones={"window": zone}, zone_tolerance=zone_tolerance
    )
    H = _shift(dx, 0)
    view = measure_view(H, REF_WH, permit, _textured(REF_WH), 1.0)
    in_view = box(dx, 0, dx + REF_WH[0], REF_WH[1])
    expected = Polygon(zone).intersection(in_view).area / Polygon(zone).area
    (exposure,) = view.zones
    assert exposure.name == "window"
    assert exposure.visible_fraction == pytest.approx(expected, abs=1e-9)
    assert exposure.view_fraction == pytest.approx(
        Polygon(zone).intersection(in_view).area / in_view.area, abs=1e-9
    )
    assert not exposure.masked
    assert exposure.exposed is (expected > zone_tolerance)


@pytest.mark.parametrize(("fill_std", "masked"), [(0.0, True), (2.0, True), (25.0, False)])
def test_zone_covered_by_a_uniform_privacy_mask_is_not_exposed(fill_std: float, masked: bool) -> None:
    zone = [(100, 100), (300, 100), (300, 250), (100, 250)]
    permit = fm.Permit(permitted_xy=PERMITS["whole"], privacy_zones={"garden": zone})
    live = _textured((1280, 960))  # the live stream at twice the reference resolution
    noise = np.random.default_rng(1).normal(128, fill_std, (300, 400))
    live[200:500, 200:600] = np.clip(noise, 0, 255).astype(np.uint8)
    working = live[::2, ::2].copy()  # what the check measures on, scale 0.5
    view = measure_view(np.diag([0.5, 0.5, 1.0]), (1280, 960), permit, working, 0.5)
    (exposure,) = view.zones
    assert exposure.visible_fraction == pytest.approx(1.0)
    assert exposure.masked is masked
    assert exposure.exposed is not masked
