"""The verdict on images that ship with scikit-image: known moves, zooms, rolls, zones, bad frames."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
from conftest import sample_bgr

import fov_monitor as fm
from fov_monitor.homography import corners_xy, project
from fov_monitor.synthetic import KnownMove, crop_move

PHOTOS = ["astronaut", "coffee", "chelsea", "rocket"]
DIRECTIONS = [0, 45, 90, 135, 180, 225, 270, 315]


def _corner_error(found: np.ndarray, truth: np.ndarray, size_wh: tuple[int, int]) -> float:
    corners = corners_xy(size_wh)
    return float(np.max(np.linalg.norm(project(found, corners) - project(truth, corners), axis=1)))


def _check_move(photo: str, magnitude: float, angle_deg: int) -> tuple[fm.CheckResult, KnownMove]:
    angle = math.radians(angle_deg)
    move = crop_move(sample_bgr(photo), (magnitude * math.cos(angle), magnitude * math.sin(angle)))
    reference = fm.Reference.from_image(move.reference)
    return fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), move.live), move


def test_identical_frame_is_compliant_with_identity_homography(astronaut: np.ndarray) -> None:
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), astronaut)
    assert result.status is fm.Status.COMPLIANT
    assert result.compliant
    assert result.outside_fraction is not None
    assert result.outside_fraction < 0.005
    assert result.H_live_to_ref is not None
    np.testing.assert_allclose(result.H_live_to_ref, np.eye(3), atol=2e-3)
    assert result.method is fm.AlignMethod.TRACK
    assert result.confidence > 0.9


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("angle_deg", DIRECTIONS)
@pytest.mark.parametrize(
    ("magnitude", "expected"),
    [
        (0.0025, fm.Status.COMPLIANT),
        (0.005, fm.Status.COMPLIANT),
        (0.05, fm.Status.REDIRECTED),
        (0.10, fm.Status.REDIRECTED),
    ],
)
def test_known_pan_gives_the_right_status_and_shift(photo, angle_deg, magnitude, expected) -> None:
    result, move = _check_move(photo, magnitude, angle_deg)
    assert result.status is expected, result.reasons
    assert result.H_live_to_ref is not None
    assert result.shift_fraction is not None
    height, width = move.live.shape[:2]
    assert _corner_error(result.H_live_to_ref, move.H_live_to_ref, (width, height)) < 1.5
    assert result.shift_fraction[0] == pytest.approx(move.shift_fraction[0], abs=0.004)
    assert result.shift_fraction[1] == pytest.approx(move.shift_fraction[1], abs=0.004)


def test_pan_in_degrees_follows_the_field_of_view(astronaut: np.ndarray) -> None:
    move = crop_move(astronaut, (0.08, 0.0))
    reference = fm.Reference.from_image(move.reference)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), move.live, hfov_deg=60.0)
    width = move.reference.shape[1]
    focal = (width / 2) / math.tan(math.radians(30.0))
    expected = math.degrees(math.atan2(move.H_live_to_ref[0, 2], focal))
    assert result.pan_deg == pytest.approx(expected, abs=0.1)
    assert result.tilt_deg == pytest.approx(0.0, abs=0.1)
    assert any("right" in reason for reason in result.reasons)


@pytest.mark.parametrize("roll_deg", [-5.0, 3.0, 5.0])
def test_roll_is_measured_counter_clockwise_positive(astronaut: np.ndarray, roll_deg: float) -> None:
    height, width = astronaut.shape[:2]
    # Rotating the camera counter-clockwise turns the picture clockwise: the live frame is the
    # reference rotated by -roll about its centre.
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), -roll_deg, 1.0)
    live = cv2.warpAffine(astronaut, rotation, (width, height), borderMode=cv2.BORDER_REFLECT)
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.roll_deg == pytest.approx(roll_deg, abs=0.5)


def test_zoom_in_is_measured(astronaut: np.ndarray) -> None:
    height, width = astronaut.shape[:2]
    crop = astronaut[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4]
    live = cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.zoom == pytest.approx(2.0, rel=0.03)
    assert result.status is fm.Status.COMPLIANT


@pytest.mark.parametrize("factor", [0.5, 1.5, 2.0])
def test_live_stream_at_another_resolution_is_the_same_view(astronaut: np.ndarray, factor: float) -> None:
    live = cv2.resize(astronaut, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.status is fm.Status.COMPLIANT
    assert result.zoom == pytest.approx(1.0, abs=0.01)


def test_live_frame_of_another_shape_is_aligned_by_features(astronaut: np.ndarray) -> None:
    live = astronaut[40:-40, :]
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.status is fm.Status.COMPLIANT
    assert result.method is not fm.AlignMethod.TRACK


def _zone_case(shift: float) -> fm.CheckResult:
    move = crop_move(sample_bgr("coffee"), (shift, 0.0), window_fraction=0.7)
    height, width = move.reference.shape[:2]
    zone = [
        (0.85 * width, 0.2 * height),
        (width, 0.2 * height),
        (width, 0.6 * height),
        (0.85 * width, 0.6 * height),
    ]
    permit = fm.Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
        privacy_zones={"window": zone},
        tolerance=0.2,
    )
    reference = fm.Reference.from_image(move.reference)
    return fm.check_frame(reference, permit, move.live)


def test_privacy_zone_out_of_view_is_hidden() -> None:
    result = _zone_case(-0.15)
    assert result.status is fm.Status.COMPLIANT
    assert result.zones[0].visible_fraction < 0.01
    assert not result.zones[0].exposed


def test_privacy_zone_in_view_is_exposed_with_its_share() -> None:
    result = _zone_case(0.0)
    assert result.status is fm.Status.ZONE_EXPOSED
    assert result.zones[0].visible_fraction == pytest.approx(1.0, abs=0.02)
    assert result.zones[0].exposed


def test_privacy_zone_blanked_by_the_camera_mask_is_not_exposed() -> None:
    photo = sample_bgr("rocket")
    move = crop_move(photo, (0.0, 0.0))
    height, width = move.reference.shape[:2]
    x0, x1, y0, y1 = int(0.2 * width), int(0.3 * width), int(0.3 * height), int(0.6 * height)
    reference, live = move.reference.copy(), move.live.copy()
    reference[y0:y1, x0:x1] = 90
    live[y0:y1, x0:x1] = 90
    permit = fm.Permit.whole_image((width, height))
    permit = fm.Permit(
        permitted_xy=permit.to_dict()["permitted_xy"],
        privacy_zones={"window": [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]},
    )
    result = fm.check_frame(fm.Reference.from_image(reference), permit, live)
    assert result.zones[0].masked
    assert result.status is fm.Status.COMPLIANT


@pytest.mark.parametrize("other", ["coffee", "chelsea", "rocket", "camera"])
def test_another_scene_is_redirected_as_not_recognised(astronaut: np.ndarray, other: str) -> None:
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), sample_bgr(other))
    assert result.status is fm.Status.REDIRECTED
    assert "not recognised" in result.reasons[0]
    assert result.H_live_to_ref is None


def _noisy_gray(sigma: float) -> np.ndarray:
    noise = np.random.default_rng(3).normal(128, sigma, (512, 512))
    return np.clip(noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    ("make_frame", "fragment"),
    [
        (lambda: np.zeros((512, 512, 3), np.uint8), "too dark"),
        (lambda: np.full((512, 512, 3), 128, np.uint8), "too plain"),
        (lambda: np.full((512, 512, 3), 255, np.uint8), "too plain"),
        (lambda: _noisy_gray(15), "too plain"),
        (lambda: _noisy_gray(30), "too plain"),
        (lambda: np.tile(np.linspace(0, 255, 512, dtype=np.uint8), (512, 1)), "too little detail"),
        (lambda: cv2.GaussianBlur(sample_bgr("coffee"), (0, 0), 20), "too little detail"),
    ],
    ids=["black", "gray", "white", "covered-noise-15", "covered-noise-30", "ramp", "defocused-other-scene"],
)
def test_frame_that_cannot_support_a_verdict_is_unverifiable(astronaut, make_frame, fragment: str) -> None:
    reference = fm.Reference.from_image(astronaut)
    frame = make_frame()
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), frame)
    assert result.status is fm.Status.UNVERIFIABLE
    assert fragment in result.reasons[0]


def test_best_of_several_references_is_chosen(astronaut: np.ndarray) -> None:
    other_scene = cv2.resize(sample_bgr("coffee"), astronaut.shape[1::-1])
    references = [
        fm.Reference.from_image(other_scene, label="other"),
        fm.Reference.from_image(astronaut, label="day"),
    ]
    result = fm.check_frame(references, fm.Permit.whole_image(references[1].size_wh), astronaut)
    assert result.status is fm.Status.COMPLIANT
    assert result.reference_index == 1
    assert result.reference_label == "day"


def test_no_reference_is_an_error(astronaut: np.ndarray) -> None:
    with pytest.raises(fm.InvalidImageError, match="needs a Reference"):
        fm.check_frame([], fm.Permit.whole_image((10, 10)), astronaut)


def test_result_serialises_to_json(astronaut: np.ndarray) -> None:
    result, _ = _check_move("astronaut", 0.05, 0)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "redirected"
    assert len(data["H_live_to_ref"]) == 3
    assert data["outside_fraction"] == pytest.approx(result.outside_fraction, abs=1e-5)


def test_settings_are_validated() -> None:
    with pytest.raises(fm.InvalidSettingsError, match="working_width"):
        fm.CheckSettings(working_width=10)
    with pytest.raises(fm.InvalidSettingsError, match="min_inliers"):
        fm.CheckSettings(min_inliers=0)


def test_night_reference_at_another_resolution_maps_into_the_permit_frame(astronaut: np.ndarray) -> None:
    day = fm.Reference.from_image(astronaut, label="day")
    # Thermal/IR pictures can render the scene with inverted contrast: only the night reference fits.
    night_image = cv2.resize(255 - cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY), (256, 256))
    night = fm.Reference.from_image(night_image, label="night")
    live = cv2.resize(np.roll(night_image, 20, axis=1), (256, 256))
    result = fm.check_frame([day, night], fm.Permit.whole_image(day.size_wh), live)
    assert result.reference_label == "night"
    assert result.shift_px is not None
    # 20 px at 256 px wide is 40 px in the day reference's 512 px frame the permit is drawn in.
    assert result.shift_px[0] == pytest.approx(-40.0, abs=1.5)


def test_references_of_another_aspect_ratio_are_refused(astronaut: np.ndarray) -> None:
    day = fm.Reference.from_image(astronaut, label="day")
    wide = fm.Reference.from_image(cv2.resize(astronaut, (800, 450)), label="wide")
    with pytest.raises(fm.InvalidImageError, match="must share an aspect ratio"):
        fm.check_frame([day, wide], fm.Permit.whole_image(day.size_wh), astronaut)
