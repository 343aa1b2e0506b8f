"""Reading the real data in ../shared/data with its ground truth, and the baselines a user would script.

The benchmarks and the tests both read the real data through this module. Nothing here copies the
data: it is read from ``../shared/data`` (or ``--data DIR`` / ``$FOV_MONITOR_DATA``) at run time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from shapely.geometry import Polygon, box

from fov_monitor.core.homography import corners_xy, project

REPO = Path(__file__).resolve().parents[1]
VIDEOS = ("vtest.avi", "one-by-one-person-detection.mp4", "video02.avi")
"""The fixed-camera videos in ``videos/``."""
BASELINE_SEED = 0
"""OpenCV's random generator is seeded with this before each baseline's FLANN index and RANSAC fit."""


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
    """Return (reference img1, live imgN, true H live->ref) of an Oxford scene.

    Parameters
    ----------
    folder : Path
        The real-data folder.
    scene : str
        ``"oxford_graf"`` or ``"oxford_leuven"``.
    index : int
        The live image, 2..6.

    Returns
    -------
    (H, W, 3) uint8, (H, W, 3) uint8, (3, 3) float64
        ``inv(H1toNp / H1toNp[2, 2])``, normalised so that its [2, 2] is 1.
    """
    extension = "png" if scene == "oxford_graf" else "ppm"
    reference = cv2.imread(str(folder / scene / f"img1.{extension}"))
    live = cv2.imread(str(folder / scene / f"img{index}.{extension}"))
    if reference is None or live is None:
        sys.exit(f"error: cannot read {scene} img1/img{index} in {folder}; check the data folder")
    H_1_to_n = np.loadtxt(folder / scene / f"H1to{index}p")
    H_live_to_ref = np.linalg.inv(H_1_to_n / H_1_to_n[2, 2])
    return reference, live, H_live_to_ref / H_live_to_ref[2, 2]


def corner_error(found: np.ndarray, truth: np.ndarray, live_wh: tuple[int, int]) -> float:
    """Return the mean distance (reference px) between the live corners mapped by two homographies.

    NaN when ``found`` sends a corner to infinity or behind the camera (a failed alignment).
    """
    corners = corners_xy(live_wh)
    return float(np.mean(np.linalg.norm(project(found, corners) - project(truth, corners), axis=1)))


def outside_share(H_live_to_ref: np.ndarray, live_wh: tuple[int, int], ref_wh: tuple[int, int]) -> float:
    """Return the share of the live view's area, projected into the reference, outside the reference.

    Parameters
    ----------
    H_live_to_ref : (3, 3) array
        Live pixels -> reference pixels.
    live_wh, ref_wh : (int, int)
        Sizes ``(width, height)`` of the live frame and of the reference.

    Returns
    -------
    float
        0..1; NaN when the projected view is not a finite, valid polygon.
    """
    view = Polygon(project(H_live_to_ref, corners_xy(live_wh)))
    if not np.isfinite(np.asarray(view.exterior.coords)).all() or not view.is_valid or view.area <= 0:
        return float("nan")
    return float(view.difference(box(0, 0, *ref_wh)).area / view.area)


def frame_count(path: Path) -> int:
    """Return the number of frames a video's container declares."""
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def video_frames(path: Path, every: int) -> Iterator[tuple[int, np.ndarray]]:
    """Decode a video once, sequentially, yielding ``(index, frame)`` for every ``every``-th frame."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        sys.exit(f"error: cannot open video {path}; check the data folder")
    index = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                yield index, frame
            index += 1
    finally:
        capture.release()


def frames_at(path: Path, indexes: set[int]) -> dict[int, np.ndarray]:
    """Decode a video once, sequentially (no seeking), keeping the frames at ``indexes``."""
    wanted = set(indexes)
    found: dict[int, np.ndarray] = {}
    for index, frame in video_frames(path, 1):
        if index in wanted:
            found[index] = frame
            if len(found) == len(wanted):
                break
    missing = sorted(wanted - set(found))
    if missing:
        sys.exit(f"error: {path.name} has no frames {missing}; it decodes to fewer frames than asked")
    return found


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def _ransac_homography(
    live_kp: Sequence[Any], ref_kp: Sequence[Any], matches: Sequence[Any]
) -> np.ndarray | None:
    """Fit live->reference with RANSAC (5 px) as the tutorials do (at least 10 matches); None on failure."""
    if len(matches) < 10:
        return None
    live_xy = np.array([live_kp[m.queryIdx].pt for m in matches], np.float32)
    ref_xy = np.array([ref_kp[m.trainIdx].pt for m in matches], np.float32)
    cv2.setRNGSeed(BASELINE_SEED)
    H, _ = cv2.findHomography(live_xy, ref_xy, cv2.RANSAC, 5.0)
    if H is None or not np.isfinite(H).all() or abs(np.linalg.det(H)) < 1e-12:
        return None
    return H


class SiftTutorialBaseline:
    """OpenCV's tutorial pipeline: SIFT, FLANN k-d tree, ratio 0.7, RANSAC 5 px, at full resolution.

    ``cv2.SIFT_create()`` with defaults on the full-resolution gray images, FLANN k-d tree (5 trees,
    50 checks), ``knnMatch`` k=2, Lowe's ratio 0.7, ``findHomography(live -> ref, RANSAC, 5.0)`` with at
    least 10 good matches. The reference's keypoints, descriptors and FLANN index are built once here
    (the tutorial rebuilds the index per call; that is left out so the timing is fair to it).
    """

    name = "SIFT"

    def __init__(self, reference: np.ndarray) -> None:
        self._sift = cv2.SIFT_create()  # type: ignore[attr-defined]
        self._ref_kp, self._ref_desc = self._sift.detectAndCompute(_gray(reference), None)
        self._matcher = cv2.FlannBasedMatcher({"algorithm": 1, "trees": 5}, {"checks": 50})
        if self._ref_desc is not None and len(self._ref_kp) >= 2:
            cv2.setRNGSeed(BASELINE_SEED)
            self._matcher.add([self._ref_desc])
            self._matcher.train()

    def align(self, live: np.ndarray) -> np.ndarray | None:
        """Return the live->reference homography (full-resolution px), or None when it fails."""
        if self._ref_desc is None or len(self._ref_kp) < 2:
            return None
        keypoints, descriptors = self._sift.detectAndCompute(_gray(live), None)
        if descriptors is None or len(keypoints) < 2:
            return None
        pairs = self._matcher.knnMatch(descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.7 * p[1].distance]
        return _ransac_homography(keypoints, self._ref_kp, good)


class OrbBaseline:
    """ORB with 5000 features, brute-force Hamming with cross-check, RANSAC 5 px, at full resolution.

    The reference's keypoints and descriptors are computed once here.
    """

    name = "ORB"

    def __init__(self, reference: np.ndarray) -> None:
        self._orb = cv2.ORB_create(nfeatures=5000)  # type: ignore[attr-defined]
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        self._ref_kp, self._ref_desc = self._orb.detectAndCompute(_gray(reference), None)

    def align(self, live: np.ndarray) -> np.ndarray | None:
        """Return the live->reference homography (full-resolution px), or None when it fails."""
        if self._ref_desc is None:
            return None
        keypoints, descriptors = self._orb.detectAndCompute(_gray(live), None)
        if descriptors is None or len(keypoints) < 4:
            return None
        return _ransac_homography(keypoints, self._ref_kp, self._matcher.match(descriptors, self._ref_desc))
