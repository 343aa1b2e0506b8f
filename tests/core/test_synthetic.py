"""The known moves and conditions the other tests rely on: their ground truth must be exact."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.core.homography import measure_motion
from fov_monitor.core.synthetic import Condition, apply_condition, crop_move, ptz_move
from tests.support.images import sample_bgr


@pytest.mark.parametrize(
    ("shift", "window_fraction"),
    [
        ((0.0, 0.0), 0.8),
        ((0.05, 0.0), 0.8),
        ((-0.1, 0.07), 0.8),
        ((0.0, -0.2), 0.6),
        ((0.0025, -0.0025), 0.8),
    ],
)
def test_crop_move_live_pixels_are_the_reference_pixels_its_homography_names(
    astronaut: np.ndarray, shift: tuple[float, float], window_fraction: float
) -> None:
    move = crop_move(astronaut, shift, window_fraction=window_fraction)
    height, width = move.reference.shape[:2]
    assert move.live.shape == move.reference.shape
    assert (width, height) == (round(512 * window_fraction), round(512 * window_fraction))
    dx, dy = int(move.H_live_to_ref[0, 2]), int(move.H_live_to_ref[1, 2])
    assert (dx, dy) == (round(shift[0] * width), round(shift[1] * height))
    np.testing.assert_array_equal(move.H_live_to_ref[:, :2], np.eye(3)[:, :2])
    # Where both windows overlap, live(x, y) is reference(x + dx, y + dy).
    live_part = move.live[max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
    ref_part = move.reference[max(0, dy) : height + min(0, dy), max(0, dx) : width + min(0, dx)]
    np.testing.assert_array_equal(live_part, ref_part)
    assert move.shift_fraction == pytest.approx((dx / width, dy / height))


@pytest.mark.parametrize(("shift", "window_fraction"), [((0.2, 0.0), 0.8), ((0.0, -0.5), 0.6)])
def test_crop_move_that_does_not_fit_is_refused(
    astronaut: np.ndarray, shift: tuple[float, float], window_fraction: float
) -> None:
    with pytest.raises(fm.InvalidSettingsError, match="does not fit"):
        crop_move(astronaut, shift, window_fraction=window_fraction)


def test_ptz_move_without_a_turn_is_the_reference(astronaut: np.ndarray) -> None:
    move = ptz_move(astronaut, 0.0, 0.0)
    np.testing.assert_allclose(move.H_live_to_ref, np.eye(3), atol=1e-12)
    assert np.abs(move.live.astype(int) - move.reference.astype(int)).max() <= 1


@pytest.mark.parametrize(
    ("pan", "tilt", "roll", "zoom"),
    [
        (5.0, 0.0, 0.0, 1.0),
        (-5.0, 3.0, 0.0, 1.0),
        (0.0, -4.0, 0.0, 1.0),
        (0.0, 0.0, 6.0, 1.0),
        (2.0, 1.0, -3.0, 1.3),
    ],
)
def test_ptz_move_ground_truth_has_the_stated_signs_and_sizes(
    astronaut: np.ndarray, pan: float, tilt: float, roll: float, zoom: float
) -> None:
    move = ptz_move(astronaut, pan, tilt, roll, zoom, hfov_deg=60.0)
    height, width = move.reference.shape[:2]
    motion = measure_motion(move.H_live_to_ref, (width, height), (width, height), hfov_deg=60.0)
    assert motion.pan_deg is not None
    assert motion.tilt_deg is not None
    # Pan right and tilt down move the view centre right and down, by about the angle turned.
    assert motion.pan_deg == pytest.approx(pan, abs=0.15 + 0.1 * abs(tilt))
    assert motion.tilt_deg == pytest.approx(tilt, abs=0.15 + 0.1 * abs(pan))
    assert motion.roll_deg == pytest.approx(roll, abs=0.2)
    assert motion.zoom == pytest.approx(zoom, rel=0.02)


def test_ptz_move_live_frame_is_the_frame_seen_through_its_homography(astronaut: np.ndarray) -> None:
    move = ptz_move(astronaut, 3.0, -2.0, 4.0, 1.2)
    height, width = move.reference.shape[:2]
    # Warp the reference by the true homography: it must reproduce the live frame where both see it.
    rendered = cv2.warpPerspective(
        move.reference, move.H_live_to_ref, (width, height), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    )
    inside = cv2.warpPerspective(
        np.full((height, width), 255, np.uint8),
        move.H_live_to_ref,
        (width, height),
        flags=cv2.WARP_INVERSE_MAP | cv2.INTER_NEAREST,
    )
    inside = cv2.erode(inside, np.ones((7, 7), np.uint8)) > 0
    assert inside.mean() > 0.5
    difference = np.abs(rendered.astype(int) - move.live.astype(int))[inside]
    assert float(difference.mean()) < 6.0


@pytest.mark.parametrize("condition", list(Condition))
@pytest.mark.parametrize("channels", [3, 1])
def test_conditions_keep_shape_and_dtype_and_are_deterministic(
    astronaut: np.ndarray, condition: Condition, channels: int
) -> None:
    frame = astronaut if channels == 3 else cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    first = apply_condition(frame, condition, seed=4)
    assert first.shape == frame.shape
    assert first.dtype == np.uint8
    np.testing.assert_array_equal(first, apply_condition(frame, condition, seed=4))


@pytest.mark.parametrize("condition", [Condition.NIGHT, Condition.DUSK])
def test_noisy_conditions_depend_on_the_seed(astronaut: np.ndarray, condition: Condition) -> None:
    assert not np.array_equal(
        apply_condition(astronaut, condition, 1), apply_condition(astronaut, condition, 2)
    )


def _luma_stats(image: np.ndarray) -> tuple[float, float]:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(float)
    return float(gray.mean()), float(np.percentile(gray, 99) - np.percentile(gray, 1))


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea", "rocket"])
def test_conditions_look_like_their_names(photo: str) -> None:
    frame = sample_bgr(photo)
    mean, spread = _luma_stats(frame)
    np.testing.assert_array_equal(apply_condition(frame, Condition.CLEAN), frame)

    night = apply_condition(frame, Condition.NIGHT, seed=0)
    night_mean, _ = _luma_stats(night)
    assert night_mean < 0.45 * mean
    assert np.array_equal(night[:, :, 0], night[:, :, 1])  # gray, as IR is
    assert np.array_equal(night[:, :, 1], night[:, :, 2])

    dusk = apply_condition(frame, Condition.DUSK, seed=0)
    dusk_mean, dusk_spread = _luma_stats(dusk)
    assert dusk_spread < 0.5 * spread
    assert 25 <= dusk_mean <= 70

    jpeg = apply_condition(frame, Condition.JPEG25)
    error = np.abs(jpeg.astype(float) - frame.astype(float))
    assert 0.5 < float(error.mean()) < 10.0
    psnr = 10 * math.log10(255**2 / float(np.mean(error**2)))
    assert 22.0 < psnr < 40.0
