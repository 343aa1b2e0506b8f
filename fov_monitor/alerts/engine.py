"""Open, update and close alerts from a finished scan run's outcomes.

Per camera of the run (cameras not in it are left alone):

* compliant: every active alert of the camera closes (``closed``, delivered);
* redirected, zone exposed, tampered (a verdict on a real frame): its alert opens at once, or is
  updated (``updated``, not delivered) while it persists; the camera's alerts of other problems
  close, since it is online and judged;
* offline, unverifiable, error (no verdict on the view): its alert opens only after N consecutive
  scans with that outcome (the settings' thresholds); alerts of the other such problems close, alerts
  of a seen problem stay (not seeing the view is no evidence that it was fixed);
* outside decision (the camera filmed when its decision does not allow it) is a seen problem; it
  also closes the announcement that the decision was ending (``decision_ending``,
  :mod:`fov_monitor.alerts.decisions`), which no other outcome touches.

Idempotent per run: every alert the pass touches gets the run's id (``alerts.last_run_id``), and an
alert already carrying it (or a later run's) is not touched again, so a second pass over a run
changes nothing. Each write is guarded in SQL as well (``... WHERE closed_at IS NULL RETURNING``),
so a reviewer acting meanwhile is never overwritten.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from fov_monitor.alerts.events import record_event
from fov_monitor.alerts.model import (
    ALERT_COLUMNS,
    Alert,
    AlertChanges,
    CameraFacts,
    Event,
    Finding,
    Problem,
    State,
)
from fov_monitor.alerts.queries import StateFilter, camera_facts, camera_group, list_alerts
from fov_monitor.alerts.settings import AlertSettings, Thresholds
from fov_monitor.core.result import Outcome
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database, append_audit
from fov_monitor.db.reasons import joined, read_reasons
from fov_monitor.store.store import Store, now_utc

log = logging.getLogger(__name__)

BATCH_CAMERAS = 200
"""Cameras whose changes share one transaction: one commit each would cost a disk flush apiece."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """A camera's outcome in the run, with its result's evidence."""

    camera_id: str
    outcome: Outcome
    reasons: tuple[str, ...]
    result_id: int | None
    outside_fraction: float | None
    evidence_path: str | None

    @property
    def summary(self) -> str:
        """The alert's summary: the reasons in one line, to show (the finding keeps the list)."""
        return joined(self.reasons)

    @property
    def finding(self) -> Finding:
        return Finding(self.reasons, self.outside_fraction, self.evidence_path)


@dataclass(slots=True)
class _Plan:
    """What the pass does to one camera's alerts."""

    seen: _Seen
    close: list[tuple[Alert, str]] = field(default_factory=list)
    update: Alert | None = None
    open: Problem | None = None
    group: str = "default"
    facts: CameraFacts = field(default_factory=CameraFacts)

    @property
    def delivers(self) -> bool:
        return bool(self.close) or self.open is not None


def update_alerts(
    database: Database,
    store: Store,
    run_id: int,
    settings: AlertSettings,
    *,
    actor: str = "scan",
    at: str | None = None,
    batch_cameras: int = BATCH_CAMERAS,
) -> AlertChanges:
    """Bring the alerts up to date with one scan run's outcomes.

    Parameters
    ----------
    database, store : Database, Store
        The results (outcomes, alerts, outbox) and the cameras (group, name, place, permit).
    run_id : int
        The scan run; a run already gone through changes nothing.
    settings : AlertSettings
        Thresholds, and the channels each camera group is routed to.
    actor : str
        Who runs the pass, for the events and the audit log.
    at : str, optional
        The events' time (default: now, ISO 8601 UTC).
    batch_cameras : int
        Cameras whose changes share one transaction (each event always shares one with its
        deliveries and audit line); 1 commits camera by camera.

    Returns
    -------
    AlertChanges
        Alerts opened, updated and closed, and deliveries written.
    """
    at = at or now_utc()
    seen = _run_outcomes(database, run_id)
    active = _active_alerts(database, run_id)
    streaks = _streaks(database, run_id, settings.thresholds)
    plans = [
        plan
        for camera in seen
        if (plan := _plan(camera, active.get(camera.camera_id, []), streaks, run_id, settings.thresholds))
    ]
    for plan in plans:
        if plan.open is not None:
            plan.group = camera_group(store, plan.seen.camera_id)
        if plan.delivers:
            plan.facts = camera_facts(store, plan.seen.camera_id)
    changes = AlertChanges()
    for chunk in _chunks(plans, max(1, batch_cameras)):
        changes += database.write(_applying(chunk, run_id, settings, actor, at))
    # The mark of a run gone through (runs_to_update reads it).
    database.write(
        lambda transaction: append_audit(
            transaction, at, actor, AuditAction.ALERTS_UPDATED, None, {"run_id": run_id, **changes.to_dict()}
        )
    )
    log.info("alerts for scan run %d: %s", run_id, changes)
    return changes


