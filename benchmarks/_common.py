"""The benchmarks' own pieces: the baselines a user would script, and how a view leaves its reference.

The real data (``../shared/data``, ``--data DIR`` or ``$FOV_MONITOR_DATA``) is read through
``tests.support.real_data``, as the tests read it; nothing copies it. Importing this module puts the
repository's root on ``sys.path`` so that the benchmarks, run as scripts, import ``tests.support``.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from shapely.geometry import Polygon, box

from fov_monitor.core.homography import corners_xy, project

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.real_data import locate_data  # noqa: E402

BASELINE_SEED = 0
"""OpenCV's random generator is seeded with this before each baseline's FLANN index and RANSAC fit."""


def data_dir(given: str | None = None) -> Path:
    """Return the real-data folder, or exit with a one-line message when it is missing."""
    folder = locate_data(given)
    if not folder.is_dir():
        sys.exit(f"error: real data not found at {folder}; pass --data DIR or set FOV_MONITOR_DATA")
    return folder


@contextmanager
def server_process(serve: Callable[..., None], *args: Any) -> Iterator[tuple[BaseProcess, Any]]:
    """Run ``serve(*args, ready)`` in a process of its own (its CPU is measured apart) until the end.

    ``serve`` sends what its clients need (its address) on the pipe ``ready`` once it listens, then
    serves until killed. Yield the process and what it sent; kill it at the end.
    """
    context = multiprocessing.get_context("forkserver")
    receive, send = context.Pipe(duplex=False)
    server = context.Process(target=serve, args=(*args, send), daemon=True)
    server.start()
    try:
        yield server, receive.recv()
    finally:
        server.kill()
        server.join()


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
