"""Reading image files: clear errors for missing, truncated, non-image and huge files."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from tests.support.images import png_chunk, png_header_only
from tests.support.messages import assert_one_line

MiB = 1024 * 1024


def _blank_png(width: int, height: int) -> bytes:
    """Return a complete, valid 8-bit gray PNG of zeros, compressed row by row (a few MB for 900 MP)."""
    compressor = zlib.compressobj(1)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid 30000 x 30000 PNG file (900 MP, 900 MB once decoded)."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    path.write_bytes(_blank_png(30000, 30000))
    return path


@pytest.fixture
def photo_files(tmp_path: Path, astronaut: np.ndarray) -> dict[str, Path]:
    files = {}
    for extension in ("jpg", "png", "ppm", "bmp"):
        files[extension] = tmp_path / f"frame.{extension}"
        cv2.imwrite(str(files[extension]), astronaut)
    return files


@pytest.mark.parametrize(
    ("extension", "lossless"), [("jpg", False), ("png", True), ("ppm", True), ("bmp", True)]
)
def test_reads_a_photo_as_bgr_uint8(
    photo_files: dict[str, Path], astronaut: np.ndarray, extension: str, lossless: bool
) -> None:
    image = fm.read_image(photo_files[extension])
    assert image.shape == astronaut.shape
    assert image.dtype == np.uint8
    np.testing.assert_array_equal(image, cv2.imread(str(photo_files[extension])))
    error = np.abs(image.astype(int) - astronaut.astype(int))
    assert float(error.mean()) < 3.0
    if lossless:
        assert int(error.max()) == 0


@pytest.mark.parametrize(
    "write",
    [
        lambda path, image: cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)),
        lambda path, image: cv2.imwrite(str(path), image.astype(np.uint16) * 257),
    ],
    ids=["gray-png", "16-bit-png"],
)
def test_gray_and_16_bit_files_come_back_as_8_bit_bgr(tmp_path: Path, astronaut: np.ndarray, write) -> None:
    path = tmp_path / "frame.png"
    write(path, astronaut)
    image = fm.read_image(path)
    assert image.dtype == np.uint8
    assert image.shape == astronaut.shape
    gray = cv2.cvtColor(astronaut, cv2.COLOR_BGR2GRAY)
    assert np.abs(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(int) - gray.astype(int)).max() <= 2


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("extension", "damage", "fragment"),
    [
        ("jpg", lambda path: path.unlink(), "does not exist"),
        ("jpg", lambda path: path.write_bytes(b""), "not an image"),
        ("jpg", lambda path: path.write_text("<html>not an image</html>"), "not an image"),
        ("png", lambda path: path.write_text("just some text\n" * 100), "not an image"),
        ("jpg", _cut_in_half, "truncated"),
        ("png", _cut_in_half, "truncated"),
        ("jpg", lambda path: path.write_bytes(path.read_bytes()[:-10]), "truncated"),
        ("png", lambda path: path.write_bytes(path.read_bytes()[:-20]), "truncated"),
        ("ppm", _cut_in_half, "could not be decoded"),
        ("bmp", _cut_in_half, "could not be decoded"),
        ("png", lambda path: path.write_bytes(path.read_bytes()[:40]), ""),
    ],
    ids=[
        "missing",
        "zero-bytes",
        "html",
        "text",
        "jpg-half",
        "png-half",
        "jpg-end-cut",
        "png-end-cut",
        "ppm-half",
        "bmp-half",
        "png-header-only",
    ],
)
def test_bad_files_raise_a_one_line_error_naming_the_file(
    photo_files: dict[str, Path], extension: str, damage, fragment: str
) -> None:
    path = photo_files[extension]
    damage(path)
    with pytest.raises(fm.ImageFileError) as caught:
        fm.read_image(path)
    assert_one_line(caught.value, str(path), fragment)


def test_a_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(fm.ImageFileError) as caught:
        fm.read_image(tmp_path)
    assert_one_line(caught.value, str(tmp_path))


@pytest.mark.parametrize("extension", ["jpg", "png"])
def test_complete_file_with_trailing_bytes_is_read(
    photo_files: dict[str, Path], astronaut: np.ndarray, extension: str
) -> None:
    # Some cameras and HTTP snapshot endpoints pad a complete image; the decoder reads it fine.
    path = photo_files[extension]
    expected = cv2.imread(str(path))
    path.write_bytes(path.read_bytes() + b"\x00" * 1024)
    np.testing.assert_array_equal(fm.read_image(path), expected)


def test_huge_png_header_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(30000, 30000))
    with pytest.raises(fm.ImageFileError) as caught:
        fm.read_image(path)
    assert_one_line(caught.value, str(path), "over the limit of 64 MP")


_MEASURE_READ = """
import json, resource, sys
# A safety net: should the file ever be decoded at full size, fail here instead of taking GBs.
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))
import fov_monitor as fm
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    image = fm.read_image(sys.argv[1])
    outcome = {"shape": list(image.shape)}
except fm.FovMonitorError as error:
    outcome = {"error": type(error).__name__, "message": str(error)}
outcome["grew_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(outcome))
"""


def test_valid_900_megapixel_png_is_refused_or_shrunk_without_using_much_memory(huge_png: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE_READ, str(huge_png)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["grew_kib"] * 1024 < 200 * MiB, outcome
    if "error" in outcome:
        assert outcome["error"] == "ImageFileError"
        assert "\n" not in outcome["message"]
        assert str(huge_png) in outcome["message"]
    else:
        height, width = outcome["shape"][:2]
        assert width * height <= 64_000_000


@pytest.mark.parametrize(("max_pixels", "factor"), [(1_000_000, 4), (1_100_000, 2), (70_000, 8)])
def test_huge_jpeg_is_decoded_reduced_by_the_smallest_sufficient_factor(
    tmp_path: Path, astronaut: np.ndarray, max_pixels: int, factor: int
) -> None:
    big = np.tile(astronaut, (4, 4, 1))  # 2048 x 2048
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), big)
    image = fm.read_image(path, max_pixels=max_pixels)
    assert image.shape == (2048 // factor, 2048 // factor, 3)
    expected = cv2.resize(big, (2048 // factor, 2048 // factor), interpolation=cv2.INTER_AREA)
    assert float(np.abs(image.astype(int) - expected.astype(int)).mean()) < 8.0


def test_too_large_png_under_the_decoder_bomb_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(_blank_png(1200, 1000))
    with pytest.raises(fm.ImageFileError) as caught:
        fm.read_image(path, max_pixels=1_000_000)
    assert_one_line(caught.value, str(path), "1200x1000")
