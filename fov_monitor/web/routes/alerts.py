"""The review queue: alerts with their evidence, and the reviewers' steps (pages and JSON API).

Every step is :mod:`fov_monitor.alerts.review`'s, taken as the signed-in user with their note: it
writes the alert's change, its event and an audit line in one transaction. A step the alert's state
does not allow (or an approver who proposed the re-baseline) is refused with the review module's
one-line message, 409, and nothing changes; an unknown alert is 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.alerts import Alert, Problem, StateFilter, list_alerts
from fov_monitor.db.database import Database
from fov_monitor.errors import N_, AlertError
from fov_monitor.settings import StoreSettings
from fov_monitor.web.auth import not_allowed, require
from fov_monitor.web.context import get_database, run_heavy, store_settings, web_context
from fov_monitor.web.limits import require_json
from fov_monitor.web.messages import Refusal
from fov_monitor.web.pages import explained, render
from fov_monitor.web.review import MAX_NOTE_LENGTH, AlertView, ReviewStep, alert_view, take_step
from fov_monitor.web.roles import Permission, allows
from fov_monitor.web.routes.common import row_id
from fov_monitor.web.routes.images import IMAGE_RESPONSES, evidence_response
from fov_monitor.web.sessions import Session

router = APIRouter()

QUEUE_LIMIT = 500
"""Alerts on the queue page and in one API answer, newest first."""
AlertId = row_id("alert")


class ReviewNote(BaseModel):
    """A reviewer's step: why (goes to the alert's events and the audit log)."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(
        min_length=1, max_length=MAX_NOTE_LENGTH, description="why; the reason, when approving a re-baseline"
    )
    propose_rebaseline: bool = Field(
        False, description="dismiss only: also propose the camera's current view as its reference"
    )


def _step_session(step: ReviewStep, session: Session = Depends(require(Permission.VIEW_ALERTS))) -> Session:
    """Return the session of a user whose role may take ``step`` (403 otherwise)."""
    if not allows(session.user.role, step.permission):
        raise not_allowed(session.user.role, step.permission)
    return session


def _view(database: Database, alert_id: int) -> AlertView:
    try:
        return alert_view(database, alert_id)
    except AlertError:
        raise Refusal(
            404, N_("There is no alert %(alert)s."), detail=f"no alert {alert_id}", alert=alert_id
        ) from None


def _note(note: str) -> str:
    if not note.strip():
        raise Refusal(
            400,
            N_("Write a note: why this step (it goes to the alert and the audit log)."),
            detail="write a note: why this step (it goes to the alert and the audit log)",
        )
    return note.strip()


async def _take(
    request: Request,
    database: Database,
    settings: StoreSettings,
    alert_id: int,
    step: ReviewStep,
    session: Session,
    note: ReviewNote,
) -> Alert:
    _view(database, alert_id)  # 404 before anything else
    text = _note(note.note)
    store = web_context(request).store
    # Approving grabs the camera and self-tests the new reference: slow work, in its own pool.
    return await run_heavy(
        request,
        lambda: take_step(
            database,
            store,
            settings,
            alert_id,
            step,
            actor=session.user.name,
            note=text,
            propose_rebaseline=note.propose_rebaseline,
        ),
    )


def _queue(database: Database, state: StateFilter, group: str | None, problem: Problem | None) -> list[Alert]:
    return list_alerts(database, state, group=group or None, problem=problem, limit=QUEUE_LIMIT)


@router.get("/alerts", include_in_schema=False)
def queue_page(
    request: Request,
    state: StateFilter = StateFilter.ACTIVE,
    group: str | None = Query(None, max_length=64),
    problem: Problem | None = None,
    session: Session = Depends(require(Permission.VIEW_ALERTS)),
    database: Database = Depends(get_database),
) -> Response:
    groups = [str(row[0]) for row in database.read("SELECT DISTINCT camera_group FROM alerts ORDER BY 1")]
    return render(
        request,
        "alerts.html",
        session,
        alerts=_queue(database, state, group, problem),
        limit=QUEUE_LIMIT,
        states=list(StateFilter),
        problems=list(Problem),
        groups=groups,
        state=str(state),
        group=group or "",
        problem=str(problem) if problem else "",
    )


