"""Shared fixtures: sample images that ship with scikit-image, and the real data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as samples

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Return where the real test data lives (``$FOV_MONITOR_DATA`` or ``../shared/data``)."""
    return Path(os.environ.get("FOV_MONITOR_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = shared_data_dir()
    if not folder.is_dir():
        pytest.skip(f"real test data not found at {folder}; set FOV_MONITOR_DATA or lay out ../shared/data")
    return folder


def sample_bgr(name: str) -> np.ndarray:
    """Return a scikit-image sample photograph as BGR uint8."""
    image = getattr(samples, name)()
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return sample_bgr("astronaut")


def read_video_frames(path: Path, every: int, limit: int | None = None) -> list[tuple[int, np.ndarray]]:
    """Decode a video once, keeping every ``every``-th frame (frame 0 first)."""
    capture = cv2.VideoCapture(str(path))
    frames: list[tuple[int, np.ndarray]] = []
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append((index, frame))
            if limit is not None and len(frames) >= limit:
                break
        index += 1
    capture.release()
    return frames
