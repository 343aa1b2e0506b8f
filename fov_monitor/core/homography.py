"""Robust homography estimation, its sanity checks, and what it says about the camera's move."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from fov_monitor.core.features import PointsXY

Matrix = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A homography fitted to point correspondences.

    Attributes
    ----------
    H_live_to_ref : (3, 3) float64 array
        Maps live working pixels to reference working pixels.
    inliers : int
        Correspondences within the threshold.
    inlier_ratio : float
        ``inliers`` over all correspondences.
    spread : float
        Area of the inliers' convex hull as a share of the live image.
    inlier_live_xy, inlier_ref_xy : (inliers, 2) float32 arrays
        The agreeing correspondences, live and reference working pixels (empty when not kept).
    """

    H_live_to_ref: Matrix
    inliers: int
    inlier_ratio: float
    spread: float
    inlier_live_xy: PointsXY = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    inlier_ref_xy: PointsXY = field(default_factory=lambda: np.zeros((0, 2), np.float32))


def estimate_homography(
    live_xy: PointsXY, ref_xy: PointsXY, threshold_px: float, live_size_wh: tuple[int, int]
) -> Estimate | None:
    """Fit a live-to-reference homography with MAGSAC++; return None when too few points agree."""
    if len(live_xy) < 8:
        return None
    H, mask = cv2.findHomography(
        live_xy, ref_xy, cv2.USAC_MAGSAC, threshold_px, maxIters=2000, confidence=0.999
    )
    if H is None or mask is None:
        return None
    inlier_mask = mask.ravel().astype(bool)
    inliers = int(inlier_mask.sum())
    if inliers < 8:
        return None
    hull = cv2.convexHull(live_xy[inlier_mask].reshape(-1, 1, 2))
    width, height = live_size_wh
    spread = float(cv2.contourArea(hull)) / float(width * height)
    return Estimate(
        H / H[2, 2], inliers, inliers / len(live_xy), spread, live_xy[inlier_mask], ref_xy[inlier_mask]
    )


def corners_xy(size_wh: tuple[int, int]) -> Matrix:
    """Return the corners of an image of ``(width, height)``, clockwise from top-left, (4, 2)."""
    width, height = size_wh
    return np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])


def project(H: Matrix, points_xy: Matrix) -> Matrix:
    """Apply a homography to (N, 2) points; points that map to infinity come back as NaN."""
    homogeneous = np.hstack([points_xy, np.ones((len(points_xy), 1))]) @ H.T
    with np.errstate(divide="ignore", invalid="ignore"):
        w = homogeneous[:, 2:3]
        return np.where(w > 1e-9, homogeneous[:, :2] / np.where(w > 1e-9, w, 1.0), np.nan)


def degeneracy(
    H: Matrix, live_size_wh: tuple[int, int], ref_size_wh: tuple[int, int], max_zoom: float
) -> str | None:
    """Return why a homography cannot be a camera's view of its reference, or None if it can.

    The live frame's corners must project in front of the camera, as a convex quadrilateral with
    the same orientation, and the area ratio must stay within ``max_zoom`` squared either way.
    """
    if not np.isfinite(H).all() or abs(np.linalg.det(H)) < 1e-12:
        return "the homography is singular"
    quad = project(H, corners_xy(live_size_wh))
    if not np.isfinite(quad).all():
        return "the view would reach the horizon (corners at infinity)"
    edges = np.roll(quad, -1, axis=0) - quad
    following = np.roll(edges, -1, axis=0)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    if not (turns > 0).all():
        return "the projected view is folded or not convex"
    ratio = polygon_area(quad) / float(ref_size_wh[0] * ref_size_wh[1])
    if not (1.0 / max_zoom**2 <= ratio <= max_zoom**2):
        return f"implied zoom {1.0 / math.sqrt(max(ratio, 1e-12)):.2f}x is beyond {max_zoom:g}x"
    return None


def polygon_area(points_xy: Matrix) -> float:
    """Return the area of a simple polygon given as (N, 2) vertices (shoelace formula)."""
    x, y = points_xy[:, 0], points_xy[:, 1]
    return 0.5 * abs(float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)))


def scale_matrix(scale: float) -> Matrix:
    """Return the homography that multiplies pixel coordinates by ``scale``."""
    return np.diag([scale, scale, 1.0])


@dataclass(frozen=True, slots=True)
class ViewMotion:
    """How the live view moved against the reference.

    Attributes
    ----------
    shift_px : (float, float)
        Shift of the view centre in reference pixels, right and down positive.
    shift_fraction : (float, float)
        The shift as a share of the reference width and height.
    pan_deg, tilt_deg : float or None
        The shift in degrees (right and down positive), when the horizontal field of view is known.
    roll_deg : float
        Rotation of the view, counter-clockwise positive as seen in the image.
    zoom : float
        Square root of reference area over projected view area.
    """

    shift_px: tuple[float, float]
    shift_fraction: tuple[float, float]
    pan_deg: float | None
    tilt_deg: float | None
    roll_deg: float
    zoom: float


def measure_motion(
    H_live_to_ref: Matrix,
    live_size_wh: tuple[int, int],
    ref_size_wh: tuple[int, int],
    hfov_deg: float | None = None,
) -> ViewMotion:
    """Measure shift, roll and zoom of the live view from a full-resolution homography."""
    live_w, live_h = live_size_wh
    ref_w, ref_h = ref_size_wh
    centre = np.array([[live_w / 2.0, live_h / 2.0]])
    axis_end = np.array([[live_w / 2.0 + live_w / 10.0, live_h / 2.0]])
    centre_ref = project(H_live_to_ref, centre)[0]
    axis_ref = project(H_live_to_ref, axis_end)[0]
    dx = float(centre_ref[0] - ref_w / 2.0)
    dy = float(centre_ref[1] - ref_h / 2.0)
    direction = axis_ref - centre_ref
    # Image y grows downwards, so a counter-clockwise roll of the camera's view is a negative angle
    # of the projected x axis in image coordinates.
    roll_deg = -math.degrees(math.atan2(float(direction[1]), float(direction[0])))
    quad = project(H_live_to_ref, corners_xy(live_size_wh))
    area = polygon_area(quad)
    zoom = math.sqrt(ref_w * ref_h / area) if area > 0 else float("inf")
    pan_deg = tilt_deg = None
    if hfov_deg is not None:
        focal_px = (ref_w / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        pan_deg = math.degrees(math.atan2(dx, focal_px))
        tilt_deg = math.degrees(math.atan2(dy, focal_px))
    return ViewMotion((dx, dy), (dx / ref_w, dy / ref_h), pan_deg, tilt_deg, roll_deg, zoom)
