"""Shared fixtures: sample images that ship with scikit-image, and the real data in ../shared/data."""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as samples

REPO = Path(__file__).resolve().parents[1]
# The tests read the real data through the same module as the benchmarks.
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import locate_data, video_frames  # noqa: E402

VIDEOS = ["vtest.avi", "one-by-one-person-detection.mp4", "video02.avi"]
VIDEO_STEP = 25
"""Every this-many-th frame of each video is checked (a fixed camera changes slowly)."""


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ``../shared/data`` (or ``$FOV_MONITOR_DATA``); skip only when the folder is absent."""
    folder = locate_data()
    if not folder.is_dir():
        pytest.skip(f"real test data not found at {folder}; set FOV_MONITOR_DATA or lay out ../shared/data")
    return folder


@pytest.fixture(scope="session")
def video_samples(shared_data: Path) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Decode each real video once per session, keeping every ``VIDEO_STEP``-th frame with its index."""
    return {name: list(video_frames(shared_data / "videos" / name, every=VIDEO_STEP)) for name in VIDEOS}


def sample_bgr(name: str) -> np.ndarray:
    """Return a scikit-image sample photograph as BGR uint8."""
    image = getattr(samples, name)()
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2BGR)


def assert_one_line(error: BaseException, *fragments: str) -> None:
    """Assert that an error message is one line and contains every fragment (the input it names)."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} has an empty message"
    assert "\n" not in message, f"message is not one line: {message!r}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk: length, type, body and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width`` x ``height`` (its pixel data is far too short)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return sample_bgr("astronaut")
