"""The audit log, for auditors: read-only, newest first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fov_monitor.database import AuditEntry, Database
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database
from fov_monitor.web.pages import render
from fov_monitor.web.roles import Permission
from fov_monitor.web.sessions import Session

router = APIRouter()


def _entries(
    database: Database, camera: str | None, action: str | None, actor: str | None, limit: int
) -> list[AuditEntry]:
    # Filters beyond the camera are applied after reading; the log is read newest first anyway.
    scanned = database.audit_entries(
        camera_id=camera or None, limit=limit if not (action or actor) else 10_000
    )
    kept = [
        entry
        for entry in scanned
        if (not action or entry.action == action) and (not actor or entry.actor == actor)
    ]
    return kept[:limit]


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    camera: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=64),
    actor: str | None = Query(None, max_length=64),
    limit: int = Query(200, ge=1, le=5000),
    session: Session = Depends(require(Permission.VIEW_AUDIT)),
    database: Database = Depends(get_database),
) -> Response:
    entries = _entries(database, camera, action, actor, limit)
    return render(
        request,
        "audit.html",
        session,
        entries=entries,
        camera=camera or "",
        action=action or "",
        actor=actor or "",
        limit=limit,
    )


@router.get("/api/audit")
def api_audit(
    camera: str | None = Query(None, max_length=64, description="only lines about this camera"),
    action: str | None = Query(
        None, max_length=64, description="only lines of this action, e.g. 'image viewed'"
    ),
    actor: str | None = Query(None, max_length=64, description="only lines by this user"),
    limit: int = Query(200, ge=1, le=5000),
    _: Session = Depends(require(Permission.VIEW_AUDIT)),
    database: Database = Depends(get_database),
) -> list[dict[str, Any]]:
    """Return audit log lines, newest first."""
    return [entry.to_dict() for entry in _entries(database, camera, action, actor, limit)]
