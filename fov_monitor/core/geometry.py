"""The live view measured against the permit, in reference pixel coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from fov_monitor.core.homography import Matrix, corners_xy, project
from fov_monitor.core.imaging import GrayImage
from fov_monitor.core.permit import Permit
from fov_monitor.core.result import ZoneExposure

MASK_MAX_STD = 4.0
"""Gray-level spread under which the part of a privacy zone in view counts as blanked by the
camera's own privacy mask."""
MASK_MIN_PIXELS = 20


@dataclass(frozen=True, slots=True)
class ViewGeometry:
    """Where the live view lies against the permit.

    Attributes
    ----------
    polygon_xy : (4, 2) float64 array
        The live frame's corners in reference pixels, clockwise from top-left.
    outside_fraction : float
        Share of the view's area outside the permitted polygon.
    zones : tuple of ZoneExposure
        How much of each privacy zone is in view.
    """

    polygon_xy: Matrix
    outside_fraction: float
    zones: tuple[ZoneExposure, ...]


def measure_view(
    H_live_to_ref: Matrix,
    live_size_wh: tuple[int, int],
    permit: Permit,
    live_gray: GrayImage,
    live_scale: float,
) -> ViewGeometry:
    """Project the live frame into the reference and measure it against the permit.

    Parameters
    ----------
    H_live_to_ref : (3, 3) float64 array
        Homography from live to reference pixels, full resolution, known not to be degenerate.
    live_size_wh : (int, int)
        Width and height of the live frame.
    permit : Permit
        What the camera may see.
    live_gray : (h, w) uint8 array
        The live frame at the working size, to tell whether a zone in view is blanked by a mask.
    live_scale : float
        Working pixels per live pixel.

    Returns
    -------
    ViewGeometry
    """
    polygon_xy = project(H_live_to_ref, corners_xy(live_size_wh))
    view = Polygon(polygon_xy)
    view_area = view.area
    inside_area = view.intersection(permit.permitted).area
    outside_fraction = float(np.clip(1.0 - inside_area / view_area, 0.0, 1.0))
    zones = []
    for name, zone in permit.zones.items():
        visible = view.intersection(zone)
        visible_fraction = visible.area / zone.area
        masked = visible.area > 0 and _is_masked(visible, H_live_to_ref, live_gray, live_scale)
        zones.append(
            ZoneExposure(
                name=name,
                visible_fraction=float(visible_fraction),
                view_fraction=float(visible.area / view_area),
                masked=masked,
                exposed=bool(visible_fraction > permit.zone_tolerance and not masked),
            )
        )
    return ViewGeometry(polygon_xy=polygon_xy, outside_fraction=outside_fraction, zones=tuple(zones))


def _is_masked(visible: BaseGeometry, H_live_to_ref: Matrix, live_gray: GrayImage, live_scale: float) -> bool:
    """Tell whether the live pixels of a zone's visible part are one uniform fill."""
    H_ref_to_working = np.diag([live_scale, live_scale, 1.0]) @ np.linalg.inv(H_live_to_ref)
    mask = np.zeros(live_gray.shape, np.uint8)
    polygons = getattr(visible, "geoms", [visible])
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        outline = project(H_ref_to_working, np.asarray(polygon.exterior.coords, np.float64))
        if np.isfinite(outline).all():
            cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 255)
    # Leave out the zone's border, where alignment error mixes in the scene around the mask.
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8))
    if cv2.countNonZero(mask) < MASK_MIN_PIXELS:
        return False
    _, spread = cv2.meanStdDev(live_gray, mask=mask)
    return bool(float(spread[0][0]) < MASK_MAX_STD)
