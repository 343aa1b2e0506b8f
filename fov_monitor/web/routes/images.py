"""Images: references and evidence, for the roles that need them, blurred and audited."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from fov_monitor.core.homography import project
from fov_monitor.db.database import Database
from fov_monitor.faces.privacy import ZONE_FILL_BGR
from fov_monitor.files.images import read_image
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database, run_heavy, store_settings, web_context
from fov_monitor.web.images import image_response, zones_for
from fov_monitor.web.roles import Permission
from fov_monitor.web.routes.common import known_camera, row_id, valid_label
from fov_monitor.web.sessions import Session
from fov_monitor.workflows.camera_check import evidence_folder
from fov_monitor.workflows.evidence import GAP, PANEL_HEIGHT, EvidenceLayout, hide_zones

router = APIRouter()

IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}}, "description": "JPEG, faces blurred, privacy zones filled"}
}


@router.get("/api/cameras/{camera_id}/references/{label}/image", responses=IMAGE_RESPONSES)
async def reference_image(
    request: Request,
    camera_id: str,
    label: str,
    session: Session = Depends(require(Permission.VIEW_IMAGES)),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> Response:
    """Return a reference image (faces blurred, privacy zones filled); the view is audited."""
    return await run_heavy(
        request, lambda: _reference(request, camera_id, label, session, database, settings)
    )


def _reference(
    request: Request,
    camera_id: str,
    label: str,
    session: Session,
    database: Database,
    settings: StoreSettings,
) -> Response:
    store = web_context(request).store
    known_camera(store, camera_id)
    valid_label(label)
    state = store.camera_state(camera_id)
    info = next((info for info in state.infos if info.label == label), None)
    if info is None:
        raise HTTPException(404, f"camera {camera_id!r} has no {label!r} reference")
    folder = state.folder
    return image_response(
        database,
        settings,
        actor=session.user.name,
        camera_id=camera_id,
        image=lambda: store.reference_image(camera_id, label),  # checked against its checksum
        zones_xy=zones_for(state.stored_permit, info.size_wh),
        what={"kind": "reference", "label": label},
        cache_key=(
            str(folder.resolve()),
            label,
            _stat(folder / "references" / f"{label}.png"),
            _stat(folder / "permit.json"),
        ),
    )


@router.get("/api/cameras/{camera_id}/results/{result_id}/evidence", responses=IMAGE_RESPONSES)
async def evidence_image(
    request: Request,
    camera_id: str,
    result_id: int = row_id("result"),
    session: Session = Depends(require(Permission.VIEW_IMAGES)),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> Response:
    """Return a result's evidence image (reference and live frame, faces blurred); the view is audited."""
    return await run_heavy(
        request, lambda: evidence_response(request, camera_id, result_id, session, database, settings)
    )


def evidence_response(
    request: Request,
    camera_id: str,
    result_id: int,
    session: Session,
    database: Database,
    settings: StoreSettings,
    about: Mapping[str, Any] | None = None,
) -> Response:
    """Return a result's evidence image, faces blurred, after writing its ``image viewed`` audit line.

    Parameters
    ----------
    settings : StoreSettings
        The request's reading of the store's settings (the face model's).
    about : mapping, optional
        More to say in the audit line (the alert the image was viewed for).

    Raises
    ------
    HTTPException
        404 for an unknown camera, a result of another camera, or one without an evidence image.
    """
    store = web_context(request).store
    known_camera(store, camera_id)
    rows = database.read(
        "SELECT evidence_path, checked_at, reference_label, result_json FROM results "
        "WHERE id = ? AND camera_id = ?",
        (result_id, camera_id),
    )
    if not rows or not rows[0][0]:
        raise HTTPException(404, f"result {result_id} of camera {camera_id!r} has no evidence image")
    evidence_path, checked_at, label, result_json = rows[0]
    # Only the file's name is taken from the database, and looked for in the camera's own folder.
    path = evidence_folder(store, camera_id) / Path(str(evidence_path)).name
    if not path.is_file():
        raise HTTPException(404, f"the evidence image of result {result_id} is no longer in the store")
    recorded = json.loads(result_json)
    drawn = _DrawnCheck(
        str(checked_at), label, recorded.get("H_live_to_ref"), recorded.get("view_polygon_xy")
    )
    return image_response(
        database,
        settings,
        actor=session.user.name,
        camera_id=camera_id,
        image=lambda: zones_since(store, camera_id, read_image(path), drawn),
        zones_xy=[],  # drawn by zones_since: the picture's zones are not the reference's
        what={"kind": "evidence", "result_id": result_id, "file": path.name, **(about or {})},
        cache_key=(str(path.resolve()), _stat(path), _stat(store.folder(camera_id) / "permit.json")),
    )


@dataclass(frozen=True)
class _DrawnCheck:
    """What the results table says of the check an evidence image was drawn for."""

    checked_at: str
    reference_label: str | None
    H_live_to_ref: list[list[float]] | None
    view_polygon_xy: list[list[float]] | None


def zones_since(store: Store, camera_id: str, evidence: np.ndarray, drawn: _DrawnCheck) -> np.ndarray:
    """Return an evidence image with the privacy zones set after it was drawn filled too.

    Evidence is drawn with the zones of its check's time. A zone added later (someone noticed a
    window) is filled on both pictures, placed by the check's homography. When it cannot be placed
    (the reference was replaced since, or the image is not laid out as drawn), both pictures are
    covered: evidence shows nothing a privacy zone now hides.
    """
    stored = store.permit(camera_id)
    if stored is None or not stored.permit.zones or stored.set_at <= drawn.checked_at:
        return evidence
    info = next((i for i in store.reference_infos(camera_id) if i.label == drawn.reference_label), None)
    shown = np.ascontiguousarray(evidence.copy())
    if info is not None and info.captured_at <= drawn.checked_at:
        H = None if drawn.H_live_to_ref is None else np.asarray(drawn.H_live_to_ref, dtype=np.float64)
        layout = EvidenceLayout.of(info.size_wh, _live_size(drawn, info.size_wh, shown.shape[1]), H)
        if hide_zones(shown, layout, zones_for(stored, info.size_wh)):
            return shown
    shown[:PANEL_HEIGHT] = ZONE_FILL_BGR
    return shown


def _live_size(drawn: _DrawnCheck, reference_wh: tuple[int, int], width: int) -> tuple[int, int]:
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


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size
