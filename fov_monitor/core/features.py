"""Local features of a gray working image and their matching.

Three kinds serve the alignment cascade: corner points to track (fastest, for a camera that barely
moved), ORB (fast, binary) and SIFT on contrast-equalised images (slow, robust to dark and changed
views).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.imaging import GrayImage

PointsXY = NDArray[np.float32]
"""(N, 2) float32 array of ``(x, y)`` pixel positions."""

TRACK_WINDOW = (15, 15)
TRACK_LEVELS = 3
INDEX_SEED = 20250101
RATIO_ORB = 0.8
RATIO_SIFT = 0.75


@dataclass(frozen=True, slots=True)
class Keypoints:
    """Positions and descriptors of one kind of feature.

    Attributes
    ----------
    xy : (N, 2) float32 array
        Positions, working pixels.
    descriptors : (N, D) array
        uint8 for ORB (D = 32), float32 for SIFT (D = 128).
    """

    xy: PointsXY
    descriptors: NDArray[np.generic]

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @classmethod
    def empty(cls, dimension: int, dtype: type[np.generic]) -> Keypoints:
        """Return a set with no features."""
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, dimension), dtype))


def select_track_points(gray: GrayImage, max_points: int, grid_wh: tuple[int, int] = (8, 6)) -> PointsXY:
    """Pick corner points to track, spread over the whole view, at most ``max_points``.

    The image is cut into a grid and each textured cell gives its best corners, so that people
    walking in front of the one richly textured object do not hide all the points at once.
    Cells whose best corner is weak against a typical cell's are left out: flat wall and sky give
    nothing to track.
    """
    height, width = gray.shape
    cols, rows = grid_wh
    per_cell = max(1, int(np.ceil(max_points / (cols * rows))))
    eigen = cv2.cornerMinEigenVal(gray, 7)
    cells = [
        (col * width // cols, row * height // rows, (col + 1) * width // cols, (row + 1) * height // rows)
        for row in range(rows)
        for col in range(cols)
    ]
    strength = np.array([float(eigen[y0:y1, x0:x1].max()) for x0, y0, x1, y1 in cells])
    floor = 0.1 * float(np.median(strength))
    if floor <= 0:
        return np.zeros((0, 2), np.float32)
    min_distance = max(4.0, 0.4 * float(np.sqrt(height * width / max_points)))
    found = []
    for (x0, y0, x1, y1), cell_strength in zip(cells, strength, strict=True):
        if cell_strength < floor:
            continue
        corners = cv2.goodFeaturesToTrack(gray[y0:y1, x0:x1], per_cell, 0.1, min_distance, blockSize=7)
        if corners is not None:
            found.append(corners.reshape(-1, 2) + np.array([x0, y0], np.float32))
    if not found:
        return np.zeros((0, 2), np.float32)
    return np.concatenate(found).astype(np.float32)


STRONG_CORNERS = 600
"""Corners of a reference (strongest first, spread by a minimum distance) that stand for its fixed
structure: a cover hides them with it; the dense estimate weighs the picture around them."""


def strong_corners(gray: GrayImage) -> PointsXY:
    """Return up to :data:`STRONG_CORNERS` corners of a working image, ``(N, 2)`` as ``(x, y)``.

    Clouds, haze and water hold few of them; buildings, poles and kerbs many.
    """
    height, width = gray.shape
    min_distance = max(4.0, 0.5 * float(np.sqrt(height * width / STRONG_CORNERS)))
    corners = cv2.goodFeaturesToTrack(gray, STRONG_CORNERS, 0.01, min_distance, blockSize=5)
    if corners is None:
        return np.zeros((0, 2), np.float32)
    return corners.reshape(-1, 2).astype(np.float32)


LOCAL_MEAN_WINDOW = (25, 25)
NORMALISED_STD = 30.0


def normalise_for_tracking(gray: GrayImage) -> GrayImage:
    """Return the image with its local mean removed and its contrast set to a fixed spread.

    Tracking compares gray levels directly; after this, a change of exposure, gain or a slow change
    of light across the scene (dusk, IR, a person's shadow changing the global mean) no longer
    pulls the tracked points off.
    """
    local_mean = cv2.blur(gray, LOCAL_MEAN_WINDOW)
    detail = cv2.subtract(gray, local_mean, dtype=cv2.CV_16S)
    spread = max(1.0, float(cv2.meanStdDev(detail)[1][0][0]))
    gain = NORMALISED_STD / spread
    return cv2.addWeighted(gray, gain, local_mean, -gain, 128.0)  # type: ignore[no-any-return]


def track_points(
    image_from: GrayImage,
    image_to: GrayImage,
    points_xy: PointsXY,
    guess_xy: PointsXY | None = None,
    max_round_trip_px: float | None = None,
) -> tuple[PointsXY, PointsXY]:
    """Track points from one image into another (pyramidal Lucas-Kanade).

    Parameters
    ----------
    image_from, image_to : (h, w) uint8 arrays
        The two working images.
    points_xy : (N, 2) float32 array
        Points in the first image.
    guess_xy : (N, 2) float32 array, optional
        Predicted positions in the second image (from an earlier homography).
    max_round_trip_px : float, optional
        When given, each point is also tracked back, and kept only if it returns this close to
        where it started. This doubles the cost; the fast path relies on robust fitting instead.

    Returns
    -------
    (M, 2) float32 array, (M, 2) float32 array
        The kept points in the first image and their positions in the second.
    """
    if len(points_xy) == 0:
        return points_xy, points_xy
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.01)
    start = points_xy.reshape(-1, 1, 2)
    flags = 0 if guess_xy is None else cv2.OPTFLOW_USE_INITIAL_FLOW
    initial = None if guess_xy is None else guess_xy.reshape(-1, 1, 2).copy()
    forward, status, _ = cv2.calcOpticalFlowPyrLK(
        image_from,
        image_to,
        start,
        initial,
        winSize=TRACK_WINDOW,
        maxLevel=TRACK_LEVELS,
        criteria=criteria,
        flags=flags,
    )
    keep = status.ravel() == 1
    if max_round_trip_px is not None:
        backward, status_back, _ = cv2.calcOpticalFlowPyrLK(
            image_to,
            image_from,
            forward,
            start.copy(),
            winSize=TRACK_WINDOW,
            maxLevel=TRACK_LEVELS,
            criteria=criteria,
            flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
        )
        round_trip = np.linalg.norm((backward - start).reshape(-1, 2), axis=1)
        keep &= (status_back.ravel() == 1) & (round_trip < max_round_trip_px)
    return points_xy[keep], forward.reshape(-1, 2)[keep]


def global_shift(image_from: GrayImage, image_to: GrayImage) -> NDArray[np.float32]:
    """Return the ``(dx, dy)`` by which the picture moved from one image to the other, working px.

    Phase correlation at half size: it sees the whole picture at once, so it finds shifts beyond
    what tracking reaches and holds up in dark, noisy frames.
    """
    height, width = image_from.shape
    half_wh = (max(8, width // 2), max(8, height // 2))
    window = cv2.createHanningWindow(half_wh, cv2.CV_32F)
    first = cv2.resize(image_from, half_wh, interpolation=cv2.INTER_AREA).astype(np.float32)
    second = cv2.resize(image_to, half_wh, interpolation=cv2.INTER_AREA).astype(np.float32)
    (dx, dy), _ = cv2.phaseCorrelate(first, second, window)
    return np.array([dx * width / half_wh[0], dy * height / half_wh[1]], np.float32)


def detect_orb(gray: GrayImage, max_features: int) -> Keypoints:
    """Detect ORB features spread over the image."""
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=max_features, fastThreshold=12, edgeThreshold=15, patchSize=31
    )
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return Keypoints.empty(32, np.uint8)
    xy = np.array([kp.pt for kp in keypoints], np.float32)
    return Keypoints(xy, descriptors)


def equalise(gray: GrayImage) -> GrayImage:
    """Return the image with local contrast equalised (CLAHE), for dark or flat frames."""
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return clahe.apply(gray)  # type: ignore[no-any-return]


def detect_orb_equalised(gray: GrayImage, max_features: int) -> Keypoints:
    """Detect ORB features on the contrast-equalised image, for dark or flat frames.

    Equalisation lifts the structure of a dark or washed-out frame to the reference's level, where
    plain ORB finds few corners above its threshold; both images must be equalised alike.
    """
    return detect_orb(equalise(gray), max_features)


def detect_sift(gray: GrayImage, max_features: int) -> Keypoints:
    """Detect SIFT features on the contrast-equalised image shrunk by half.

    SIFT doubles its input for its first octave, so half size keeps the detail of the working size
    at a third of the cost; positions are returned in working pixels.
    """
    height, width = gray.shape
    half = cv2.resize(equalise(gray), (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    sift = cv2.SIFT_create(nfeatures=max_features)  # type: ignore[attr-defined]
    keypoints, descriptors = sift.detectAndCompute(half, None)
    if descriptors is None or not keypoints:
        return Keypoints.empty(128, np.float32)
    xy = np.array([kp.pt for kp in keypoints], np.float32) * np.array(
        [width / (width // 2), height / (height // 2)], np.float32
    )
    return Keypoints(xy, descriptors)


class FeatureIndex:
    """A nearest-neighbour index over a reference's descriptors, built once and queried per frame.

    Binary (ORB) descriptors go into an LSH index, float (SIFT) ones into a k-d forest.
    """

    def __init__(self, keypoints: Keypoints) -> None:
        self.keypoints = keypoints
        if keypoints.descriptors.dtype == np.uint8:
            index_params = {"algorithm": 6, "table_number": 6, "key_size": 12, "multi_probe_level": 1}
        else:
            index_params = {"algorithm": 1, "trees": 4}
        self._matcher = cv2.FlannBasedMatcher(index_params, {"checks": 48})
        if len(keypoints) >= 2:
            cv2.setRNGSeed(INDEX_SEED)  # the same reference always builds the same index
            self._matcher.add([keypoints.descriptors])
            self._matcher.train()

    def match(self, live: Keypoints, ratio: float) -> tuple[PointsXY, PointsXY]:
        """Match live descriptors with the ratio test, one live feature per reference feature.

        Returns
        -------
        (M, 2) float32 array, (M, 2) float32 array
            Matched positions in the live frame and in the reference.
        """
        empty = np.zeros((0, 2), np.float32)
        if len(live) < 2 or len(self.keypoints) < 2:
            return empty, empty
        pairs = self._matcher.knnMatch(live.descriptors, k=2)
        rows = [
            (p[0].queryIdx, p[0].trainIdx, p[0].distance)
            for p in pairs
            if len(p) == 2 and p[0].distance < ratio * p[1].distance
        ]
        if not rows:
            return empty, empty
        table = np.array(rows, np.float64)
        # Keep the closest live feature for each reference feature: a reference point seen twice
        # is a repeated pattern, not evidence.
        order = np.lexsort((table[:, 2], table[:, 1]))
        table = table[order]
        first = np.ones(len(table), bool)
        first[1:] = table[1:, 1] != table[:-1, 1]
        table = table[first]
        live_idx, ref_idx = table[:, 0].astype(np.int64), table[:, 1].astype(np.int64)
        return live.xy[live_idx], self.keypoints.xy[ref_idx]
