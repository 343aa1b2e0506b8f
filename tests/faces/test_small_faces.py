"""Faces of 10-22 px at surveillance resolutions are blurred: labelled vtest faces and PASCAL photos shrunk.

The frames are made in ``tests/support/small_faces.py`` from ``../shared/data``; ``benchmarks/faces.py``
measures the same frames at 720p, 1080p and 4K beside deface. A face searched at its own size alone
(before the search enlarged every frame) was missed in each frame chosen here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fov_monitor as fm
from tests.support.small_faces import SIZES_WH, covered, photo_frames, vtest_frames

CASES = [
    pytest.param("720p", vtest_frames, 1, id="720p-vtest-1"),
    pytest.param("720p", vtest_frames, 2, id="720p-vtest-2"),
    pytest.param("720p", photo_frames, 1, id="720p-photos-1"),
    pytest.param("1080p", vtest_frames, 0, id="1080p-vtest-0"),
]


@pytest.mark.parametrize(("size", "frames", "number"), CASES)
def test_every_labelled_face_of_10_to_22_px_is_blurred(
    shared_data: Path, size: str, frames: object, number: int
) -> None:
    frame = list(frames(shared_data, SIZES_WH[size], limit=number + 1))[number]  # type: ignore[operator]
    assert frame.image.shape[:2] == SIZES_WH[size][::-1]
    faces = frame.faces_xyxy
    sides = np.maximum(faces[:, 2] - faces[:, 0], faces[:, 3] - faces[:, 1])
    assert len(sides) > 0
    assert 8 <= sides.min() <= sides.max() <= 27, sides
    boxes = fm.detect_faces(frame.image)
    hit = covered(boxes, frame.faces_xyxy, scale=fm.FaceSettings().scale)
    assert hit.all(), f"faces missed: {frame.faces_xyxy[~hit].round().tolist()}"
    # What is stored is the blurred picture: every face's centre has changed.
    blurred = fm.blur_regions(frame.image, boxes, scale=fm.FaceSettings().scale)
    for x1, y1, x2, y2 in frame.faces_xyxy.round().astype(int):
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        centre = (slice(cy - 1, cy + 2), slice(cx - 1, cx + 2))
        assert not np.array_equal(blurred[centre], frame.image[centre])
