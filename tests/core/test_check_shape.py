"""A frame too small or stretched out of shape to be matched is unverifiable, not another view.

Copies of the unmoved view itself, resized with OpenCV: whatever fails to match them cannot be
saying that the camera looks elsewhere. Other scenes of the reference's shape stay "not recognised"
(``test_check.py``), and a frame small or stretched within the limits is still judged.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import fov_monitor as fm
from tests.support.images import sample_bgr


def _resized(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize(
    ("name", "size_wh", "fragment"),
    [
        ("coffee", (60, 48), "frame too small to judge: 60x48 px"),
        ("rocket", (64, 48), "frame too small to judge: 64x48 px"),
        ("coffee", (600, 160), "frame of another shape than the reference"),  # squeezed 2.5x
        ("astronaut", (128, 512), "frame of another shape than the reference"),  # squeezed 4x
    ],
)
def test_a_tiny_or_stretched_copy_of_the_unmoved_view_is_unverifiable(
    name: str, size_wh: tuple[int, int], fragment: str
) -> None:
    view = sample_bgr(name)
    height, width = view.shape[:2]
    result = fm.check_frame(
        fm.Reference.from_image(view), fm.Permit.whole_image((width, height)), _resized(view, size_wh)
    )
    assert result.status is fm.Status.UNVERIFIABLE, result.reasons
    assert result.reasons[0].startswith(fragment), result.reasons
    assert result.reasons[1].startswith("no alignment: ")


@pytest.mark.parametrize("size_wh", [(90, 60), (1200, 400), (300, 400)])
def test_a_small_or_stretched_copy_that_still_aligns_is_judged(size_wh: tuple[int, int]) -> None:
    view = sample_bgr("coffee")
    height, width = view.shape[:2]
    result = fm.check_frame(
        fm.Reference.from_image(view), fm.Permit.whole_image((width, height)), _resized(view, size_wh)
    )
    assert result.status is fm.Status.COMPLIANT, result.reasons
