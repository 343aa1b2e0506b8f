"""Exposure and texture of a frame: can it support a verdict at all?"""

from __future__ import annotations

import cv2
import numpy as np

from fov_monitor.imaging import GrayImage
from fov_monitor.result import FrameQuality

TEXTURE_SHRINK = 8
"""The texture figure is measured on the frame shrunk this many times, which averages sensor noise
away (by about this factor) while scene structure stays."""


def measure_quality(gray: GrayImage) -> FrameQuality:
    """Measure exposure and texture of a gray working image.

    Parameters
    ----------
    gray : (h, w) uint8 array
        The frame at the working size.

    Returns
    -------
    FrameQuality
    """
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    cumulative = np.cumsum(histogram) / max(1.0, float(histogram.sum()))
    low = int(np.searchsorted(cumulative, 0.01))
    high = int(np.searchsorted(cumulative, 0.99))
    mean_luma = float(np.dot(histogram, np.arange(256)) / max(1.0, float(histogram.sum())))
    height, width = gray.shape
    small_wh = (max(4, width // TEXTURE_SHRINK), max(4, height // TEXTURE_SHRINK))
    small = cv2.resize(gray, small_wh, interpolation=cv2.INTER_AREA).astype(np.float32)
    grad_x = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    grad_y = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    texture = float(np.mean(cv2.magnitude(grad_x, grad_y))) / 8.0
    return FrameQuality(mean_luma=mean_luma, contrast=float(high - low), texture=texture)
