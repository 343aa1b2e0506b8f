"""The enrolment self-test: the smallest move a reference lets fov-monitor detect, and weak references."""

from __future__ import annotations

import numpy as np
import pytest

from fov_monitor.core.enrolment import TRIAL_SHIFTS, self_test
from tests.support.images import sample_bgr


@pytest.mark.parametrize("name", ["coffee", "astronaut"])
def test_textured_photo_detects_small_moves_and_states_them_in_degrees(name: str) -> None:
    image = sample_bgr(name)
    test = self_test(image, hfov_deg=60.0)
    assert test.warnings == []
    assert test.smallest_shift_fraction in TRIAL_SHIFTS
    assert test.smallest_shift_fraction <= 0.02
    height, width = image.shape[:2]
    assert test.smallest_pan_deg == pytest.approx(test.smallest_shift_fraction * 60.0)
    assert test.smallest_tilt_deg == pytest.approx(test.smallest_shift_fraction * 60.0 * height / width)
    assert test.to_dict()["smallest_shift_fraction"] == test.smallest_shift_fraction


def test_without_field_of_view_there_are_no_degrees() -> None:
    test = self_test(sample_bgr("coffee"))
    assert test.smallest_shift_fraction is not None
    assert (test.smallest_pan_deg, test.smallest_tilt_deg) == (None, None)


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (np.full((240, 320, 3), 128, np.uint8), "cannot support verdicts"),
        ((sample_bgr("coffee") // 40).astype(np.uint8), "is dark"),
    ],
    ids=["plain-wall", "dark"],
)
def test_plain_or_dark_reference_is_warned_about(image: np.ndarray, fragment: str) -> None:
    test = self_test(image, hfov_deg=60.0)
    assert any(fragment in warning for warning in test.warnings), test.warnings
    if fragment == "cannot support verdicts":
        assert test.smallest_shift_fraction is None
        assert test.smallest_pan_deg is None
