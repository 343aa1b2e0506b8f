"""Exposure and texture of a frame: can it support a verdict at all?"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from fov_monitor.core.imaging import GrayImage
from fov_monitor.core.result import FrameQuality

TEXTURE_SHRINK = 8
"""The texture figure is measured on the frame shrunk this many times, which averages sensor noise
away (by about this factor) while scene structure stays."""

TEXTURE_PER_NOISE = 4.3 / TEXTURE_SHRINK / 8.0
"""Texture figure that pure noise of standard deviation 1 leaves after the shrink: the mean Sobel
magnitude of white noise is about 4.3 sigma (Rayleigh), of the shrunk noise sigma / 8, divided by 8."""

DETAIL_GRID = (8, 6)
DETAIL_MIN_EIGEN = 1e-3
"""Smallest corner strength (minimum eigenvalue of the structure tensor, OpenCV's scaling) that
counts as a distinct corner at half the working size; calibrated on the real frames in
``../shared/data`` (dusk and night scenes keep several such cells, defocus and plain covers none)."""

_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


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


def measure_detail(gray: GrayImage, quality: FrameQuality) -> FrameQuality:
    """Add the noise level and the share of grid cells with a distinct corner to ``quality``.

    These cost about a millisecond and are needed only when a frame could not be aligned, to tell a
    view that cannot support a verdict from one that shows another scene.
    """
    height, width = gray.shape
    noise = noise_level(gray)
    half = cv2.resize(gray, (max(8, width // 2), max(8, height // 2)), interpolation=cv2.INTER_AREA)
    strength = cv2.cornerMinEigenVal(half, 5)
    rows, cols = DETAIL_GRID[1], DETAIL_GRID[0]
    cell_h, cell_w = strength.shape[0] / rows, strength.shape[1] / cols
    detailed = sum(
        float(
            strength[int(r * cell_h) : int((r + 1) * cell_h), int(c * cell_w) : int((c + 1) * cell_w)].max()
        )
        > DETAIL_MIN_EIGEN
        for r in range(rows)
        for c in range(cols)
    )
    return dataclasses.replace(quality, noise=noise, detail=detailed / (rows * cols))


def noise_level(gray: GrayImage) -> float:
    """Return the standard deviation of the sensor noise of a gray image, gray levels (Immerkaer)."""
    # The Laplacian-difference filter cancels smooth structure, not noise.
    response = cv2.filter2D(gray.astype(np.float32), -1, _NOISE_KERNEL)
    return math.sqrt(math.pi / 2.0) * float(np.mean(np.abs(response[1:-1, 1:-1]))) / 6.0


def texture_above_noise(quality: FrameQuality) -> float:
    """Return the texture figure less what the frame's noise alone would give (with 50 % margin)."""
    return quality.texture - 1.5 * TEXTURE_PER_NOISE * (quality.noise or 0.0)