def close_camera_alerts(
    database: Database,
    camera_id: str,
    facts: CameraFacts,
    settings: AlertSettings,
    *,
    actor: str,
    why: str,
    at: str | None = None,
) -> AlertChanges:
    """Close a camera's active alerts outside a scan (the camera was removed), announced as usual.

    Parameters
    ----------
    database : Database
    camera_id : str
    facts : CameraFacts
        The camera's name, place and decision for the announcement (read before it was removed).
    settings : AlertSettings
        The channels each group is routed to.
    actor, why : str
        Who closes them and why, for the events, the payloads and the audit log.
    at : str, optional
        The events' time (default: now).

    Returns
    -------
    AlertChanges
        Alerts closed and deliveries written; one transaction for all.
    """
    at = at or now_utc()
    active = list_alerts(database, StateFilter.ACTIVE, camera_id=camera_id)

    def body(transaction: Transaction) -> AlertChanges:
        closed = deliveries = 0
        for alert in active:
            sent = _close_alert(
                transaction,
                alert,
                _Closing(
                    at, actor, {"why": why}, facts, Finding((why,), None, alert.evidence_path), note=why
                ),
                settings,
            )
            if sent is not None:
                deliveries += sent
                closed += 1
        return AlertChanges(closed=closed, deliveries=deliveries)

    return database.write(body)


def runs_to_update(database: Database) -> list[int]:
    """Return the finished scan run the engine has not gone through yet (empty when none).

    Only the latest finished run counts: a later run's outcomes supersede an earlier run's.
    """
    latest = database.read("SELECT MAX(id) FROM scan_runs WHERE finished_at IS NOT NULL")[0][0]
    if latest is None:
        return []
    marks = database.read(
        "SELECT detail_json FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1",
        (str(AuditAction.ALERTS_UPDATED),),
    )
    done = json.loads(marks[0][0]).get("run_id", 0) if marks else 0
    return [int(latest)] if int(latest) > int(done) else []


def _plan(
    seen: _Seen, alerts: list[Alert], streaks: dict[str, int], run_id: int, thresholds: Thresholds
) -> _Plan | None:
    if any(alert.last_run_id is not None and alert.last_run_id > run_id for alert in alerts):
        return None  # a later run has judged this camera already
    problem = Problem.of(seen.outcome)
    # A decision ending soon is no view's finding: it closes when renewed, or when filming outside it.
    alerts = [
        a for a in alerts if a.problem is not Problem.DECISION_ENDING or problem is Problem.OUTSIDE_DECISION
    ]
    untouched = [alert for alert in alerts if alert.last_run_id != run_id]
    plan = _Plan(seen)
    if problem is None:
        plan.close = [(alert, "the camera is compliant again") for alert in untouched]
        return plan if plan.close else None
    plan.close = [
        (alert, f"superseded by {problem}")
        for alert in untouched
        if alert.problem != problem and (problem.seen or not alert.problem.seen)
    ]
    same = next((alert for alert in alerts if alert.problem == problem), None)
    if same is not None:
        plan.update = same if same in untouched else None
    elif problem.seen or streaks.get(seen.camera_id, 0) >= _scans_needed(problem, thresholds):
        plan.open = problem
    return plan if plan.close or plan.update or plan.open else None


def _scans_needed(problem: Problem, thresholds: Thresholds) -> int:
    needed = {
        Problem.OFFLINE: thresholds.offline_after_scans,
        Problem.UNVERIFIABLE: thresholds.unverifiable_after_scans,
        Problem.ERROR: thresholds.error_after_scans,
    }
    return needed.get(problem, 1)


def _applying(
    plans: Sequence[_Plan], run_id: int, settings: AlertSettings, actor: str, at: str
) -> Callable[[Transaction], AlertChanges]:
    def body(transaction: Transaction) -> AlertChanges:
        changes = AlertChanges()
        for plan in plans:
            changes += _apply(transaction, plan, run_id, settings, actor, at)
        return changes

    return body


def _apply(
    transaction: Transaction, plan: _Plan, run_id: int, settings: AlertSettings, actor: str, at: str
) -> AlertChanges:
    seen = plan.seen
    detail = {"run_id": run_id, "result_id": seen.result_id, "outcome": seen.outcome}
    closed = updated = opened = deliveries = 0
    for alert, why in plan.close:
        closing = _Closing(at, actor, detail | {"why": why}, plan.facts, seen.finding)
        sent = _close_alert(transaction, alert, closing, settings, run_id=run_id, result_id=seen.result_id)
        if sent is not None:  # None: a reviewer resolved it meanwhile
            deliveries += sent
            closed += 1
    if plan.update is not None:
        row = transaction.fetchone(
            "UPDATE alerts SET updated_at = ?, occurrences = occurrences + 1, summary = ?, "
            "last_result_id = COALESCE(?, last_result_id), last_run_id = ?, "
            "evidence_path = COALESCE(?, evidence_path) "
            "WHERE id = ? AND closed_at IS NULL AND (last_run_id IS NULL OR last_run_id < ?) "
            f"RETURNING {ALERT_COLUMNS}",
            (at, seen.summary, seen.result_id, run_id, seen.evidence_path, plan.update.alert_id, run_id),
        )
        if row is not None:
            record_event(transaction, Alert.from_row(row), Event.UPDATED, actor=actor, at=at, detail=detail)
            updated += 1
    if plan.open is not None:
        row = transaction.fetchone(
            "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, "
            "occurrences, summary, first_result_id, last_result_id, last_run_id, evidence_path) "
            "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
            f"RETURNING {ALERT_COLUMNS}",
            (
                seen.camera_id,
                plan.group,
                plan.open,
                State.OPEN,
                at,
                at,
                seen.summary,
                seen.result_id,
                seen.result_id,
                run_id,
                seen.evidence_path,
            ),
        )
        if row is not None:
            deliveries += record_event(
                transaction,
                Alert.from_row(row),
                Event.OPENED,
                actor=actor,
                at=at,
                detail=detail,
                channels=settings.routes(plan.group),
                camera=plan.facts,
                finding=seen.finding,
            )
            opened += 1
    return AlertChanges(opened, updated, closed, deliveries)


