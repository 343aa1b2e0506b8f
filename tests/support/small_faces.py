"""Frames of 720p, 1080p and 4K whose faces are 10-22 px, with their boxes: the face tests' and benchmark's.

Two sources, both read from ``../shared/data`` at run time:

* ``videos/vtest.avi``: faces labelled by eye on six frames of the plaza (:data:`VTEST_FACES`: frontal,
  three-quarter and profile faces whose skin can be seen; backs of heads and faces under 4 px left out).
  Windows of 320 x 180 px of those frames, enlarged twice (faces of 10-22 px), are laid side by side
  into frames of the wanted size.
* ``faces/`` (4 PASCAL photos, 18 faces of 37-90 px in ``faces.xml``): each photo shrunk so that one of
  its faces spans 10, 12, 14 or 16 px, laid on the plaza's empty background; every labelled face of
  10-16 px in a frame counts.

A face counts as covered when the blurred region (a detected box enlarged by ``scale``) holds its
box centre, as the data's README says.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.support.real_data import frames_at, video_frames

VTEST_FACES: dict[int, list[tuple[float, float, float, float]]] = {
    # frame index: faces as x1, y1, x2, y2 in the frame's pixels (768 x 576).
    145: [(396.6, 192.9, 402.2, 201.4), (745.4, 236.2, 751.3, 243.0), (643.7, 239.8, 649.1, 247.7),
          (430.0, 189.8, 435.5, 198.1), (715.6, 111.7, 720.4, 118.3)],
    210: [(661.7, 301.3, 669.3, 312.5), (158.5, 187.3, 163.7, 194.5), (671.4, 102.9, 675.9, 108.7),
          (430.0, 159.0, 435.6, 166.3), (34.2, 149.2, 39.4, 155.7)],
    580: [(594.6, 175.4, 601.2, 184.2), (648.0, 310.9, 656.7, 321.5), (289.0, 147.3, 294.0, 155.6)],
    610: [(736.1, 235.3, 743.8, 245.5), (648.4, 310.8, 656.4, 321.5), (517.7, 194.2, 522.5, 201.9)],
    720: [(311.4, 169.8, 317.5, 177.8), (275.5, 187.1, 280.9, 195.0), (502.4, 193.2, 507.6, 201.0),
          (480.7, 203.0, 485.8, 211.2), (564.0, 131.0, 572.0, 144.0)],
    745: [(257.4, 212.8, 264.6, 221.8), (384.3, 210.6, 390.3, 219.7), (547.5, 182.9, 553.0, 190.8),
          (654.1, 118.0, 658.9, 123.7), (632.3, 224.3, 636.3, 232.7)],
}  # fmt: skip

SIZES_WH = {"720p": (1280, 720), "1080p": (1920, 1080), "4K": (3840, 2160)}
VTEST_ENLARGE = 2
"""vtest's faces of 5-11 px become 10-22 px."""
WINDOW_WH = (320, 180)
"""A window of a vtest frame, before it is enlarged."""
WINDOW_ORIGINS_XY = [(x0, y0) for y0 in (96, 276) for x0 in (0, 224, 448)]
"""Six windows per frame, over the part of the plaza where people walk."""
PHOTO_FACE_PX = (10, 12, 14, 16)
CELL_WH = (240, 180)
"""Each shrunk photo sits in the middle of a cell of this size."""


@dataclass(frozen=True)
class FaceFrame:
    """A made frame and its faces.

    Attributes
    ----------
    image : (H, W, 3) uint8 BGR array
    faces_xyxy : (N, 4) float array
        ``x1, y1, x2, y2`` of each face that counts, in the frame's pixels.
    """

    image: np.ndarray
    faces_xyxy: np.ndarray


def covered(boxes: np.ndarray, faces_xyxy: np.ndarray, scale: float = 1.5) -> np.ndarray:
    """Return per face whether a detected box (``x1, y1, x2, y2, ...``) times ``scale`` holds its centre."""
    if len(faces_xyxy) == 0:
        return np.zeros(0, bool)
    if len(boxes) == 0:
        return np.zeros(len(faces_xyxy), bool)
    centre = (boxes[:, :2] + boxes[:, 2:4]) / 2
    half = (boxes[:, 2:4] - boxes[:, :2]) * scale / 2
    faces = np.asarray(faces_xyxy, np.float64)
    face_centre = (faces[:, :2] + faces[:, 2:4]) / 2
    return np.array([bool(np.all(np.abs(point - centre) <= half, axis=1).any()) for point in face_centre])


