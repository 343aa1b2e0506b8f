"""The verdict on real camera data from ../shared/data (see its README)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Polygon, box

import fov_monitor as fm
from fov_monitor.core.homography import corners_xy, project
from fov_monitor.core.synthetic import Condition, apply_condition, crop_move, ptz_move
from tests.support.real_data import VIDEOS, corner_error, oxford_pair

SCENE_SIZE_WH = {"oxford_graf": (800, 640), "oxford_leuven": (900, 600)}


def _true_outside_share(
    H_live_to_ref: np.ndarray, live_wh: tuple[int, int], ref_wh: tuple[int, int]
) -> float:
    view = Polygon(project(H_live_to_ref, corners_xy(live_wh)))
    return view.difference(box(0, 0, *ref_wh)).area / view.area


def _check_oxford(shared_data: Path, scene: str, index: int) -> tuple[fm.CheckResult, np.ndarray]:
    reference_image, live, truth = oxford_pair(shared_data, scene, index)
    reference = fm.Reference.from_image(reference_image)
    return fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live), truth


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6])
def test_graf_viewpoint_changes_are_redirected(shared_data: Path, index: int) -> None:
    result, truth = _check_oxford(shared_data, "oxford_graf", index)
    size_wh = SCENE_SIZE_WH["oxford_graf"]
    true_outside = _true_outside_share(truth, size_wh, size_wh)
    assert true_outside > 0.3  # every graf view reaches far outside the first one
    assert result.status is fm.Status.REDIRECTED, result.reasons
    if result.H_live_to_ref is not None:  # aligned: the numbers must be right
        assert corner_error(result.H_live_to_ref, truth, size_wh) < 5.0
        assert result.outside_fraction == pytest.approx(true_outside, abs=0.02)
    else:  # not aligned: only because the view is not recognised
        assert "not recognised" in result.reasons[0]


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6])
def test_leuven_exposure_changes_follow_the_ground_truth(shared_data: Path, index: int) -> None:
    result, truth = _check_oxford(shared_data, "oxford_leuven", index)
    size_wh = SCENE_SIZE_WH["oxford_leuven"]
    true_outside = _true_outside_share(truth, size_wh, size_wh)
    assert result.outside_fraction is not None, result.reasons
    assert result.outside_fraction == pytest.approx(true_outside, abs=0.005)
    assert corner_error(result.H_live_to_ref, truth, size_wh) < 1.0
    # Away from the tolerance (2 %) the verdict must follow the ground truth.
    if true_outside < 0.015:
        assert result.status is fm.Status.COMPLIANT, result.reasons
    elif true_outside > 0.025:
        assert result.status is fm.Status.REDIRECTED, result.reasons
    else:
        assert result.status in (fm.Status.COMPLIANT, fm.Status.REDIRECTED), result.reasons


def test_leuven_second_image_is_not_redirected(shared_data: Path) -> None:
    result, truth = _check_oxford(shared_data, "oxford_leuven", 2)
    size_wh = SCENE_SIZE_WH["oxford_leuven"]
    assert _true_outside_share(truth, size_wh, size_wh) < 0.01
    assert result.status is not fm.Status.REDIRECTED, result.reasons


@pytest.mark.parametrize("video", VIDEOS)
def test_fixed_cameras_raise_no_alarm(video_samples, video: str) -> None:
    frames = video_samples[video]
    assert len(frames) > 20
    reference = fm.Reference.from_image(frames[0][1])
    width, height = reference.size_wh
    # A privacy zone just beyond the right edge (inside the 5 % drawing margin): a camera that
    # stays put never shows it.
    permit = fm.Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)],
        privacy_zones={
            "next-door": [(width + 2, 0), (1.04 * width, 0), (1.04 * width, height), (width + 2, height)]
        },
    )
    alarms = []
    for index, frame in frames[1:]:
        result = fm.check_frame(reference, permit, frame)
        if result.status is not fm.Status.COMPLIANT:
            alarms.append((index, str(result.status), result.reasons))
        elif result.outside_fraction > 0.01:  # "drifting" would be reported for a camera that never moved
            alarms.append((index, "drifting", result.outside_fraction))
    assert not alarms, (
        f"{len(alarms)} of {len(frames) - 1} frames of a fixed camera raised an alarm: {alarms}"
    )


KNOWN_MOVES = [
    (magnitude, 45 * step, expected)
    for step in range(8)
    for magnitude, expected in ((0.005, fm.Status.COMPLIANT), (0.05, fm.Status.REDIRECTED))
]


@pytest.mark.parametrize("condition", list(Condition))
@pytest.mark.parametrize("video", VIDEOS)
def test_known_moves_under_conditions(video_samples, video: str, condition: Condition) -> None:
    frames = video_samples[video]
    picked = [frames[0], frames[len(frames) // 2], frames[-1]]
    failures = []
    checked = 0
    for frame_index, frame in picked:
        for magnitude, angle_deg, expected in KNOWN_MOVES:
            angle = math.radians(angle_deg)
            move = crop_move(frame, (magnitude * math.cos(angle), magnitude * math.sin(angle)))
            reference = fm.Reference.from_image(move.reference)
            # The condition hits the live frame only: the reference was taken on a good day.
            live = apply_condition(move.live, condition, seed=angle_deg + frame_index)
            result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
            checked += 1
            case = f"frame {frame_index}, {magnitude:.1%} at {angle_deg} deg"
            if result.status is not expected:
                kind = "false alarm" if expected is fm.Status.COMPLIANT else "miss"
                failures.append(f"{kind}: {case} -> {result.status} {result.reasons}")
                continue
            found, true_shift = result.shift_fraction, move.shift_fraction
            if found is None or max(abs(found[0] - true_shift[0]), abs(found[1] - true_shift[1])) > 0.005:
                failures.append(f"shift: {case} measured {found}, true {true_shift}")
    assert checked == len(picked) * 16
    assert not failures, f"{len(failures)} of {checked} known moves wrong:\n" + "\n".join(failures)


@pytest.mark.parametrize("video", VIDEOS)
def test_random_camera_turns_follow_the_ground_truth(video_samples, video: str) -> None:
    rng = np.random.default_rng(VIDEOS.index(video))
    frame = video_samples[video][0][1]
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
        if result.outside_fraction is None:
            failures.append(("not aligned", true_outside, str(result.status), result.reasons))
            continue
        if abs(result.outside_fraction - true_outside) > max(0.01, 0.1 * true_outside):
            failures.append(("outside", true_outside, result.outside_fraction))
        if true_outside >= 0.04 and result.status is not fm.Status.REDIRECTED:
            failures.append(("missed", true_outside, str(result.status)))
        if true_outside <= 0.01 and result.status is not fm.Status.COMPLIANT:
            failures.append(("false alarm", true_outside, str(result.status)))
    assert not failures, failures
