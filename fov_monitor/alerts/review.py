"""The reviewers' steps: acknowledge, resolve, dismiss, and the re-baseline a dismissal may propose.

Every step names its actor and writes the alert's change, its event and an audit line in one
transaction; a step the alert's state does not allow is an :class:`~fov_monitor.errors.AlertError`
saying what the state is and what is allowed. A proposed re-baseline takes a second person: the
approver must not be the proposer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from fov_monitor.alerts.events import record_event
from fov_monitor.alerts.model import (
    ALERT_COLUMNS,
    Alert,
    AlertEvent,
    CameraFacts,
    Event,
    Finding,
    Problem,
    State,
)
from fov_monitor.alerts.queries import alert_events, alert_finding, camera_facts, load_alert
from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_, AlertError, FovMonitorError, PeopleMessage
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.i18n.words import OUTCOME_WORDS
from fov_monitor.store.store import Store, now_utc
from fov_monitor.workflows.reference_capture import Approval, capture_reference

REBASELINE_PROBLEMS = frozenset({Problem.REDIRECTED, Problem.ZONE_EXPOSED})
"""Problems a re-baseline can answer: a view that moved on purpose. Not a covered lens, nor no frame."""
_REBASELINE_EVENTS = (
    Event.REBASELINE_PROPOSED,
    Event.REBASELINE_APPROVED,
    Event.REBASELINE_REJECTED,
    Event.REBASELINE_FAILED,
    Event.REBASELINE_APPLIED,
)
"""The events that decide whether a re-baseline is pending: the latest of them says."""
_PENDING = (Event.REBASELINE_PROPOSED, Event.REBASELINE_FAILED)
# What the errors tell people in the web app: its alert page's buttons, by their labels there.
_PROPOSE = PeopleMessage(N_("Propose re-baseline"))
_APPROVE = PeopleMessage(N_("Approve re-baseline"))
_REJECT = PeopleMessage(N_("Reject re-baseline"))
_CHANGED_MEANWHILE = N_(
    "Nothing was done: alert %(alert)s was changed by someone else meanwhile. Here it is as it is now."
)
_YOUR_NAME = PeopleMessage(N_("your name"))
_A_NOTE = PeopleMessage(N_("a note"))
_A_REASON = PeopleMessage(N_("a reason"))
INTERRUPTED_AFTER = timedelta(minutes=30)
"""An approval with neither ``rebaseline_applied`` nor ``rebaseline_failed`` this long after was cut
short (its process died while grabbing; a grab is cut at its camera's timeout, 10 minutes at most):
the proposal is pending again, so that the re-baseline can still be approved or rejected."""


def pending_proposal(events: Sequence[AlertEvent], now: datetime | None = None) -> AlertEvent | None:
    """Return the alert's pending re-baseline proposal (its ``rebaseline_proposed`` event), or None.

    Parameters
    ----------
    events : sequence of AlertEvent
        The alert's events, oldest first.
    now : datetime, optional
        The time to judge an interrupted approval by (default: now).
    """
    decisions = [event for event in events if event.event in _REBASELINE_EVENTS]
    if not decisions or not _still_pending(decisions[-1].event, decisions[-1].at, now):
        return None
    return next(event for event in reversed(decisions) if event.event is Event.REBASELINE_PROPOSED)


def _still_pending(latest: str, at: str, now: datetime | None = None) -> bool:
    """Whether a proposal whose latest re-baseline event is ``latest`` (at ``at``) awaits a decision."""
    if latest in _PENDING:
        return True
    waited = (now or datetime.now(UTC)) - datetime.fromisoformat(at)
    return latest == Event.REBASELINE_APPROVED and waited > INTERRUPTED_AFTER


def acknowledge(database: Database, alert_id: int, *, actor: str, note: str, at: str | None = None) -> Alert:
    """Mark an open alert as taken by a reviewer; return it as it is now.

    Raises
    ------
    AlertError
        Unknown alert, an alert that is not open, or an empty actor or note.
    """
    return _step(database, alert_id, (State.OPEN,), State.ACKNOWLEDGED, Event.ACKNOWLEDGED, actor, note, at)


def resolve(
    database: Database,
    store: Store,
    settings: AlertSettings,
    alert_id: int,
    *,
    actor: str,
    note: str,
    at: str | None = None,
) -> Alert:
    """Close an active alert as fixed by a reviewer, and announce it (``resolved`` is delivered).

    Raises
    ------
    AlertError
        Unknown alert, an alert already closed or resolved, or an empty actor or note.
    """
    alert = load_alert(database, alert_id)
    return _step(
        database,
        alert_id,
        (State.OPEN, State.ACKNOWLEDGED, State.DISMISSED),
        State.RESOLVED,
        Event.RESOLVED,
        actor,
        note,
        at,
        channels=settings.routes(alert.camera_group),
        camera=camera_facts(store, alert.camera_id),
        finding=alert_finding(database, alert),
    )


def dismiss(
    database: Database,
    alert_id: int,
    *,
    actor: str,
    note: str,
    propose_rebaseline: bool = False,
    at: str | None = None,
) -> Alert:
    """Mark an alert a false alarm: it stays active and silent while the problem persists.

    Parameters
    ----------
    propose_rebaseline : bool
        Also propose that the camera's current view become its reference (a second person approves
        it with :func:`approve_rebaseline`); only for a redirected or zone-exposed alert. An alert
        dismissed already, whose proposal was rejected (or that had none), gets a new proposal and
        stays dismissed.

    Raises
    ------
    AlertError
        Unknown alert, an alert not open or acknowledged (dismissed, when proposing), a re-baseline
        proposed for another problem or while one awaits a decision, or an empty actor or note.
    """
    alert = load_alert(database, alert_id)
    if propose_rebaseline and alert.problem not in REBASELINE_PROBLEMS:
        raise AlertError(
            f"alert {alert_id} is {alert.problem}: a re-baseline answers only a view that moved on purpose "
            f"({', '.join(sorted(REBASELINE_PROBLEMS))}); dismiss it without --propose-rebaseline"
        ).saying(
            N_(
                "A re-baseline answers only a view that was moved on purpose (%(redirected)s, "
                "%(zone_exposed)s); dismiss alert %(alert)s without proposing one."
            ),
            alert=alert_id,
            redirected=PeopleMessage(OUTCOME_WORDS[Problem.REDIRECTED]),
            zone_exposed=PeopleMessage(OUTCOME_WORDS[Problem.ZONE_EXPOSED]),
        )
    if propose_rebaseline and alert.state is State.DISMISSED:
        return _propose_again(database, alert, actor, note, at)
    extra = (Event.REBASELINE_PROPOSED,) if propose_rebaseline else ()
    return _step(
        database,
        alert_id,
        (State.OPEN, State.ACKNOWLEDGED),
        State.DISMISSED,
        Event.DISMISSED,
        actor,
        note,
        at,
        also=extra,
    )


def _propose_again(database: Database, alert: Alert, actor: str, note: str, at: str | None) -> Alert:
    """Propose a re-baseline of a dismissed alert again (its last one rejected, or failed for good)."""
    _require(actor, "the reviewer's name (--by)", _YOUR_NAME)
    _require(note, "a note (--note)", _A_NOTE)
    when = at or now_utc()

    def body(transaction: Transaction) -> Alert:
        row = transaction.fetchone(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ? AND state = ? AND closed_at IS NULL",
            (alert.alert_id, State.DISMISSED.value),
        )
        if row is None:
            raise AlertError(
                f"alert {alert.alert_id} changed meanwhile; look at it again with 'alerts show'"
            ).saying(_CHANGED_MEANWHILE, alert=alert.alert_id)
        latest = transaction.fetchone(
            "SELECT event, at, actor FROM alert_events WHERE alert_id = ? AND event IN (?, ?, ?, ?, ?) "
            "ORDER BY id DESC LIMIT 1",
            (alert.alert_id, *_REBASELINE_EVENTS),
        )
        if latest is not None and _still_pending(latest[0], latest[1], _parsed(at)):
            raise AlertError(
                f"alert {alert.alert_id}: a re-baseline awaits a decision already; approve or reject it "
                f"('fov-monitor alerts approve-rebaseline {alert.alert_id}' or 'reject-rebaseline')"
            ).saying(
                N_(
                    "A re-baseline of alert %(alert)s awaits a decision already: another reviewer "
                    "approves it with the button “%(approve)s” or rejects it with “%(reject)s”."
                ),
                alert=alert.alert_id,
                approve=_APPROVE,
                reject=_REJECT,
            )
        return _append_event(
            transaction, Alert.from_row(row), Event.REBASELINE_PROPOSED, actor, note, {}, when
        )

    return database.write(body)


def approve_rebaseline(
    database: Database,
    store: Store,
    alert_id: int,
    *,
    approver: str,
    reason: str,
    privacy: PrivacySettings,
    at: str | None = None,
) -> Alert:
    """Approve a proposed re-baseline: grab the camera's current view as its reference (the old one kept).

    The approval is recorded first, in a transaction that checks the proposal is still pending, so
    that of two reviewers deciding at once only one goes on. Then the reference the alert's latest
    result matched (the camera's first when unknown) is replaced by
    :func:`fov_monitor.workflows.reference_capture.capture_reference`, which grabs, self-tests, keeps the old
    one in the camera's history, moves the permit's drawing with a moved view and audits it all; a
    ``rebaseline_applied`` event says what it did. When the capture fails, a ``rebaseline_failed``
    event puts the proposal back to pending. The alert stays dismissed; the next scan, compliant
    against the new reference, closes it. ``privacy`` are the store's settings the new reference is
    blurred by.

    Raises
    ------
    AlertError
        Unknown or closed alert, no pending proposal (or decided meanwhile), an approver who is the
        proposer, or an empty approver or reason.
    FovMonitorError
        When the camera cannot be grabbed or the new reference does not fit (the reference is left
        as it was; the proposal is pending again).
    """
    _require(approver, "the approver's name (--by)", _YOUR_NAME)
    _require(reason, "a reason (--reason)", _A_REASON)
    alert = _active(database, alert_id, "approve a re-baseline of")
    proposer = _pending_proposer(database, alert_id, at)
    if proposer.strip().casefold() == approver.strip().casefold():
        raise AlertError(
            f"alert {alert_id}: the re-baseline was proposed by {proposer}, who cannot also approve it; "
            "another person must approve (--by NAME)"
        ).saying(
            N_(
                "The re-baseline of alert %(alert)s was proposed by %(proposer)s, who cannot also approve "
                "it: another reviewer must press “%(approve)s”."
            ),
            alert=alert_id,
            proposer=proposer,
            approve=_APPROVE,
        )
    label = _reference_label(database, store, alert)
    claimed = {"label": label, "proposed_by": proposer}
    approved = _decide(database, alert, Event.REBASELINE_APPROVED, approver, reason, claimed, at)
    try:
        outcome = capture_reference(
            store,
            database,
            alert.camera_id,
            label=label,
            actor=approver,
            approval=Approval(reason, approver),
            privacy=privacy,
        )
    except FovMonitorError as exc:
        _record(database, approved, Event.REBASELINE_FAILED, approver, str(exc), claimed)
        raise
    done = claimed | {
        "previous_kept_at": str(outcome.kept) if outcome.kept else None,
        "permit": outcome.permit_line(),
    }
    return _record(database, approved, Event.REBASELINE_APPLIED, approver, reason, done)


def _record(
    database: Database, alert: Alert, event: Event, actor: str, note: str, detail: Mapping[str, object]
) -> Alert:
    """Record one more event of the alert (with its audit line) in a transaction of its own."""
    when = now_utc()
    return database.write(
        lambda transaction: _append_event(transaction, alert, event, actor, note, detail, when)
    )


def _append_event(
    transaction: Transaction,
    alert: Alert,
    event: Event,
    actor: str,
    note: str,
    detail: Mapping[str, object],
    when: str,
) -> Alert:
    """Write one more event of the alert (with its audit line) and mark the alert updated."""
    transaction.execute("UPDATE alerts SET updated_at = ? WHERE id = ?", (when, alert.alert_id))
    after = dataclasses.replace(alert, updated_at=when)
    record_event(transaction, after, event, actor=actor, at=when, note=note, detail=detail)
    return after


def reject_rebaseline(
    database: Database, alert_id: int, *, actor: str, note: str, at: str | None = None
) -> Alert:
    """Refuse a proposed re-baseline; the reference stays and the alert stays dismissed.

    Raises
    ------
    AlertError
        Unknown or closed alert, no pending proposal, or an empty actor or note.
    """
    _require(actor, "the reviewer's name (--by)", _YOUR_NAME)
    _require(note, "a note (--note)", _A_NOTE)
    alert = _active(database, alert_id, "reject a re-baseline of")
    proposer = _pending_proposer(database, alert_id, at)
    return _decide(database, alert, Event.REBASELINE_REJECTED, actor, note, {"proposed_by": proposer}, at)


def _step(
    database: Database,
    alert_id: int,
    allowed: Collection[State],
    to: State,
    event: Event,
    actor: str,
    note: str,
    at: str | None,
    *,
    also: tuple[Event, ...] = (),
    channels: list[str] | None = None,
    camera: CameraFacts | None = None,
    finding: Finding | None = None,
) -> Alert:
    _require(actor, "the reviewer's name (--by)", _YOUR_NAME)
    _require(note, "a note (--note)", _A_NOTE)
    alert = load_alert(database, alert_id)
    if alert.state not in allowed:
        raise AlertError(
            f"alert {alert_id} is {alert.state}; only an alert that is "
            f"{' or '.join(str(state) for state in allowed)} can be {to}"
        ).saying(
            N_(
                "Alert %(alert)s is no longer where this step can be taken; the page shows the steps it "
                "allows."
            ),
            alert=alert_id,
        )
    when = at or now_utc()
    closes = not to.active

    def body(transaction: Transaction) -> Alert:
        row = transaction.fetchone(
            f"UPDATE alerts SET state = ?, updated_at = ?, closed_at = CASE WHEN ? = 1 THEN ? ELSE closed_at "
            f"END WHERE id = ? AND state = ? AND closed_at IS NULL RETURNING {ALERT_COLUMNS}",
            (to, when, int(closes), when, alert_id, alert.state),
        )
        if row is None:
            raise AlertError(
                f"alert {alert_id} changed meanwhile; look at it again with 'alerts show'"
            ).saying(_CHANGED_MEANWHILE, alert=alert_id)
        after = Alert.from_row(row)
        record_event(
            transaction,
            after,
            event,
            actor=actor,
            at=when,
            note=note,
            detail={"from": str(alert.state)},
            channels=channels or (),
            camera=camera,
            finding=finding,
        )
        for more in also:
            record_event(transaction, after, more, actor=actor, at=when, note=note)
        return after

    return database.write(body)


def _decide(
    database: Database,
    alert: Alert,
    event: Event,
    actor: str,
    note: str,
    detail: Mapping[str, object],
    at: str | None,
) -> Alert:
    when = at or now_utc()

    def body(transaction: Transaction) -> Alert:
        latest = transaction.fetchone(
            "SELECT event, at FROM alert_events WHERE alert_id = ? AND event IN (?, ?, ?, ?, ?) "
            "ORDER BY id DESC LIMIT 1",
            (alert.alert_id, *_REBASELINE_EVENTS),
        )
        if latest is None or not _still_pending(latest[0], latest[1], _parsed(at)):
            raise AlertError(f"alert {alert.alert_id}: its re-baseline was decided meanwhile").saying(
                N_(
                    "Nothing was done: another reviewer decided on the re-baseline of alert %(alert)s "
                    "meanwhile."
                ),
                alert=alert.alert_id,
            )
        return _append_event(transaction, alert, event, actor, note, detail, when)

    return database.write(body)


def _active(database: Database, alert_id: int, doing: str) -> Alert:
    alert = load_alert(database, alert_id)
    if not alert.state.active:
        raise AlertError(f"alert {alert_id} is {alert.state}; cannot {doing} a closed alert").saying(
            N_("Alert %(alert)s is closed: its re-baseline can no longer be decided on."), alert=alert_id
        )
    return alert


def _pending_proposer(database: Database, alert_id: int, at: str | None) -> str:
    proposal = pending_proposal(alert_events(database, alert_id), _parsed(at))
    if proposal is None:
        raise AlertError(
            f"alert {alert_id} has no pending re-baseline proposal; propose one with "
            f"'fov-monitor alerts dismiss {alert_id} --note ... --propose-rebaseline'"
        ).saying(
            N_(
                "Alert %(alert)s has no re-baseline awaiting a decision. A reviewer proposes one when "
                "dismissing the alert, or afterwards with the button “%(propose)s”."
            ),
            alert=alert_id,
            propose=_PROPOSE,
        )
    return proposal.actor


def _reference_label(database: Database, store: Store, alert: Alert) -> str:
    if alert.last_result_id is not None:
        rows = database.read("SELECT reference_label FROM results WHERE id = ?", (alert.last_result_id,))
        if rows and rows[0][0]:
            return str(rows[0][0])
    infos = store.reference_infos(alert.camera_id)
    if not infos:
        raise AlertError(f"camera {alert.camera_id} has no reference to re-baseline").saying(
            N_("Camera %(camera)s has no reference image to replace."), camera=alert.camera_id
        )
    return infos[0].label


def _require(text: str, what: str, people_what: PeopleMessage) -> None:
    if not text.strip():
        raise AlertError(f"this step needs {what}; it was empty").saying(
            N_("This step needs %(what)s; write it in the field above its button."), what=people_what
        )


def _parsed(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None
