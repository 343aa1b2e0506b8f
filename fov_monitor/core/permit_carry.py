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

from fov_monitor.core.permit import FAR_OUTSIDE_MARGIN, MIN_AREA_PX, Permit, PointsXY
from fov_monitor.errors import InvalidPermitError

NEGLIGIBLE_MOVE = 0.005
"""When no corner of the frame moves by this share of the frame (either axis; ~3 px at 640), the
drawing stays where it is: about the alignment's own error, and far below any camera's tolerance.
Corners, not the centre: a zoom or a roll about the centre moves the drawing as much as a pan."""


@dataclass(frozen=True, slots=True)
class CarriedPermit:
    """The permit drawn on the new reference, and what the move did to it.

    Attributes
    ----------
    permit : Permit
        The drawing in the new reference's pixels (tolerances and decision unchanged).
    shift_fraction : (float, float)
        How far the view's centre moved, as a share of the frame's width and height.
    corner_move : float
        How far the farthest-moving corner of the frame moved, as a share of the frame (the larger
        of its two axes): a zoom or roll shows here, not in ``shift_fraction``.
    zones_out_of_view : tuple of str
        Privacy zones that now lie wholly outside the view: left out of the new drawing (the old
        one is kept in the permit's history) and named in the audit log.
    """

    permit: Permit
    shift_fraction: tuple[float, float]
    corner_move: float
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
        The measured move of the view's centre (the core's ``shift_fraction``), to report.

    Returns
    -------
    CarriedPermit or None
        None when no corner of the frame moved by :data:`NEGLIGIBLE_MOVE`: the drawing stays. A
        privacy zone that the frame's edge cuts in pieces keeps every piece in view (``name``,
        ``name (part 2)``, ...); the permitted area keeps its largest piece (the rest is at the edge).

    Raises
    ------
    InvalidPermitError
        When nothing of the permitted area is in the new view: that is a camera pointed elsewhere,
        which a re-baseline cannot make right.
    """
    H_old_to_new = np.linalg.inv(np.asarray(H_new_to_old, dtype=np.float64))
    width, height = size_wh
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
    moved_corners = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), H_old_to_new).reshape(-1, 2)
    corner_move = float(np.max(np.abs(moved_corners - corners) / (width, height)))
    if corner_move < NEGLIGIBLE_MOVE:
        return None
    bounds = box(
        -FAR_OUTSIDE_MARGIN / 2 * width,
        -FAR_OUTSIDE_MARGIN / 2 * height,
        width * (1 + FAR_OUTSIDE_MARGIN / 2),
        height * (1 + FAR_OUTSIDE_MARGIN / 2),
    )
    permitted_pieces = _moved(permit.permitted_xy, H_old_to_new, bounds)
    if not permitted_pieces:
        raise InvalidPermitError(
            "none of the permitted area is in the new view; that is a camera pointed elsewhere, not a new "
            "reference: re-aim the camera, or set a new permit with 'fov-monitor permit set'"
        )
    zones, out_of_view = {}, []
    for name, points in permit.privacy_zones.items():
        pieces = _moved(points, H_old_to_new, bounds)
        if not pieces:
            out_of_view.append(name)
        for number, piece in enumerate(pieces, start=1):
            zones[name if number == 1 else f"{name} (part {number})"] = piece
    carried = replace(permit, permitted_xy=permitted_pieces[0], privacy_zones=zones)
    shift = (float(shift_fraction[0]), float(shift_fraction[1]))
    return CarriedPermit(carried, shift, corner_move, tuple(out_of_view))


def _moved(points: PointsXY, H_old_to_new: np.ndarray, bounds: Polygon) -> list[list[tuple[float, float]]]:
    """Project a polygon and keep what lies near the image (the rest cannot be seen), largest first.

    A concave polygon cut by the frame's edge falls in several pieces; none when wholly out of view.
    """
    source = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    projected = cv2.perspectiveTransform(source, H_old_to_new).reshape(-1, 2)
    clipped = Polygon(projected).intersection(bounds)
    parts = [clipped] if clipped.geom_type == "Polygon" else list(getattr(clipped, "geoms", []))
    pieces = sorted(
        (part for part in parts if part.geom_type == "Polygon" and part.area >= MIN_AREA_PX),
        key=lambda p: -p.area,
    )
    return [
        [(round(float(x), 2), round(float(y), 2)) for x, y in orient(piece).exterior.coords[:-1]]
        for piece in pieces
    ]
