"""Carry a permit's drawing over to a re-baselined reference, so it keeps covering the same place.

A permit is drawn in the pixels of the camera's reference, but it stands for a place: the area the
decision allows and the windows and doors that must never show. When a re-baseline replaces the
reference with a view that has moved, leaving the drawing at the same pixels would move the
permitted area and the privacy zones with the camera, silently: the very drift fov-monitor is there
to catch. So the drawing is moved by the homography from the old reference to the new one; a view
that really left its permit is still reported after its re-baseline, and a privacy zone stays on
its window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from shapely.geometry import Polygon, box
from shapely.geometry.polygon import orient

from fov_monitor.errors import InvalidPermitError
from fov_monitor.permit import FAR_OUTSIDE_MARGIN, Permit, PointsXY

NEGLIGIBLE_MOVE = 0.005
"""A move of the view below this share of the frame (either axis; ~3 px at 640) leaves the drawing
where it is: about the alignment's own error, and far below any camera's tolerance."""


@dataclass(frozen=True, slots=True)
class CarriedPermit:
    """The permit drawn on the new reference, and what the move did to it.

    Attributes
    ----------
    permit : Permit
        The drawing in the new reference's pixels (tolerances and decision unchanged).
    shift_fraction : (float, float)
        How far the view moved, as a share of the frame's width and height.
    zones_out_of_view : tuple of str
        Privacy zones that now lie wholly outside the view: left out of the new drawing (the old
        one is kept in the permit's history) and named in the audit log.
    """

    permit: Permit
    shift_fraction: tuple[float, float]
    zones_out_of_view: tuple[str, ...]


def carry_permit(
    permit: Permit, H_new_to_old: np.ndarray, size_wh: tuple[int, int], shift_fraction: tuple[float, float]
) -> CarriedPermit | None:
    """Move a permit's drawing from the old reference's pixels to the new one's.

    Parameters
    ----------
    permit : Permit
        The permit as drawn on the old reference.
    H_new_to_old : (3, 3) array
        The homography from the new reference's pixels to the old one's (the core's
        ``H_live_to_ref`` of the new view checked against the old reference).
    size_wh : (int, int)
        The new reference's size.
    shift_fraction : (float, float)
        The measured move of the view (the core's ``shift_fraction``).

    Returns
    -------
    CarriedPermit or None
        None when the view has not moved (below :data:`NEGLIGIBLE_MOVE`): the drawing stays.

    Raises
    ------
    InvalidPermitError
        When nothing of the permitted area is in the new view: that is a camera pointed elsewhere,
        which a re-baseline cannot make right.
    """
    if max(abs(shift_fraction[0]), abs(shift_fraction[1])) < NEGLIGIBLE_MOVE:
        return None
    H_old_to_new = np.linalg.inv(np.asarray(H_new_to_old, dtype=np.float64))
    width, height = size_wh
    bounds = box(
        -FAR_OUTSIDE_MARGIN / 2 * width,
        -FAR_OUTSIDE_MARGIN / 2 * height,
        width * (1 + FAR_OUTSIDE_MARGIN / 2),
        height * (1 + FAR_OUTSIDE_MARGIN / 2),
    )
    permitted = _moved(permit.permitted_xy, H_old_to_new, bounds)
    if permitted is None:
        raise InvalidPermitError(
            "none of the permitted area is in the new view; that is a camera pointed elsewhere, not a new "
            "reference: re-aim the camera, or set a new permit with 'fov-monitor permit set'"
        )
    zones, out_of_view = {}, []
    for name, points in permit.privacy_zones.items():
        moved = _moved(points, H_old_to_new, bounds)
        if moved is None:
            out_of_view.append(name)
        else:
            zones[name] = moved
    carried = replace(permit, permitted_xy=permitted, privacy_zones=zones)
    return CarriedPermit(carried, (float(shift_fraction[0]), float(shift_fraction[1])), tuple(out_of_view))


def _moved(points: PointsXY, H_old_to_new: np.ndarray, bounds: Polygon) -> list[tuple[float, float]] | None:
    """Project a polygon, keep the part near the image (the rest cannot be seen); None if none is."""
    source = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    projected = cv2.perspectiveTransform(source, H_old_to_new).reshape(-1, 2)
    clipped = Polygon(projected).intersection(bounds)
    if clipped.is_empty or clipped.area <= 0:
        return None
    if clipped.geom_type != "Polygon":
        # A projected polygon clipped by a rectangle stays one piece unless it was concave across
        # the border; keep its largest piece, the rest lies at the edge of the view.
        clipped = max(clipped.geoms, key=lambda part: part.area)
    exterior = orient(clipped).exterior.coords[:-1]
    return [(round(float(x), 2), round(float(y), 2)) for x, y in exterior]
