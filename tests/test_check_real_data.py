"""The verdict on real camera data from ../shared/data (see its README)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from _common import oxford_pair, video_frames
from shapely.geometry import Polygon, box

import fov_monitor as fm
from fov_monitor.homography import corners_xy, project
from fov_monitor.synthetic import Condition, apply_condition, crop_move, ptz_move

VIDEOS = ["vtest.avi", "one-by-one-person-detection.mp4", "video02.avi"]


def _true_outside_share(
    H_live_to_ref: np.ndarray, live_wh: tuple[int, int], ref_wh: tuple[int, int]
) -> float:
    view = Polygon(project(H_live_to_ref, corners_xy(live_wh)))
    return view.difference(box(0, 0, *ref_wh)).area / view.area


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6])
def test_graf_viewpoint_changes_are_redirected(shared_data: Path, index: int) -> None:
    reference_image, live, truth = oxford_pair(shared_data, "oxford_graf", index)
    reference = fm.Reference.from_image(reference_image)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.status is fm.Status.REDIRECTED, result.reasons
    if result.H_live_to_ref is not None:
        errors = np.linalg.norm(
            project(result.H_live_to_ref, corners_xy((800, 640))) - project(truth, corners_xy((800, 640))),
            axis=1,
        )
        assert float(np.mean(errors)) < 5.0


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6])
def test_leuven_exposure_changes_follow_the_ground_truth(shared_data: Path, index: int) -> None:
    reference_image, live, truth = oxford_pair(shared_data, "oxford_leuven", index)
    reference = fm.Reference.from_image(reference_image)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    true_outside = _true_outside_share(truth, (900, 600), (900, 600))
    assert result.outside_fraction is not None, result.reasons
    assert result.outside_fraction == pytest.approx(true_outside, abs=0.005)
    if true_outside < 0.01:
        assert result.status is fm.Status.COMPLIANT


@pytest.fixture(scope="module")
def sampled_frames(shared_data: Path) -> dict[str, list[tuple[int, np.ndarray]]]:
    return {name: list(video_frames(shared_data / "videos" / name, every=25)) for name in VIDEOS}


@pytest.mark.parametrize("video", VIDEOS)
def test_fixed_cameras_raise_no_alarm(sampled_frames, video: str) -> None:
    frames = sampled_frames[video]
    reference = fm.Reference.from_image(frames[0][1])
    permit = fm.Permit.whole_image(reference.size_wh)
    alarms = []
    for index, frame in frames[1:]:
        result = fm.check_frame(reference, permit, frame)
        if result.status is not fm.Status.COMPLIANT:
            alarms.append((index, str(result.status), result.reasons))
    assert len(frames) > 20
    assert not alarms


@pytest.mark.parametrize("condition", list(Condition))
@pytest.mark.parametrize("video", VIDEOS)
def test_known_moves_under_conditions(sampled_frames, video: str, condition: Condition) -> None:
    frames = sampled_frames[video]
    failures = []
    for _, frame in (frames[0], frames[len(frames) // 2]):
        for step in range(8):
            angle = math.radians(45 * step)
            for magnitude, expected in ((0.005, fm.Status.COMPLIANT), (0.05, fm.Status.REDIRECTED)):
                move = crop_move(frame, (magnitude * math.cos(angle), magnitude * math.sin(angle)))
                reference = fm.Reference.from_image(move.reference)
                live = apply_condition(move.live, condition, seed=step)
                result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
                if result.status is not expected:
                    failures.append((magnitude, 45 * step, str(result.status), result.reasons))
    assert not failures


@pytest.mark.parametrize("video", VIDEOS)
def test_random_camera_turns_follow_the_ground_truth(sampled_frames, video: str) -> None:
    rng = np.random.default_rng(VIDEOS.index(video))
    frame = sampled_frames[video][0][1]
    failures = []
    for _ in range(12):
        move = ptz_move(
            frame,
            rng.uniform(-6, 6),
            rng.uniform(-4, 4),
            rng.uniform(-6, 6),
            float(np.exp(rng.uniform(-0.25, 0.25))),
        )
        live_wh = (move.live.shape[1], move.live.shape[0])
        true_outside = _true_outside_share(move.H_live_to_ref, live_wh, live_wh)
        reference = fm.Reference.from_image(move.reference)
        result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), move.live)
        assert result.outside_fraction is not None, result.reasons
        if abs(result.outside_fraction - true_outside) > max(0.01, 0.1 * true_outside):
            failures.append(("outside", true_outside, result.outside_fraction))
        if true_outside >= 0.04 and result.status is not fm.Status.REDIRECTED:
            failures.append(("missed", true_outside, str(result.status)))
        if true_outside <= 0.01 and result.status is not fm.Status.COMPLIANT:
            failures.append(("false alarm", true_outside, str(result.status)))
    assert not failures
