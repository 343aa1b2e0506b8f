"""Shared fixtures: sample images that ship with scikit-image, and the real data in ../shared/data."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data as samples

REPO = Path(__file__).resolve().parents[1]
# The tests read the real data through the same module as the benchmarks.
sys.path.insert(0, str(REPO / "benchmarks"))

from _common import locate_data  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = locate_data()
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
