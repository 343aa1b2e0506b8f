"""Enrolment over several frames: how much of the view stays the same, and the self-test across them."""

from __future__ import annotations

import numpy as np

from fov_monitor.core.enrolment import STABLE_SHARE_WARNING, self_test
from tests.support.images import sample_bgr


def _with_water(image: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Return ``image`` whose lower ``share`` is rippling water: fresh texture at every frame."""
    out = image.copy()
    height = out.shape[0]
    top = int(height * (1.0 - share))
    ripples = np.random.default_rng(seed).normal(110.0, 35.0, out[top:].shape)
    out[top:] = np.clip(ripples, 0, 255).astype(np.uint8)
    return out


def _noisy(image: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, 2.0, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_a_still_view_keeps_its_structure_across_the_frames() -> None:
    scene = sample_bgr("astronaut")
    test = self_test(scene, others=[_noisy(scene, seed) for seed in (1, 2)])
    assert test.frames == 3
    assert test.stable_share is not None
    assert test.stable_share > 0.6
    assert not any("kept its structure" in warning for warning in test.warnings)
    assert test.smallest_shift_fraction is not None


def test_a_view_mostly_of_moving_water_is_warned_about_with_what_cannot_be_told() -> None:
    scene = sample_bgr("astronaut")
    frames = [_with_water(scene, 0.85, seed) for seed in (1, 2, 3)]
    test = self_test(frames[0], others=frames[1:])
    assert test.stable_share is not None
    assert test.stable_share < STABLE_SHARE_WARNING
    (warning,) = [w for w in test.warnings if "kept its structure" in w]
    assert f"only {test.stable_share:.0%} of the view" in warning
    assert "a cover or defocus elsewhere cannot be told" in warning


def test_the_certified_move_is_measured_on_every_frame_not_the_reference_alone() -> None:
    # One frame shows the scene; the others are mostly water: a move that the reference alone would
    # certify is not found on them, so the certified move is larger (or none).
    scene = sample_bgr("astronaut")
    alone = self_test(scene)
    across = self_test(scene, others=[_with_water(scene, 0.85, seed) for seed in (1, 2)])
    assert alone.smallest_shift_fraction is not None
    assert (
        across.smallest_shift_fraction is None
        or across.smallest_shift_fraction > alone.smallest_shift_fraction
    )


def test_one_frame_keeps_the_old_record_shape() -> None:
    test = self_test(sample_bgr("astronaut"))
    assert test.frames == 1
    assert test.stable_share is None
