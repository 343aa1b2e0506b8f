"""Reading image files: clear errors for missing, truncated, non-image and huge files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

import fov_monitor as fm


def _png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width`` x ``height`` (the pixels are never decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    body = zlib.compress(b"\x00" * 64)
    idat = struct.pack(">I", len(body)) + b"IDAT" + body + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + iend


@pytest.fixture
def jpeg_file(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "frame.jpg"
    cv2.imwrite(str(path), astronaut)
    return path


def test_reads_a_jpeg_as_bgr(jpeg_file: Path, astronaut: np.ndarray) -> None:
    image = fm.read_image(jpeg_file)
    assert image.shape == astronaut.shape
    assert image.dtype == np.uint8


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda path, good: None, "does not exist"),
        (lambda path, good: path.write_bytes(b""), "not an image"),
        (lambda path, good: path.write_text("<html>not an image</html>"), "not an image"),
        (lambda path, good: path.write_bytes(good[: len(good) // 2]), "truncated"),
    ],
    ids=["missing", "empty", "html", "truncated"],
)
def test_bad_files_raise_one_line_error(tmp_path: Path, jpeg_file: Path, make, fragment: str) -> None:
    path = tmp_path / "bad.jpg"
    make(path, jpeg_file.read_bytes())
    with pytest.raises(fm.ImageFileError) as caught:
        fm.read_image(path)
    message = str(caught.value)
    assert "\n" not in message
    assert fragment in message
    assert str(path) in message


def test_huge_png_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header_only(30000, 30000))
    with pytest.raises(fm.ImageFileError, match="over the limit of 64 MP"):
        fm.read_image(path)


def test_huge_jpeg_is_decoded_reduced(tmp_path: Path, astronaut: np.ndarray) -> None:
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), np.tile(astronaut, (4, 4, 1)))
    image = fm.read_image(path, max_pixels=1_000_000)
    assert image.shape[0] * image.shape[1] <= 1_000_000
    assert image.shape[1] == 2048 // 2 or image.shape[1] == 2048 // 4