def vtest_frames(data: Path, size_wh: tuple[int, int], limit: int | None = None) -> Iterator[FaceFrame]:
    """Yield frames of ``size_wh`` tiled with enlarged windows of the labelled vtest frames.

    Every window is used once over the frames (the last frame is filled up with windows from the
    start); a face cut by a window's side does not count. ``limit`` stops after that many frames.
    """
    frames = _labelled_frames(data)
    windows = [(index, x0, y0) for index in sorted(VTEST_FACES) for x0, y0 in WINDOW_ORIGINS_XY]
    tile_w, tile_h = WINDOW_WH[0] * VTEST_ENLARGE, WINDOW_WH[1] * VTEST_ENLARGE
    columns, rows = size_wh[0] // tile_w, size_wh[1] // tile_h
    per_frame = columns * rows
    count = -(-len(windows) // per_frame)
    for number in range(count if limit is None else min(limit, count)):
        image = np.zeros((size_wh[1], size_wh[0], 3), np.uint8)
        faces = []
        for slot in range(per_frame):
            index, x0, y0 = windows[(number * per_frame + slot) % len(windows)]
            row, column = divmod(slot, columns)
            crop = frames[index][y0 : y0 + WINDOW_WH[1], x0 : x0 + WINDOW_WH[0]]
            left, top = column * tile_w, row * tile_h
            image[top : top + tile_h, left : left + tile_w] = cv2.resize(
                crop, (tile_w, tile_h), interpolation=cv2.INTER_CUBIC
            )
            for x1, y1, x2, y2 in VTEST_FACES[index]:
                if x0 <= x1 and x2 <= x0 + WINDOW_WH[0] and y0 <= y1 and y2 <= y0 + WINDOW_WH[1]:
                    faces.append(
                        (
                            left + (x1 - x0) * VTEST_ENLARGE,
                            top + (y1 - y0) * VTEST_ENLARGE,
                            left + (x2 - x0) * VTEST_ENLARGE,
                            top + (y2 - y0) * VTEST_ENLARGE,
                        )
                    )
        yield FaceFrame(image, np.array(faces, np.float64).reshape(-1, 4))


def photo_frames(data: Path, size_wh: tuple[int, int], limit: int | None = None) -> Iterator[FaceFrame]:
    """Yield frames of ``size_wh`` holding the PASCAL photos shrunk so that their faces span 10-16 px."""
    photos = _photos(data)
    placements = []
    for number, (_, faces) in enumerate(photos):
        sides = sorted({float(max(x2 - x1, y2 - y1)) for x1, y1, x2, y2 in faces})
        placements += [
            (number, scale) for scale in sorted({px / side for side in sides for px in PHOTO_FACE_PX})
        ]
    background = _background(data)
    columns, rows = size_wh[0] // CELL_WH[0], size_wh[1] // CELL_WH[1]
    per_frame = columns * rows
    count = -(-len(placements) // per_frame)
    for number in range(count if limit is None else min(limit, count)):
        image = cv2.resize(background, size_wh, interpolation=cv2.INTER_LINEAR)
        counted = []
        for slot, (photo, scale) in enumerate(placements[number * per_frame : (number + 1) * per_frame]):
            picture, faces = photos[photo]
            small = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            row, column = divmod(slot, columns)
            left = column * CELL_WH[0] + (CELL_WH[0] - small.shape[1]) // 2
            top = row * CELL_WH[1] + (CELL_WH[1] - small.shape[0]) // 2
            image[top : top + small.shape[0], left : left + small.shape[1]] = small
            for x1, y1, x2, y2 in faces * scale:
                if PHOTO_FACE_PX[0] <= max(x2 - x1, y2 - y1) <= PHOTO_FACE_PX[-1] + 0.5:
                    counted.append((x1 + left, y1 + top, x2 + left, y2 + top))
        yield FaceFrame(image, np.array(counted, np.float64).reshape(-1, 4))


@functools.cache
def _labelled_frames(data: Path) -> dict[int, np.ndarray]:
    return frames_at(data / "videos" / "vtest.avi", set(VTEST_FACES))


@functools.cache
def _photos(data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    folder = data / "faces"
    photos = []
    for entry in ET.parse(folder / "faces.xml").getroot().iter("image"):
        picture = cv2.imread(str(folder / entry.get("file", "")))
        boxes = [
            (left, top, left + width, top + height)
            for left, top, width, height in (
                tuple(float(box.get(key, 0)) for key in ("left", "top", "width", "height"))
                for box in entry.iter("box")
            )
        ]
        photos.append((picture, np.array(boxes, np.float64)))
    return photos


@functools.cache
def _background(data: Path) -> np.ndarray:
    """Return the plaza without people: the median of every 40th frame of vtest."""
    frames = [frame for _, frame in video_frames(data / "videos" / "vtest.avi", 40)]
    return np.median(np.stack(frames), axis=0).astype(np.uint8)
