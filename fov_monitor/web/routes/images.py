"""Images: references and evidence, for the roles that need them, blurred and audited."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from fov_monitor.camera_check import evidence_folder
from fov_monitor.database import Database
from fov_monitor.image_files import read_image
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database, run_heavy, web_context
from fov_monitor.web.images import image_response, zones_for
from fov_monitor.web.roles import Permission
from fov_monitor.web.routes.common import known_camera, row_id, valid_label
from fov_monitor.web.sessions import Session

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
) -> Response:
    """Return a reference image (faces blurred, privacy zones filled); the view is audited."""
    return await run_heavy(request, lambda: _reference(request, camera_id, label, session, database))


def _reference(
    request: Request, camera_id: str, label: str, session: Session, database: Database
) -> Response:
    store = web_context(request).store
    known_camera(store, camera_id)
    valid_label(label)
    if label not in {info.label for info in store.reference_infos(camera_id)}:
        raise HTTPException(404, f"camera {camera_id!r} has no {label!r} reference")
    size_wh = next(info.size_wh for info in store.reference_infos(camera_id) if info.label == label)
    folder = store.folder(camera_id)
    return image_response(
        store,
        database,
        actor=session.user.name,
        camera_id=camera_id,
        image=lambda: store.reference_image(camera_id, label),  # checked against its checksum
        zones_xy=zones_for(store, camera_id, size_wh),
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
) -> Response:
    """Return a result's evidence image (reference and live frame, faces blurred); the view is audited."""
    return await run_heavy(
        request, lambda: evidence_response(request, camera_id, result_id, session, database)
    )


def evidence_response(
    request: Request,
    camera_id: str,
    result_id: int,
    session: Session,
    database: Database,
    about: Mapping[str, Any] | None = None,
) -> Response:
    """Return a result's evidence image, faces blurred, after writing its ``image viewed`` audit line.

    Parameters
    ----------
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
        "SELECT evidence_path FROM results WHERE id = ? AND camera_id = ?", (result_id, camera_id)
    )
    if not rows or not rows[0][0]:
        raise HTTPException(404, f"result {result_id} of camera {camera_id!r} has no evidence image")
    # Only the file's name is taken from the database, and looked for in the camera's own folder.
    path = evidence_folder(store, camera_id) / Path(str(rows[0][0])).name
    if not path.is_file():
        raise HTTPException(404, f"the evidence image of result {result_id} is no longer in the store")
    return image_response(
        store,
        database,
        actor=session.user.name,
        camera_id=camera_id,
        image=lambda: read_image(path),
        zones_xy=[],  # evidence images are drawn with their zones filled
        what={"kind": "evidence", "result_id": result_id, "file": path.name, **(about or {})},
        cache_key=(str(path.resolve()), _stat(path)),
    )


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size
