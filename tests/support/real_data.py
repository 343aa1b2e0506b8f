"""The real data in ../shared/data with its ground truth, read for the tests and the benchmarks.

Nothing here copies the data: it is read from ``../shared/data`` (or ``$FOV_MONITOR_DATA``, or a
benchmark's ``--data DIR``) at run time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from fov_monitor.core.homography import corners_xy, project
from tests.support.paths import REPO

VIDEOS = ("vtest.avi", "one-by-one-person-detection.mp4", "video02.avi")
"""The fixed-camera videos in ``videos/``."""


def locate_data(given: str | None = None) -> Path:
    """Return where the real data should be: ``given``, ``$FOV_MONITOR_DATA`` or ``../shared/data``."""
    return Path(given or os.environ.get("FOV_MONITOR_DATA") or REPO.parent / "shared" / "data")


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


WEBCAM_MARGIN = 0.08
"""A webcam's view: its images' central window with this margin on each side, as a share of the
width (left, right) and height (top, bottom); issue 18's protocol."""
WEBCAM_MOVES: dict[str, tuple[int, int]] = {"right": (1, 0), "left": (-1, 0), "down": (0, 1), "up": (0, -1)}
"""The moved windows: the view shifted by the whole margin, in units of the margin ``(x, y)``."""


def webcam_window(image: np.ndarray, move: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Return a webcam's view in ``image``: its central window, shifted by ``move`` margins."""
    height, width = image.shape[:2]
    margin_x, margin_y = round(WEBCAM_MARGIN * width), round(WEBCAM_MARGIN * height)
    left, top = margin_x * (1 + move[0]), margin_y * (1 + move[1])
    return np.ascontiguousarray(image[top : top + height - 2 * margin_y, left : left + width - 2 * margin_x])


def webcam_images(folder: Path, camera: str) -> list[Path]:
    """Return a webcam's images in time order (by name); the first is the reference's."""
    return sorted((folder / "webcams" / camera).glob("*.jpg"))
