"""The audit log, for auditors: read-only, newest first."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fov_monitor.db.database import AuditEntry, Database
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database
from fov_monitor.web.pages import render
from fov_monitor.web.roles import Permission
from fov_monitor.web.routes.common import MAX_ROW_ID
from fov_monitor.web.sessions import Session

router = APIRouter()


@dataclass(frozen=True)
class AuditQuery:
    """Which audit lines: filters (all in the database's query) and the page."""

    camera: str | None = Query(None, max_length=64, description="only lines about this camera")
    action: str | None = Query(
        None, max_length=64, description="only lines of this action, e.g. 'image viewed'"
    )
    actor: str | None = Query(None, max_length=64, description="only lines by this user")
    before: int | None = Query(
        None, ge=1, le=MAX_ROW_ID, description="only lines older than this id (the next page)"
    )
    limit: int = Query(200, ge=1, le=5000)


def _entries(database: Database, query: AuditQuery) -> list[AuditEntry]:
    return database.audit_entries(
        query.camera or None,
        query.limit,
        action=query.action or None,
        actor=query.actor or None,
        before_id=query.before,
    )


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    query: AuditQuery = Depends(),
    session: Session = Depends(require(Permission.VIEW_AUDIT)),
    database: Database = Depends(get_database),
) -> Response:
    entries = _entries(database, query)
    older = None
    if len(entries) == query.limit:
        older = {
            key: value
            for key, value in dataclasses.asdict(query).items()
            if value not in (None, "") and key != "before"
        } | {"before": entries[-1].entry_id}
    return render(
        request,
        "audit.html",
        session,
        entries=entries,
        camera=query.camera or "",
        action=query.action or "",
        actor=query.actor or "",
        limit=query.limit,
        older=urlencode(older) if older else None,
    )


@router.get("/api/audit")
def api_audit(
    query: AuditQuery = Depends(),
    _: Session = Depends(require(Permission.VIEW_AUDIT)),
    database: Database = Depends(get_database),
) -> list[dict[str, Any]]:
    """Return audit log lines, newest first.

    For the next page, pass the last line's ``entry_id`` as ``before``.
    """
    return [entry.to_dict() for entry in _entries(database, query)]
