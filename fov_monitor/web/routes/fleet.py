"""The fleet overview: status per camera, filtered by group and status, a page at a time."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.store.store import now_utc
from fov_monitor.web.auth import require
from fov_monitor.web.charts import sparkline
from fov_monitor.web.context import get_database, web_context
from fov_monitor.web.fleet import PAGE_SIZE, FleetStatus, fleet_page
from fov_monitor.web.pages import language_of_page, render
from fov_monitor.web.roles import Permission
from fov_monitor.web.sessions import Session
from fov_monitor.workflows.fleet_import import export_rows
from fov_monitor.workflows.inventory import InventoryFormat, write_inventory

router = APIRouter()


@router.get("/", include_in_schema=False)
def fleet_page_view(
    request: Request,
    group: str | None = Query(None, max_length=64),
    status: FleetStatus | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    incomplete: bool = False,
    session: Session = Depends(require(Permission.VIEW_FLEET)),
    database: Database = Depends(get_database),
) -> Response:
    shown = fleet_page(
        web_context(request).store,
        database,
        group=group or None,
        statuses=[status] if status else (),
        page=page,
        with_counts=True,
        incomplete=incomplete,
    )
    language = language_of_page(request, session).language
    sparks = {row.camera_id: sparkline(row.trend, language) for row in shown.rows}
    return render(
        request,
        "fleet.html",
        session,
        fleet=shown,
        rows=shown.rows,
        sparks=sparks,
        groups=shown.groups,
        statuses=list(FleetStatus),
        group=group or "",
        status=str(status) if status else "",
        counts=shown.counts,
        total=sum(shown.counts.values()),
        incomplete=incomplete,
        lacking=shown.lacking,
    )


@router.get("/api/fleet")
def api_fleet(
    request: Request,
    group: str | None = Query(None, max_length=64, description="only cameras of this group"),
    status: FleetStatus | None = Query(None, description="only cameras whose last status is this"),
    page: int = Query(1, ge=1, le=1_000_000, description=f"which page of {PAGE_SIZE} cameras, from 1"),
    incomplete: bool = Query(False, description="only cameras that have no reference or no permit yet"),
    _: Session = Depends(require(Permission.VIEW_FLEET)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Return a page of cameras (by id) with their last status, check time and trend (oldest first).

    ``total`` cameras match the filters, on ``pages`` pages of ``page_size``; each camera's
    ``missing`` names what it lacks to be checked (``reference``, ``permit``).
    """
    shown = fleet_page(
        web_context(request).store,
        database,
        group=group,
        statuses=[status] if status else (),
        page=page,
        incomplete=incomplete,
    )
    return shown.to_dict()


@router.get("/api/fleet/export")
def api_fleet_export(
    request: Request,
    format: InventoryFormat = Query(InventoryFormat.CSV, description="csv or jsonl"),
    group: str | None = Query(None, max_length=64, description="only cameras of this group"),
    session: Session = Depends(require(Permission.EXPORT_CAMERAS)),
    database: Database = Depends(get_database),
) -> Response:
    """Download the cameras as an inventory: what ``fov-monitor camera import`` reads (CSV or JSON lines).

    Credentials are named (the variable, the file), never read; a secret in a source URL is ``***``.
    The download is written to the audit log (``cameras exported``) before it is sent.
    """
    rows, problems = export_rows(web_context(request).store, group)
    text = write_inventory(rows, format)
    detail = {"group": group, "format": str(format), "cameras": len(rows), "not_exported": len(problems)}
    database.audit(session.user.name, AuditAction.CAMERAS_EXPORTED, None, detail, at=now_utc())
    name = f"cameras-{group}" if group and _SAFE_NAME.fullmatch(group) else "cameras"
    media = "text/csv" if format is InventoryFormat.CSV else "application/x-ndjson"
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
    )


_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
