"""One camera: its page (reference with permit and zones, last live view, history) and "check now"."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from fov_monitor.alerts import StateFilter, list_alerts
from fov_monitor.db.database import Database, ResultRow
from fov_monitor.errors import N_
from fov_monitor.i18n import translations
from fov_monitor.settings import StoreSettings
from fov_monitor.sources import redact
from fov_monitor.store.store import Store
from fov_monitor.web.auth import require
from fov_monitor.web.charts import history_chart
from fov_monitor.web.context import get_database, run_heavy, store_settings, web_context
from fov_monitor.web.fleet import camera_status
from fov_monitor.web.pages import language_of_page, render
from fov_monitor.web.roles import Permission, allows
from fov_monitor.web.routes.common import known_camera
from fov_monitor.web.sessions import Session
from fov_monitor.workflows.bank import forget_reference
from fov_monitor.workflows.camera_check import EvidencePolicy, check_camera

router = APIRouter()


def camera_document(store: Store, camera_id: str) -> dict[str, Any]:
    """Return a camera's settings (no credentials: none in its source either), permit and references."""
    state = store.camera_state(camera_id)
    config = state.config.to_dict()
    config.pop("auth", None)
    # A user:password@ or a token in the URL would hand read-only roles the unblurred, unaudited feed.
    config["source"] = redact(config["source"])
    stored = state.stored_permit
    permit = None
    if stored is not None:
        permit = stored.permit.to_dict() | {
            "reference_size": stored.reference_size,
            "set_at": stored.set_at,
            "set_by": stored.set_by,
        }
    references = [
        {
            "label": info.label,
            "size_wh": list(info.size_wh),
            "captured_at": info.captured_at,
            "taken_at": info.taken_at,
            "captured_by": info.captured_by,
            "faces_blurred": info.faces_blurred,
            "learned": _learned_summary(info.learned),
        }
        for info in state.infos
    ]
    return {"camera": config, "permit": permit, "references": references}


