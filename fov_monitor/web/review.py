"""The review queue's steps as the web app takes them: which step, who may take it, when it is offered.

The steps themselves are :mod:`fov_monitor.alerts.review`'s: this module names them for URLs, maps
each to the permission it takes, and gathers what an alert's page shows (its events, its deliveries,
a pending re-baseline proposal, the result whose evidence image is shown).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fov_monitor.alerts import (
    Alert,
    AlertEvent,
    DeliveryState,
    State,
    acknowledge,
    alert_deliveries,
    alert_events,
    approve_rebaseline,
    dismiss,
    load_alert,
    reject_rebaseline,
    resolve,
)
from fov_monitor.alerts.review import REBASELINE_PROBLEMS, pending_proposal
from fov_monitor.db.database import Database
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from fov_monitor.web.roles import Permission

MAX_NOTE_LENGTH = 2000
"""Characters of a reviewer's note or reason."""


class ReviewStep(enum.StrEnum):
    """A step a reviewer takes on an alert, as it appears in URLs (``/alerts/12/resolve``)."""

    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    PROPOSE_REBASELINE = "propose-rebaseline"
    """Of a dismissed alert whose proposal was rejected (or that had none): propose one (again)."""
    APPROVE_REBASELINE = "approve-rebaseline"
    REJECT_REBASELINE = "reject-rebaseline"

    @property
    def permission(self) -> Permission:
        """Return the permission the step takes: approving a re-baseline changes the reference."""
        if self is ReviewStep.APPROVE_REBASELINE:
            return Permission.APPROVE_REBASELINE
        return Permission.REVIEW_ALERTS


@dataclass(frozen=True, slots=True)
class AlertView:
    """Everything an alert's page and ``GET /api/alerts/{id}`` show."""

    alert: Alert
    events: list[AlertEvent]
    """Oldest first."""
    deliveries: list[DeliveryState]
    proposal: AlertEvent | None
    """The re-baseline proposal awaiting a decision, if any."""
    evidence_result_id: int | None
    """The result whose evidence image is the alert's (its latest kept)."""

    def steps(self) -> list[ReviewStep]:
        """Return the steps the alert's state allows now, in the order the page offers them."""
        state = self.alert.state
        steps = []
        if state is State.OPEN:
            steps.append(ReviewStep.ACKNOWLEDGE)
        if state.active:
            steps.append(ReviewStep.RESOLVE)
        if state in (State.OPEN, State.ACKNOWLEDGED):
            steps.append(ReviewStep.DISMISS)
        if state is State.DISMISSED and self.proposal is None and self.can_propose_rebaseline:
            steps.append(ReviewStep.PROPOSE_REBASELINE)
        if state.active and self.proposal is not None:
            steps += [ReviewStep.APPROVE_REBASELINE, ReviewStep.REJECT_REBASELINE]
        return steps

    def event_name(self, event_id: int) -> str:
        """Return what the event of ``event_id`` was (``opened``, ``resolved``), for its deliveries."""
        return next((str(e.event) for e in self.events if e.event_id == event_id), str(event_id))

    @property
    def can_propose_rebaseline(self) -> bool:
        """True when a dismissal may propose a re-baseline (a view that moved on purpose)."""
        return self.alert.problem in REBASELINE_PROBLEMS

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form: the alert with its events, deliveries and pending proposal."""
        return self.alert.to_dict() | {
            "events": [event.to_dict() for event in self.events],
            "deliveries": [delivery.to_dict() for delivery in self.deliveries],
            "rebaseline_proposed_by": self.proposal.actor if self.proposal else None,
            "evidence_result_id": self.evidence_result_id,
            "steps": [str(step) for step in self.steps()],
        }


def alert_view(database: Database, alert_id: int) -> AlertView:
    """Return the alert with its events, deliveries, pending proposal and evidence result.

    Raises
    ------
    AlertError
        When there is no alert of that id.
    """
    alert = load_alert(database, alert_id)
    events = alert_events(database, alert_id)
    proposal = pending_proposal(events)
    return AlertView(
        alert, events, alert_deliveries(database, alert_id), proposal, _evidence_result(database, alert)
    )


def _evidence_result(database: Database, alert: Alert) -> int | None:
    if not alert.evidence_path:
        return None
    rows = database.read(
        "SELECT id FROM results WHERE camera_id = ? AND evidence_path = ? ORDER BY id DESC LIMIT 1",
        (alert.camera_id, alert.evidence_path),
    )
    return int(rows[0][0]) if rows else None


def take_step(
    database: Database,
    store: Store,
    settings: StoreSettings,
    alert_id: int,
    step: ReviewStep,
    *,
    actor: str,
    note: str,
    propose_rebaseline: bool = False,
) -> Alert:
    """Take ``step`` on the alert as ``actor`` with ``note`` (the reason, when approving); return it after.

    ``settings`` is the request's reading of the store's settings: resolving sends what the alert
    settings say, approving a re-baseline blurs the new reference as the privacy settings say.

    Raises
    ------
    AlertError
        From :mod:`fov_monitor.alerts.review`: an unknown alert, a step its state does not allow, an
        approver who proposed the re-baseline; nothing is changed then.
    FovMonitorError
        When approving: the camera cannot be grabbed or its new reference does not fit.
    """
    match step:
        case ReviewStep.ACKNOWLEDGE:
            return acknowledge(database, alert_id, actor=actor, note=note)
        case ReviewStep.RESOLVE:
            return resolve(database, store, settings.alerts, alert_id, actor=actor, note=note)
        case ReviewStep.DISMISS:
            return dismiss(database, alert_id, actor=actor, note=note, propose_rebaseline=propose_rebaseline)
        case ReviewStep.PROPOSE_REBASELINE:
            return dismiss(database, alert_id, actor=actor, note=note, propose_rebaseline=True)
        case ReviewStep.APPROVE_REBASELINE:
            return approve_rebaseline(
                database, store, alert_id, approver=actor, reason=note, privacy=settings.privacy
            )
        case ReviewStep.REJECT_REBASELINE:
            return reject_rebaseline(database, alert_id, actor=actor, note=note)


__all__ = ["MAX_NOTE_LENGTH", "AlertView", "ReviewStep", "alert_view", "take_step"]
