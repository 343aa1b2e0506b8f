"""Images: references and evidence, for the roles that need them, blurred and audited."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from fov_monitor.db.database import Database
from fov_monitor.errors import N_
from fov_monitor.files.images import read_image
from fov_monitor.settings import StoreSettings
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database, run_heavy, store_settings, web_context
from fov_monitor.web.images import image_response
from fov_monitor.web.messages import Refusal
from fov_monitor.web.roles import Permission
from fov_monitor.web.routes.common import known_camera, row_id, valid_label
from fov_monitor.web.sessions import Session
from fov_monitor.workflows.evidence_view import drawn_check, evidence_as_shown, evidence_file, zones_for

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
        raise Refusal(
            404,
            N_("Camera %(camera)s has no reference %(label)s."),
            detail=f"camera {camera_id!r} has no {label!r} reference",
            camera=camera_id,
            label=label,
        )
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
    Refusal
        404 for an unknown camera, a result of another camera, or one without an evidence image.
    """
    store = web_context(request).store
    known_camera(store, camera_id)
    found = drawn_check(database, camera_id, result_id=result_id)
    if found is None:
        raise Refusal(
            404,
            N_("Check %(result)s of camera %(camera)s has no evidence image."),
            detail=f"result {result_id} of camera {camera_id!r} has no evidence image",
            result=result_id,
            camera=camera_id,
        )
    drawn, recorded_path = found
    path = evidence_file(store, camera_id, recorded_path)
    if not path.is_file():
        raise Refusal(
            404,
            N_("The evidence image of check %(result)s is no longer kept."),
            detail=f"the evidence image of result {result_id} is no longer in the store",
            result=result_id,
        )
    return image_response(
        database,
        settings,
        actor=session.user.name,
        camera_id=camera_id,
        image=lambda: evidence_as_shown(store, camera_id, read_image(path), drawn),
        zones_xy=[],  # hidden by evidence_as_shown: the picture's zones are not the reference's
        what={"kind": "evidence", "result_id": result_id, "file": path.name, **(about or {})},
        cache_key=(
            str(path.resolve()),
            _stat(path),
            _stat(store.folder(camera_id) / "permit.json"),
            _stat(store.folder(camera_id) / "references"),  # a reference replaced since
        ),
    )


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size
