"""Input images: what is accepted, what is converted, and the one-line errors for the rest."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from fov_monitor.core.imaging import to_uint8, to_working_gray, validate_image
from tests.support.images import sample_bgr
from tests.support.messages import assert_one_line

UNUSABLE = [
    (np.zeros((0, 0), np.uint8), "at least 48 px"),
    (np.zeros((0, 0, 3), np.uint8), "at least 48 px"),
    (np.zeros((1, 1, 3), np.uint8), "1x1"),
    (np.zeros((1, 1), np.uint8), "1x1"),
    (np.zeros((8, 500, 3), np.uint8), "500x8"),
    (np.zeros((100, 100, 5), np.uint8), "H x W x 3"),
    (np.zeros((100, 100, 2), np.uint8), "H x W x 3"),
    (np.zeros((4, 100, 100), np.uint8), "H x W x 3"),
    (np.zeros((2, 100, 100, 3), np.uint8), "H x W x 3"),
    (np.zeros(100, np.uint8), "H x W x 3"),
    ([[1, 2], [3, 4]], "numpy image array"),
    (None, "numpy image array"),
    ("frame.jpg", "numpy image array"),
    (np.full((64, 64), np.nan, np.float32), "NaN"),
    (np.where(np.eye(64, dtype=bool), np.nan, 0.5), "NaN"),
    (np.full((64, 64, 3), np.inf, np.float64), "infinite"),
    (np.zeros((64, 64), np.complex64), "dtype"),
    (np.zeros((64, 64), object), "dtype"),
]
UNUSABLE_IDS = [
    "empty",
    "empty-bgr",
    "1x1-bgr",
    "1x1-gray",
    "8-px-high",
    "5-channel",
    "2-channel",
    "channels-first",
    "batch",
    "1-d",
    "list",
    "none",
    "path-string",
    "all-nan",
    "one-nan-diagonal",
    "inf",
    "complex",
    "object",
]


@pytest.mark.parametrize(("image", "fragment"), UNUSABLE, ids=UNUSABLE_IDS)
def test_unusable_frame_raises_one_line_error_naming_the_frame(
    astronaut: np.ndarray, image: object, fragment: str
) -> None:
    reference = fm.Reference.from_image(astronaut)
    with pytest.raises(fm.InvalidImageError) as caught:
        fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), image)  # type: ignore[arg-type]
    assert_one_line(caught.value, fragment, "live frame")


@pytest.mark.parametrize(("image", "fragment"), UNUSABLE, ids=UNUSABLE_IDS)
def test_unusable_reference_raises_one_line_error_naming_the_reference(image: object, fragment: str) -> None:
    with pytest.raises(fm.InvalidImageError) as caught:
        fm.Reference.from_image(image, label="night")  # type: ignore[arg-type]
    assert_one_line(caught.value, fragment, "reference 'night'")


def _as_uint16(image: np.ndarray) -> np.ndarray:
    return image.astype(np.uint16) * 257


CONVERSIONS = [
    _as_uint16,
    lambda image: image.astype(np.float32) / 255.0,
    lambda image: image.astype(np.float64) / 255.0,
    lambda image: image.astype(np.float32),
    lambda image: image.astype(np.float64),
    lambda image: np.dstack([image, np.full(image.shape[:2], 255, np.uint8)]),
    lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[:, :, None],
    lambda image: cv2.cvtColor(image, cv2.COLOR_BGR2GRAY),
    lambda image: np.asfortranarray(image),
    lambda image: np.pad(image, ((0, 0), (0, 3), (0, 0)))[:, :-3],
]
CONVERSION_IDS = [
    "uint16",
    "float32-0-1",
    "float64-0-1",
    "float32-0-255",
    "float64-0-255",
    "bgra",
    "hxwx1",
    "gray",
    "fortran-order",
    "strided-view",
]


@pytest.mark.parametrize("shift_px", [0, 40], ids=["same-view", "moved-40px"])
@pytest.mark.parametrize("convert", CONVERSIONS, ids=CONVERSION_IDS)
def test_convertible_frame_gives_the_uint8_bgr_verdict(astronaut: np.ndarray, convert, shift_px: int) -> None:
    reference = fm.Reference.from_image(astronaut)
    permit = fm.Permit.whole_image(reference.size_wh)
    live = np.roll(astronaut, shift_px, axis=1)
    plain = fm.check_frame(reference, permit, live)
    converted = fm.check_frame(reference, permit, convert(live))
    assert plain.status is (fm.Status.REDIRECTED if shift_px else fm.Status.COMPLIANT), plain.reasons
    assert converted.status is plain.status, converted.reasons
    assert converted.shift_px is not None
    assert plain.shift_px is not None
    assert converted.shift_px[0] == pytest.approx(plain.shift_px[0], abs=1.0)
    assert converted.shift_px[0] == pytest.approx(-shift_px, abs=1.0)
    assert converted.outside_fraction == pytest.approx(plain.outside_fraction, abs=0.003)


@pytest.mark.parametrize("convert", CONVERSIONS, ids=CONVERSION_IDS)
def test_convertible_reference_gives_the_uint8_bgr_verdict(astronaut: np.ndarray, convert) -> None:
    live = np.roll(astronaut, 40, axis=1)
    reference = fm.Reference.from_image(convert(astronaut))
    assert reference.size_wh == (astronaut.shape[1], astronaut.shape[0])
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), live)
    assert result.status is fm.Status.REDIRECTED, result.reasons
    assert result.shift_px is not None
    assert result.shift_px[0] == pytest.approx(-40.0, abs=1.0)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (np.array([[0, 65535], [257, 32896]], np.uint16), [[0, 255], [1, 128]]),
        (np.array([[0.0, 1.0], [0.5, 0.25]], np.float32), [[0, 255], [128, 64]]),
        (np.array([[0.0, 255.0], [300.0, -5.0]], np.float64), [[0, 255], [255, 0]]),
        (np.array([[False, True], [True, False]]), [[0, 255], [255, 0]]),
        (np.array([[-20, 300], [7, 255]], np.int32), [[0, 255], [7, 255]]),
    ],
    ids=["uint16-full-range", "float-0-1", "float-0-255-clipped", "bool", "int32-clipped"],
)
def test_to_uint8_maps_each_dtype_range_onto_0_255(image: np.ndarray, expected: list[list[int]]) -> None:
    converted = to_uint8(image)
    assert converted.dtype == np.uint8
    np.testing.assert_array_equal(converted, np.array(expected, np.uint8))


def test_validate_image_drops_a_single_channel_axis() -> None:
    assert validate_image(np.zeros((60, 90, 1), np.uint8)).shape == (60, 90)


@pytest.mark.parametrize(
    ("shape", "working_width", "expected_gray_shape"),
    [
        ((1080, 1920, 3), 640, (360, 640)),
        ((480, 640, 3), 640, (480, 640)),
        ((240, 320), 640, (240, 320)),
        ((3000, 4000, 4), 640, (480, 640)),
        ((720, 1280), 320, (180, 320)),
    ],
)
def test_working_image_keeps_the_original_size_and_its_scale(
    shape: tuple[int, ...], working_width: int, expected_gray_shape: tuple[int, int]
) -> None:
    working = to_working_gray(np.zeros(shape, np.uint8), working_width)
    assert working.size_wh == (shape[1], shape[0])
    assert working.gray.shape == expected_gray_shape
    assert working.gray.dtype == np.uint8
    assert working.scale == pytest.approx(expected_gray_shape[1] / shape[1])


def test_working_gray_of_a_photo_matches_opencv_gray(astronaut: np.ndarray) -> None:
    working = to_working_gray(astronaut, 640)
    expected = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    assert np.abs(working.gray.astype(int) - expected.astype(int)).max() <= 1


def test_huge_array_is_shrunk_to_the_working_size() -> None:
    huge = np.zeros((30000, 30000), np.uint8)
    huge[::500, :] = 255
    working = to_working_gray(huge, 640)
    assert working.gray.shape == (640, 640)
    assert working.size_wh == (30000, 30000)
    # 60 bright rows of 1 px in 30000 px shrink to a mean of 255 / 500 over the image.
    assert float(working.gray.mean()) == pytest.approx(255 / 500, abs=0.3)


def test_huge_frame_gets_a_verdict_not_a_crash(astronaut: np.ndarray) -> None:
    reference = fm.Reference.from_image(astronaut)
    huge = np.zeros((30000, 30000), np.uint8)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), huge)
    assert result.status is fm.Status.TAMPERED
    assert result.reasons[0].startswith("black")


@pytest.mark.parametrize(
    "shape_hw",
    [(16, 5000), (16, 10000), (5000, 16), (10000, 16), (20, 2000), (16, 2000)],
    ids=lambda shape: f"{shape[1]}x{shape[0]}",
)
@pytest.mark.parametrize("role", ["live frame", "reference"])
def test_extreme_aspect_ratio_gives_a_verdict_or_a_one_line_error(
    astronaut: np.ndarray, shape_hw: tuple[int, int], role: str
) -> None:
    strip = cv2.resize(astronaut, (shape_hw[1], shape_hw[0]), interpolation=cv2.INTER_AREA)
    try:
        if role == "live frame":
            reference = fm.Reference.from_image(astronaut)
            result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), strip)
        else:
            reference = fm.Reference.from_image(strip)
            result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), strip)
    except fm.InvalidImageError as error:
        assert_one_line(error, role)
        return
    assert isinstance(result.status, fm.Status)
    if role == "reference":
        # The frame is the reference itself: whatever it is, it was not moved.
        assert result.status in (fm.Status.COMPLIANT, fm.Status.UNVERIFIABLE), result.reasons


@pytest.mark.parametrize("photo", ["astronaut", "coffee", "chelsea", "rocket"])
@pytest.mark.parametrize("width", [16, 24, 32, 48, 64])
def test_small_frame_identical_to_its_reference_is_never_an_alarm(photo: str, width: int) -> None:
    image = sample_bgr(photo)
    height = max(16, round(width * image.shape[0] / image.shape[1]))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    try:
        reference = fm.Reference.from_image(small)
        result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), small)
    except fm.InvalidImageError as error:  # refusing a frame too small to check is fine too
        assert_one_line(error, f"{width}x{height}")
        return
    assert result.status in (fm.Status.COMPLIANT, fm.Status.UNVERIFIABLE), result.reasons


@pytest.mark.parametrize("bits", [10, 12, 14, 16])
def test_sensor_depth_in_uint16_reads_as_the_same_picture(astronaut: np.ndarray, bits: int) -> None:
    # Machine-vision cameras deliver 10/12/14-bit data in uint16, aligned to the low bits.
    deep = (astronaut.astype(np.uint32) * (2**bits - 1) // 255).astype(np.uint16)
    assert np.abs(to_uint8(deep).astype(int) - astronaut.astype(int)).max() <= 1
    reference = fm.Reference.from_image(astronaut)
    result = fm.check_frame(reference, fm.Permit.whole_image(reference.size_wh), deep)
    assert result.status is fm.Status.COMPLIANT
