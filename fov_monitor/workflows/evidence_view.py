"""What a stored evidence image may show now: the camera's privacy zones hidden, whenever they were set.

An evidence image is drawn with the zones of its check's time, placed by its check's homography.
Before it is shown (the web app) or sent (an alert mail) it is brought up to the camera's permit of
now by :func:`evidence_as_shown`:

* a zone added since the check is filled on both pictures, placed by the check's homography;
* on a live picture that was not aligned (no homography: frozen, black, blinded, unverifiable, not
  recognised) the zones cannot be placed, so the picture is pixelated (images drawn before
  fov-monitor did this themselves are covered when shown);
* when neither can be done safely (the reference was replaced, or re-baselined, after the check; the
  image is not laid out as drawn), both pictures are covered: evidence shows nothing a privacy zone
  now hides.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fov_monitor.core.homography import project
from fov_monitor.core.result import AlignMethod
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import ZONE_FILL_BGR
from fov_monitor.store.store import Store, StoredPermit
from fov_monitor.workflows.camera_check import evidence_folder
from fov_monitor.workflows.evidence import GAP, PANEL_HEIGHT, EvidenceLayout, hide_zones


@dataclass(frozen=True)
class DrawnCheck:
    """What the results table says of the check an evidence image was drawn for.

    Attributes
    ----------
    result_id : int
    checked_at : str
        ISO 8601 UTC.
    reference_label : str or None
        The reference the frame was matched to.
    H_live_to_ref : (3, 3) nested list or None
        The check's homography, in the first reference's pixels.
    view_polygon_xy : (4, 2) nested list or None
        The live frame's corners on the reference.
    method : str or None
        The alignment stage (``partial`` widens the zones).
    """

    result_id: int
    checked_at: str
    reference_label: str | None
    H_live_to_ref: list[list[float]] | None
    view_polygon_xy: list[list[float]] | None
    method: str | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> DrawnCheck:
        """Read ``(id, checked_at, reference_label, result_json)`` of the results table."""
        result_id, checked_at, label, result_json = row
        recorded = json.loads(result_json) if result_json else {}
        return cls(
            int(result_id),
            str(checked_at),
            label,
            recorded.get("H_live_to_ref"),
            recorded.get("view_polygon_xy"),
            recorded.get("method"),
        )


def drawn_check(
    database: Database, camera_id: str, *, result_id: int | None = None, evidence_path: str | None = None
) -> tuple[DrawnCheck, str] | None:
    """Return the check an evidence image was drawn for, and the image's recorded path.

    Looked up by the result's id, or by the path the result recorded (an alert names its evidence by
    path). None when the camera has no such result with an evidence image.
    """
    columns = "id, checked_at, reference_label, result_json, evidence_path"
    if result_id is not None:
        rows = database.read(
            f"SELECT {columns} FROM results WHERE id = ? AND camera_id = ?", (result_id, camera_id)
        )
    else:
        rows = database.read(
            f"SELECT {columns} FROM results WHERE camera_id = ? AND evidence_path = ? ORDER BY id DESC",
            (camera_id, evidence_path),
        )
    if not rows or not rows[0][4]:
        return None
    return DrawnCheck.from_row(rows[0][:4]), str(rows[0][4])


def zones_for(stored: StoredPermit | None, size_wh: tuple[int, int]) -> list[np.ndarray]:
    """Return a camera's privacy zones scaled to an image of ``size_wh`` (the permit's reference is 1:1)."""
    if stored is None or not stored.permit.zones:
        return []
    drawn_wh = stored.reference_size or size_wh
    scale = np.array([size_wh[0] / drawn_wh[0], size_wh[1] / drawn_wh[1]])
    return [
        np.asarray(zone.exterior.coords, dtype=np.float64) * scale for zone in stored.permit.zones.values()
    ]


def evidence_as_shown(store: Store, camera_id: str, evidence: np.ndarray, drawn: DrawnCheck) -> np.ndarray:
    """Return an evidence image with every privacy zone of the camera's permit now hidden (see the notes).

    Parameters
    ----------
    store : Store
    camera_id : str
    evidence : (H, W, 3) uint8 array
        The stored evidence image, as read; not changed.
    drawn : DrawnCheck
        Its check.
    """
    stored = store.permit(camera_id)
    if stored is None or not stored.permit.zones:
        return evidence
    if stored.set_at < drawn.checked_at and drawn.H_live_to_ref is not None:
        return evidence  # drawn with these zones (set before, never in the same second), placed by its H
    shown = np.ascontiguousarray(evidence.copy())
    infos = store.reference_infos(camera_id)
    involved = [info for info in infos if info is infos[0] or info.label == drawn.reference_label]
    if infos and all(info.taken_at <= drawn.checked_at for info in involved):
        base = infos[0]
        H = None if drawn.H_live_to_ref is None else np.asarray(drawn.H_live_to_ref, dtype=np.float64)
        layout = EvidenceLayout.of(base.size_wh, _live_size(drawn, base.size_wh, shown.shape[1]), H)
        partial = drawn.method == AlignMethod.PARTIAL
        if hide_zones(shown, layout, zones_for(stored, base.size_wh), partial=partial):
            return shown
    shown[:PANEL_HEIGHT] = ZONE_FILL_BGR
    return shown


def evidence_file(store: Store, camera_id: str, recorded_path: str) -> Path:
    """Return where a result's evidence image is: its recorded file name in the camera's evidence folder.

    Only the name is taken from the database, and looked for in the camera's own folder.
    """
    return evidence_folder(store, camera_id) / Path(recorded_path).name


def _live_size(drawn: DrawnCheck, reference_wh: tuple[int, int], width: int) -> tuple[int, int]:
    """Return the checked frame's size: its corners taken back from the view through the check's H.

    Without a homography only the live picture's width matters (nothing is placed on it): it is
    what the evidence image's width leaves beside the reference, shown at scale 1.
    """
    if drawn.H_live_to_ref is not None and drawn.view_polygon_xy is not None:
        H_ref_to_live = np.linalg.inv(np.asarray(drawn.H_live_to_ref, dtype=np.float64))
        corner = project(H_ref_to_live, np.asarray(drawn.view_polygon_xy, dtype=np.float64))[2]
        if np.isfinite(corner).all() and (corner >= 1).all():
            return int(np.rint(corner[0])), int(np.rint(corner[1]))
    reference_panel_w = round(reference_wh[0] * PANEL_HEIGHT / reference_wh[1])
    return max(1, width - reference_panel_w - GAP), PANEL_HEIGHT