def _learned_summary(learned: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return what the camera page says of a learned reference (its homography stays in the store)."""
    if learned is None:
        return None
    keys = ("frame_at", "scan_run", "verified_against", "shift_fraction", "zoom", "inliers", "method")
    return {key: learned.get(key) for key in keys}


def _forget(request: Request, camera_id: str, label: str, session: Session, database: Database) -> None:
    store = web_context(request).store
    known_camera(store, camera_id)
    forget_reference(store, database, camera_id, label, actor=session.user.name, why="removed in the web app")


@router.post("/cameras/{camera_id}/references/{label}/forget", include_in_schema=False)
async def forget_form(
    request: Request,
    camera_id: str,
    label: str,
    session: Session = Depends(require(Permission.MANAGE_REFERENCES)),
    database: Database = Depends(get_database),
) -> Response:
    await run_heavy(request, lambda: _forget(request, camera_id, label, session, database))
    return RedirectResponse(f"/cameras/{camera_id}", status_code=303)


@router.post("/api/cameras/{camera_id}/references/{label}/forget")
async def api_forget(
    request: Request,
    camera_id: str,
    label: str,
    session: Session = Depends(require(Permission.MANAGE_REFERENCES)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Remove a reference the camera's bank learned (kept in the camera's history/, audited first)."""
    await run_heavy(request, lambda: _forget(request, camera_id, label, session, database))
    return {"camera_id": camera_id, "forgotten": label}


def _latest_with_evidence(rows: list[ResultRow]) -> ResultRow | None:
    return next((row for row in rows if row.evidence_path), None)


CANNOT_CHECK = {
    (True, False): N_("Check now needs a reference; a technician captures it."),
    (False, True): N_("Check now needs a permit; a technician draws it."),
    (True, True): N_("Check now needs a reference and a permit; a technician adds them."),
}
"""Why "check now" cannot judge a camera, by what it lacks: (no reference, no permit)."""


def cannot_check(document: dict[str, Any]) -> str | None:
    """Return the message why "check now" cannot judge the camera (no reference, no permit), or None."""
    return CANNOT_CHECK.get((not document["references"], not document["permit"]))


@router.get("/cameras/{camera_id}", include_in_schema=False)
def camera_page(
    request: Request,
    camera_id: str,
    checked: bool = False,
    session: Session = Depends(require(Permission.VIEW_CAMERA)),
    database: Database = Depends(get_database),
) -> Response:
    context = web_context(request)
    store = context.store
    known_camera(store, camera_id)
    language = language_of_page(request, session).language
    document = camera_document(store, camera_id)
    why_not = cannot_check(document)
    rows = database.history(camera_id, limit=context.settings.history_limit)
    latest = rows[0] if rows else None
    measured = database.result_document(latest.result_id) if latest else None
    alerts = (
        list_alerts(database, StateFilter.ACTIVE, camera_id)
        if allows(session.user.role, Permission.VIEW_ALERTS)
        else []
    )
    return render(
        request,
        "camera.html",
        session,
        camera_id=camera_id,
        document=document,
        status=camera_status(store, database, camera_id),
        rows=rows,
        latest=latest,
        measured=measured or {},
        evidence=_latest_with_evidence(rows),
        chart=history_chart(list(reversed(rows)), camera_id, language),
        alerts=alerts,
        cannot_check=translations(language).gettext(why_not) if why_not else "",
        checked=checked and latest is not None,
        check_timeout_s=math.ceil(document["camera"].get("timeout_s") or 10),
    )


@router.get("/api/cameras/{camera_id}")
def api_camera(
    request: Request,
    camera_id: str,
    _: Session = Depends(require(Permission.VIEW_CAMERA)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Return a camera's settings (without credentials), permit, references and status."""
    store = web_context(request).store
    known_camera(store, camera_id)
    return camera_document(store, camera_id) | {"status": camera_status(store, database, camera_id).to_dict()}


@router.get("/api/cameras/{camera_id}/history")
def api_history(
    request: Request,
    camera_id: str,
    limit: int = Query(50, ge=1, le=1000, description="how many results, newest first"),
    _: Session = Depends(require(Permission.VIEW_CAMERA)),
    database: Database = Depends(get_database),
) -> list[dict[str, Any]]:
    """Return the camera's latest results, newest first.

    Each result's evidence image is given by its URL (``evidence``), never by its path on the server.
    """
    known_camera(web_context(request).store, camera_id)
    return [_public_row(row) for row in database.history(camera_id, limit=limit)]


def _public_row(row: ResultRow) -> dict[str, Any]:
    shown = row.to_dict()
    del shown["evidence_path"]
    shown["source"] = redact(row.source)
    shown["evidence"] = (
        f"/api/cameras/{row.camera_id}/results/{row.result_id}/evidence" if row.evidence_path else None
    )
    return shown


def _check_now(
    request: Request, camera_id: str, session: Session, database: Database, settings: StoreSettings
) -> dict[str, Any]:
    store = web_context(request).store
    known_camera(store, camera_id)
    # "always": the camera page shows the last live frame, which only an evidence image keeps.
    checked = check_camera(
        store,
        database,
        camera_id,
        actor=session.user.name,
        evidence=EvidencePolicy.ALWAYS,
        privacy=settings.privacy,
    )
    return {
        "camera_id": camera_id,
        "result_id": checked.result_id,
        "checked_at": checked.checked_at,
        "status": str(checked.result.status),
        "reasons": list(checked.result.reasons),
        "outside_fraction": checked.result.outside_fraction,
        "evidence_error": checked.evidence_error,
    }


@router.post("/cameras/{camera_id}/check", include_in_schema=False)
async def check_now_form(
    request: Request,
    camera_id: str,
    session: Session = Depends(require(Permission.RUN_CHECK)),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> Response:
    await run_heavy(request, lambda: _check_now(request, camera_id, session, database, settings))
    return RedirectResponse(f"/cameras/{camera_id}?checked=true", status_code=303)


@router.post("/api/cameras/{camera_id}/check")
async def api_check_now(
    request: Request,
    camera_id: str,
    session: Session = Depends(require(Permission.RUN_CHECK)),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> dict[str, Any]:
    """Grab a live frame now, judge it, store the result with an evidence image; return the verdict."""
    return await run_heavy(request, lambda: _check_now(request, camera_id, session, database, settings))
