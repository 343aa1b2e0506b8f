"""Input images: what is accepted, what is converted, and the one-line errors for the rest."""

from __future__ import annotations

import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.imaging import to_working_gray


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (np.zeros((0, 0), np.uint8), "at least 16 px"),
        (np.zeros((1, 1, 3), np.uint8), "1x1"),
        (np.zeros((100, 100, 5), np.uint8), "H x W x 3"),
        (np.zeros((4, 100, 100), np.uint8), "H x W x 3"),
        ([[1, 2], [3, 4]], "numpy image array"),
        (None, "numpy image array"),
        (np.full((64, 64), np.nan, np.float32), "NaN"),
        (np.zeros((64, 64), np.complex64), "dtype"),
    ],
    ids=["empty", "1x1", "5-channel", "channels-first", "list", "none", "nan", "complex"],
)
def test_unusable_frames_raise_one_line_error(astronaut: np.ndarray, image: object, fragment: str) -> None:
    reference = fm.Reference.from_image(astronaut)
    with pytest.raises(fm.InvalidImageError) as caught:
        fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), image)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "\n" not in message
    assert fragment in message
    assert "live frame" in message


def _as_uint16(image: np.ndarray) -> np.ndarray:
    return image.astype(np.uint16) * 257


@pytest.mark.parametrize(
    "convert",
    [
        _as_uint16,
        lambda image: image.astype(np.float32) / 255.0,
        lambda image: image.astype(np.float64),
        lambda image: np.dstack([image, np.full(image.shape[:2], 255, np.uint8)]),
        lambda image: image[:, :, 1:2],
    ],
    ids=["uint16", "float-0-1", "float-0-255", "bgra", "hxwx1"],
)
def test_convertible_frames_give_the_uint8_verdict(astronaut: np.ndarray, convert) -> None:
    reference = fm.Reference.from_image(astronaut)
    permit = fm.Permit.whole_image(reference.size_wh)
    shifted = np.roll(astronaut, 40, axis=1)
    plain = fm.check_frame(reference, permit, shifted)
    converted = fm.check_frame(reference, permit, convert(shifted))
    assert plain.status is fm.Status.REDIRECTED
    assert converted.status is plain.status
    assert converted.shift_px is not None
    assert plain.shift_px is not None
    assert converted.shift_px[0] == pytest.approx(plain.shift_px[0], abs=1.0)


def test_working_image_keeps_original_size_and_scale() -> None:
    frame = np.zeros((1080, 1920, 3), np.uint8)
    working = to_working_gray(frame, 640)
    assert working.size_wh == (1920, 1080)
    assert working.gray.shape == (360, 640)
    assert working.scale == pytest.approx(1 / 3)


def test_huge_array_is_shrunk_to_the_working_size() -> None:
    huge = np.zeros((30000, 30000), np.uint8)
    huge[::500, :] = 255
    working = to_working_gray(huge, 640)
    assert working.gray.shape == (640, 640)
    assert working.size_wh == (30000, 30000)


def test_huge_frame_gets_a_verdict(astronaut: np.ndarray) -> None:
    reference = fm.Reference.from_image(astronaut)
    huge = np.zeros((30000, 30000), np.uint8)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), huge)
    assert result.status is fm.Status.UNVERIFIABLE