def _run_outcomes(database: Database, run_id: int) -> list[_Seen]:
    rows = database.read(
        "SELECT o.camera_id, o.outcome, o.reasons_json, o.result_id, r.outside_fraction, r.evidence_path "
        "FROM scan_outcomes o LEFT JOIN results r ON r.id = o.result_id WHERE o.run_id = ? "
        "ORDER BY o.camera_id",
        (run_id,),
    )
    return [_Seen(row[0], Outcome(row[1]), read_reasons(row[2]), *row[3:]) for row in rows]


def _active_alerts(database: Database, run_id: int) -> dict[str, list[Alert]]:
    rows = database.read(
        f"SELECT {ALERT_COLUMNS} FROM alerts WHERE closed_at IS NULL AND camera_id IN "
        "(SELECT camera_id FROM scan_outcomes WHERE run_id = ?)",
        (run_id,),
    )
    active: dict[str, list[Alert]] = {}
    for row in rows:
        alert = Alert.from_row(row)
        active.setdefault(alert.camera_id, []).append(alert)
    return active


def _streaks(database: Database, run_id: int, thresholds: Thresholds) -> dict[str, int]:
    """Return, per camera whose outcome in the run needs a threshold, its consecutive scans with it."""
    depth = max(
        thresholds.offline_after_scans, thresholds.unverifiable_after_scans, thresholds.error_after_scans
    )
    unseen = (Problem.OFFLINE, Problem.UNVERIFIABLE, Problem.ERROR)
    rows = database.read(
        "SELECT camera_id, outcome FROM (SELECT camera_id, outcome, ROW_NUMBER() OVER "
        "(PARTITION BY camera_id ORDER BY run_id DESC) AS n FROM scan_outcomes WHERE run_id <= ? AND "
        "camera_id IN (SELECT camera_id FROM scan_outcomes WHERE run_id = ? AND outcome IN (?, ?, ?))) "
        "recent WHERE n <= ? ORDER BY camera_id, n",
        (run_id, run_id, *unseen, max(1, depth)),
    )
    streaks: dict[str, int] = {}
    latest: dict[str, str] = {}
    broken: set[str] = set()
    for camera_id, outcome in rows:
        first = latest.setdefault(camera_id, outcome)
        if camera_id in broken or outcome != first:
            broken.add(camera_id)
            continue
        streaks[camera_id] = streaks.get(camera_id, 0) + 1
    return streaks


def _chunks(plans: Sequence[_Plan], size: int) -> Iterator[Sequence[_Plan]]:
    for start in range(0, len(plans), size):
        yield plans[start : start + size]


@dataclasses.dataclass(frozen=True)
class _Closing:
    """When, by whom and why an alert is closed, and what its announcement says of the camera."""

    at: str
    actor: str
    detail: Mapping[str, object]
    facts: CameraFacts
    finding: Finding | None
    note: str = ""


def _close_alert(
    transaction: Transaction,
    alert: Alert,
    closing: _Closing,
    settings: AlertSettings,
    *,
    run_id: int | None = None,
    result_id: int | None = None,
) -> int | None:
    """Close one alert and announce it; return the deliveries written, None when it was closed already."""
    row = transaction.fetchone(
        "UPDATE alerts SET state = ?, closed_at = ?, updated_at = ?, last_run_id = COALESCE(?, last_run_id), "
        "last_result_id = COALESCE(?, last_result_id) WHERE id = ? AND closed_at IS NULL RETURNING id",
        (State.CLOSED, closing.at, closing.at, run_id, result_id, alert.alert_id),
    )
    if row is None:
        return None
    after = dataclasses.replace(
        alert,
        state=State.CLOSED,
        closed_at=closing.at,
        updated_at=closing.at,
        last_run_id=run_id if run_id is not None else alert.last_run_id,
    )
    return record_event(
        transaction,
        after,
        Event.CLOSED,
        actor=closing.actor,
        at=closing.at,
        note=closing.note,
        detail=closing.detail,
        channels=settings.routes(alert.camera_group),
        camera=closing.facts,
        finding=closing.finding,
    )
