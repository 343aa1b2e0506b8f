"""The fleet overview: status per camera, filtered by group and status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fov_monitor.database import Database
from fov_monitor.web.auth import require
from fov_monitor.web.charts import sparkline
from fov_monitor.web.context import get_database, web_context
from fov_monitor.web.fleet import FleetStatus, fleet_status
from fov_monitor.web.pages import render
from fov_monitor.web.roles import Permission
from fov_monitor.web.sessions import Session

router = APIRouter()


@router.get("/", include_in_schema=False)
def fleet_page(
    request: Request,
    group: str | None = Query(None, max_length=64),
    status: FleetStatus | None = None,
    session: Session = Depends(require(Permission.VIEW_FLEET)),
    database: Database = Depends(get_database),
) -> Response:
    store = web_context(request).store
    every = fleet_status(store, database)
    groups = sorted({row.group for row in every if row.group})
    rows = [
        row for row in every if (not group or row.group == group) and (status is None or row.status is status)
    ]
    sparks = {
        row.camera_id: sparkline(row.trend, f"share outside the permit, last {len(row.trend)} checks")
        for row in rows
    }
    counts: dict[str, int] = {}
    for row in every:
        counts[str(row.status)] = counts.get(str(row.status), 0) + 1
    return render(
        request,
        "fleet.html",
        session,
        rows=rows,
        sparks=sparks,
        groups=groups,
        statuses=list(FleetStatus),
        group=group or "",
        status=str(status) if status else "",
        counts=counts,
        total=len(every),
    )


@router.get("/api/fleet")
def api_fleet(
    request: Request,
    group: str | None = Query(None, max_length=64, description="only cameras of this group"),
    status: FleetStatus | None = Query(None, description="only cameras whose last status is this"),
    _: Session = Depends(require(Permission.VIEW_FLEET)),
    database: Database = Depends(get_database),
) -> list[dict[str, Any]]:
    """Return every camera's last status, check time and recent trend (oldest first)."""
    rows = fleet_status(
        web_context(request).store, database, group=group, statuses=[status] if status else ()
    )
    return [row.to_dict() for row in rows]