@router.get("/alerts/{alert_id}", include_in_schema=False)
def alert_page(
    request: Request,
    alert_id: int = AlertId,
    session: Session = Depends(require(Permission.VIEW_ALERTS)),
    database: Database = Depends(get_database),
) -> Response:
    return render(
        request, "alert.html", session, view=_view(database, alert_id), error="", note="", refused_step=""
    )


@router.post("/alerts/{alert_id}/{step}", include_in_schema=False)
async def step_form(
    request: Request,
    step: ReviewStep,
    alert_id: int = AlertId,
    note: str = Form("", max_length=MAX_NOTE_LENGTH),
    propose_rebaseline: bool = Form(False),
    session: Session = Depends(_step_session),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> Response:
    try:
        await _take(
            request,
            database,
            settings,
            alert_id,
            step,
            session,
            ReviewNote.model_construct(note=note, propose_rebaseline=propose_rebaseline),
        )
    except AlertError as exc:
        # The page again, with the review module's reason and the note kept in the form it came from
        # (never in another step's: one more click would take that step with it), so nothing typed is lost.
        return render(
            request,
            "alert.html",
            session,
            status_code=409,
            view=_view(database, alert_id),
            error=explained(request, session, exc),
            note=note,
            refused_step=str(step),
        )
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.get("/api/alerts")
def api_alerts(
    state: StateFilter = Query(
        StateFilter.ACTIVE, description="a state, active (open, acknowledged, dismissed), closed, or all"
    ),
    group: str | None = Query(None, max_length=64, description="only alerts of cameras in this group"),
    problem: Problem | None = Query(None, description="only alerts of this problem"),
    _: Session = Depends(require(Permission.VIEW_ALERTS)),
    database: Database = Depends(get_database),
) -> list[dict[str, Any]]:
    """Return the alerts that match, newest first (at most 500)."""
    return [alert.to_dict() for alert in _queue(database, state, group, problem)]


@router.get("/api/alerts/{alert_id}")
def api_alert(
    alert_id: int = AlertId,
    _: Session = Depends(require(Permission.VIEW_ALERTS)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Return an alert with its events (oldest first), its deliveries, and the steps its state allows."""
    return _view(database, alert_id).to_dict()


@router.get("/api/alerts/{alert_id}/evidence", responses=IMAGE_RESPONSES)
async def api_alert_evidence(
    request: Request,
    alert_id: int = AlertId,
    session: Session = Depends(require(Permission.VIEW_IMAGES)),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> Response:
    """Return the alert's evidence image (faces blurred); the view is audited with the alert's id."""
    view = _view(database, alert_id)
    if view.evidence_result_id is None:
        raise Refusal(
            404,
            N_("Alert %(alert)s has no evidence image."),
            detail=f"alert {alert_id} has no evidence image",
            alert=alert_id,
        )
    result_id = view.evidence_result_id
    return await run_heavy(
        request,
        lambda: evidence_response(
            request,
            view.alert.camera_id,
            result_id,
            session,
            database,
            settings,
            about={"alert_id": alert_id},
        ),
    )


@router.post("/api/alerts/{alert_id}/{step}", dependencies=[Depends(require_json)])
async def api_step(
    request: Request,
    step: ReviewStep,
    body: ReviewNote,
    alert_id: int = AlertId,
    session: Session = Depends(_step_session),
    database: Database = Depends(get_database),
    settings: StoreSettings = Depends(store_settings),
) -> dict[str, Any]:
    """Take a review step as the signed-in user; return the alert as it is after.

    ``approve-rebaseline`` grabs the camera's current view as its reference and needs someone other
    than the proposer. 409 with the reason when the alert's state does not allow the step; 404 for
    an unknown alert; 415 for a body that is not JSON.
    """
    return (await _take(request, database, settings, alert_id, step, session, body)).to_dict()
