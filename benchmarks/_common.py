"""Reading the real data in ../shared/data with its ground truth, and the baselines a user would script.

The benchmarks and the tests both read the real data through this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from fov_monitor.homography import corners_xy, project

REPO = Path(__file__).resolve().parents[1]


def locate_data(given: str | None = None) -> Path:
    """Return where the real data should be: ``given``, ``$FOV_MONITOR_DATA`` or ``../shared/data``."""
    return Path(given or os.environ.get("FOV_MONITOR_DATA") or REPO.parent / "shared" / "data")


def data_dir(given: str | None = None) -> Path:
    """Return the real-data folder, or exit with a one-line message when it is missing."""
    folder = locate_data(given)
    if not folder.is_dir():
        sys.exit(f"error: real data not found at {folder}; pass --data DIR or set FOV_MONITOR_DATA")
    return folder


def oxford_pair(folder: Path, scene: str, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (reference img1, live imgN, true H live->ref) of an Oxford scene."""
    extension = "png" if scene == "oxford_graf" else "ppm"
    reference = cv2.imread(str(folder / scene / f"img1.{extension}"))
    live = cv2.imread(str(folder / scene / f"img{index}.{extension}"))
    H_1_to_n = np.loadtxt(folder / scene / f"H1to{index}p")
    return reference, live, np.linalg.inv(H_1_to_n / H_1_to_n[2, 2])


def corner_error(found: np.ndarray, truth: np.ndarray, live_wh: tuple[int, int]) -> float:
    """Return the mean distance (reference px) between the live corners mapped by two homographies."""
    corners = corners_xy(live_wh)
    return float(np.mean(np.linalg.norm(project(found, corners) - project(truth, corners), axis=1)))


def video_frames(path: Path, every: int) -> Iterator[tuple[int, np.ndarray]]:
    """Decode a video once, sequentially, yielding every ``every``-th frame."""
    capture = cv2.VideoCapture(str(path))
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % every == 0:
            yield index, frame
        index += 1
    capture.release()


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


class SiftTutorialBaseline:
    """OpenCV's tutorial pipeline: SIFT, FLANN k-d tree, ratio 0.7, RANSAC 5 px, at full resolution."""

    name = "SIFT+FLANN+RANSAC"

    def __init__(self, reference: np.ndarray) -> None:
        self._sift = cv2.SIFT_create()
        self._matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 5}, {"checks": 50})
        self._ref_kp, self._ref_desc = self._sift.detectAndCompute(_gray(reference), None)

    def align(self, live: np.ndarray) -> np.ndarray | None:
        keypoints, descriptors = self._sift.detectAndCompute(_gray(live), None)
        if descriptors is None or len(keypoints) < 2:
            return None
        pairs = self._matcher.knnMatch(descriptors, self._ref_desc, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.7 * p[1].distance]
        return _ransac_homography(keypoints, self._ref_kp, good)


def _ransac_homography(live_kp: list, ref_kp: list, matches: list) -> np.ndarray | None:
    """Fit live->reference with RANSAC (5 px) as the tutorials do; None when it fails."""
    if len(matches) < 10:
        return None
    live_xy = np.float32([live_kp[m.queryIdx].pt for m in matches])
    ref_xy = np.float32([ref_kp[m.trainIdx].pt for m in matches])
    H, _ = cv2.findHomography(live_xy, ref_xy, cv2.RANSAC, 5.0)
    if H is None or not np.isfinite(H).all() or abs(np.linalg.det(H)) < 1e-12:
        return None
    return H


class OrbBaseline:
    """ORB with 5000 features, brute-force Hamming with cross-check, RANSAC 5 px, at full resolution."""

    name = "ORB5000+BF+RANSAC"

    def __init__(self, reference: np.ndarray) -> None:
        self._orb = cv2.ORB_create(nfeatures=5000)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        self._ref_kp, self._ref_desc = self._orb.detectAndCompute(_gray(reference), None)

    def align(self, live: np.ndarray) -> np.ndarray | None:
        keypoints, descriptors = self._orb.detectAndCompute(_gray(live), None)
        if descriptors is None or len(keypoints) < 4:
            return None
        return _ransac_homography(keypoints, self._ref_kp, self._matcher.match(descriptors, self._ref_desc))
