"""What a homography says about the camera's move, and which homographies no camera can produce."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from fov_monitor.core.homography import (
    corners_xy,
    degeneracy,
    estimate_homography,
    measure_motion,
    polygon_area,
    project,
)

SIZE_WH = (640, 480)


def _about_centre(matrix: np.ndarray, size_wh: tuple[int, int] = SIZE_WH) -> np.ndarray:
    """Return ``matrix`` (a transform about the origin) applied about the image centre instead."""
    cx, cy = size_wh[0] / 2, size_wh[1] / 2
    to_centre = np.array([[1.0, 0, -cx], [0, 1, -cy], [0, 0, 1]])
    back = np.array([[1.0, 0, cx], [0, 1, cy], [0, 0, 1]])
    return back @ matrix @ to_centre


def _rotation_on_screen(ccw_deg: float) -> np.ndarray:
    """Rotate points counter-clockwise as seen on screen (image y points down)."""
    angle = math.radians(ccw_deg)
    return np.array(
        [[math.cos(angle), math.sin(angle), 0], [-math.sin(angle), math.cos(angle), 0], [0, 0, 1.0]]
    )


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (32, 0), (-64, 0), (0, 24), (0, -48), (20, -30)])
def test_translation_is_a_shift_of_the_view_centre(dx: float, dy: float) -> None:
    H = np.array([[1.0, 0, dx], [0, 1, dy], [0, 0, 1]])
    motion = measure_motion(H, SIZE_WH, SIZE_WH)
    assert motion.shift_px == pytest.approx((dx, dy))
    assert motion.shift_fraction == pytest.approx((dx / SIZE_WH[0], dy / SIZE_WH[1]))
    assert motion.zoom == pytest.approx(1.0)
    assert motion.roll_deg == pytest.approx(0.0)
    assert motion.pan_deg is None
    assert motion.tilt_deg is None


@pytest.mark.parametrize("hfov_deg", [30.0, 60.0, 90.0, 120.0])
@pytest.mark.parametrize(("dx", "dy"), [(64, 0), (-64, 0), (0, 48), (0, -48), (100, -30)])
def test_pan_and_tilt_follow_the_pinhole_model(hfov_deg: float, dx: float, dy: float) -> None:
    H = np.array([[1.0, 0, dx], [0, 1, dy], [0, 0, 1]])
    motion = measure_motion(H, SIZE_WH, SIZE_WH, hfov_deg=hfov_deg)
    focal = (SIZE_WH[0] / 2) / math.tan(math.radians(hfov_deg / 2))
    assert motion.pan_deg == pytest.approx(math.degrees(math.atan(dx / focal)), abs=1e-6)
    assert motion.tilt_deg == pytest.approx(math.degrees(math.atan(dy / focal)), abs=1e-6)


@pytest.mark.parametrize("roll_deg", [-10.0, -3.0, 0.0, 2.0, 7.5])
def test_view_turned_counter_clockwise_on_screen_is_positive_roll(roll_deg: float) -> None:
    H = _about_centre(_rotation_on_screen(roll_deg))
    motion = measure_motion(H, SIZE_WH, SIZE_WH)
    assert motion.roll_deg == pytest.approx(roll_deg, abs=1e-6)
    assert motion.shift_px == pytest.approx((0.0, 0.0), abs=1e-6)
    assert motion.zoom == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("zoom", [0.5, 0.8, 1.0, 1.5, 2.0, 4.0])
def test_zoom_is_the_inverse_of_the_view_scale(zoom: float) -> None:
    # Zooming in by z shows 1/z of the reference width: live pixels map to a view 1/z the size.
    H = _about_centre(np.diag([1 / zoom, 1 / zoom, 1.0]))
    motion = measure_motion(H, SIZE_WH, SIZE_WH)
    assert motion.zoom == pytest.approx(zoom)
    assert motion.shift_px == pytest.approx((0.0, 0.0), abs=1e-9)


def test_live_frame_at_another_resolution_is_measured_in_reference_pixels() -> None:
    live_wh = (1280, 960)
    H = np.diag([0.5, 0.5, 1.0])  # the same view streamed at twice the resolution
    motion = measure_motion(H, live_wh, SIZE_WH)
    assert motion.zoom == pytest.approx(1.0)
    assert motion.shift_px == pytest.approx((0.0, 0.0))


def test_project_maps_points_and_sends_points_behind_the_camera_to_nan() -> None:
    H = np.array([[2.0, 0, 1], [0, 3, 2], [0, 0, 1]])
    np.testing.assert_allclose(project(H, np.array([[1.0, 1.0], [0.0, 0.0]])), [[3.0, 5.0], [1.0, 2.0]])
    horizon = np.array([[1.0, 0, 0], [0, 1, 0], [-0.01, 0, 1]])
    mapped = project(horizon, np.array([[50.0, 0.0], [100.0, 0.0], [200.0, 0.0]]))
    assert np.isfinite(mapped[0]).all()
    assert np.isnan(mapped[1:]).all()


@pytest.mark.parametrize(
    ("points", "area"),
    [
        (corners_xy((640, 480)), 640 * 480),
        (np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]]), 6.0),
        (np.array([[0.0, 0.0], [0.0, 3.0], [4.0, 0.0]]), 6.0),
    ],
)
def test_polygon_area_either_orientation(points: np.ndarray, area: float) -> None:
    assert polygon_area(points) == pytest.approx(area)


@pytest.mark.parametrize(
    ("H", "fragment"),
    [
        (np.zeros((3, 3)), "singular"),
        (np.array([[1.0, 0, 0], [0, 1, 0], [-0.002, 0, 1]]), "horizon"),
        (np.diag([-1.0, 1.0, 1.0]), "folded"),
        (np.diag([1 / 10, 1 / 10, 1.0]), "zoom"),
        (np.diag([10.0, 10.0, 1.0]), "zoom"),
        (np.array([[1.0, 0, 0], [0, 1, 0], [np.nan, 0, 1]]), "singular"),
    ],
    ids=["zero", "horizon", "mirrored", "zoom-in-10x", "zoom-out-10x", "nan"],
)
def test_impossible_camera_views_are_named(H: np.ndarray, fragment: str) -> None:
    problem = degeneracy(H, SIZE_WH, SIZE_WH, max_zoom=8.0)
    assert problem is not None
    assert fragment in problem


@pytest.mark.parametrize(
    "H",
    [
        np.eye(3),
        np.array([[1.0, 0, 50], [0, 1, -30], [0, 0, 1]]),
        _about_centre(_rotation_on_screen(20.0)),
        _about_centre(np.diag([0.5, 0.5, 1.0])),
        np.array([[1.0, 0.05, 0], [0.02, 1, 0], [0.0002, 0.0001, 1]]),
    ],
    ids=["identity", "shift", "roll-20", "zoom-2", "mild-perspective"],
)
def test_possible_camera_views_pass(H: np.ndarray) -> None:
    assert degeneracy(H, SIZE_WH, SIZE_WH, max_zoom=8.0) is None


def test_estimate_recovers_a_known_homography_from_noisy_points_with_outliers() -> None:
    rng = np.random.default_rng(7)
    truth = np.array([[1.02, 0.03, 12.0], [-0.01, 0.98, -7.0], [1e-5, -2e-5, 1.0]])
    live = rng.uniform([0, 0], SIZE_WH, (300, 2)).astype(np.float32)
    ref = project(truth, live.astype(np.float64)) + rng.normal(0, 0.3, (300, 2))
    ref[:60] = rng.uniform([0, 0], SIZE_WH, (60, 2))  # 20 % wrong matches
    cv2.setRNGSeed(1)
    estimate = estimate_homography(live, ref.astype(np.float32), 3.0, SIZE_WH)
    assert estimate is not None
    assert estimate.inliers >= 230
    assert estimate.inlier_ratio == pytest.approx(estimate.inliers / 300)
    assert estimate.spread > 0.8
    corners = corners_xy(SIZE_WH)
    error = np.linalg.norm(project(estimate.H_live_to_ref, corners) - project(truth, corners), axis=1)
    assert float(error.max()) < 1.0


def test_estimate_needs_enough_points() -> None:
    points = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [5, 5]], np.float32)
    assert estimate_homography(points, points, 3.0, SIZE_WH) is None
