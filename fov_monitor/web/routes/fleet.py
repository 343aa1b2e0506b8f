"""The fleet overview: status per camera, filtered by group and status, a page at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fov_monitor.db.database import Database
from fov_monitor.web.auth import require
from fov_monitor.web.charts import sparkline
from fov_monitor.web.context import get_database, web_context
from fov_monitor.web.fleet import PAGE_SIZE, FleetStatus, fleet_page
from fov_monitor.web.pages import render
from fov_monitor.web.roles import Permission
from fov_monitor.web.sessions import Session

router = APIRouter()


@router.get("/", include_in_schema=False)
def fleet_page_view(
    request: Request,
    group: str | None = Query(None, max_length=64),
    status: FleetStatus | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
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
    )
    sparks = {
        row.camera_id: sparkline(row.trend, f"share outside the permit, last {len(row.trend)} checks")
        for row in shown.rows
    }
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
    )


@router.get("/api/fleet")
def api_fleet(
    request: Request,
    group: str | None = Query(None, max_length=64, description="only cameras of this group"),
    status: FleetStatus | None = Query(None, description="only cameras whose last status is this"),
    page: int = Query(1, ge=1, le=1_000_000, description=f"which page of {PAGE_SIZE} cameras, from 1"),
    _: Session = Depends(require(Permission.VIEW_FLEET)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Return a page of cameras (by id) with their last status, check time and trend (oldest first).

    ``total`` cameras match the filters, on ``pages`` pages of ``page_size``.
    """
    shown = fleet_page(
        web_context(request).store,
        database,
        group=group,
        statuses=[status] if status else (),
        page=page,
    )
    return shown.to_dict()
