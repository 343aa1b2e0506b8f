"""Announce to the reviewers a camera's decision that ends soon, before filming there breaks it.

After each scan run, for every camera of the run: a decision whose last day is today or within
:data:`~fov_monitor.workflows.decision.NOTICE_DAYS` days opens a ``decision_ending`` alert, delivered
like any opened alert; a decision renewed (a later last day, or none) closes it. Once the decision
has ended nothing new is announced: filming then is the scan's ``outside_decision``, whose alert
closes the announcement (superseded, :mod:`fov_monitor.alerts.engine`). One active alert per camera
and problem, so a pass repeated over the same day changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

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
from fov_monitor.alerts.queries import camera_facts, camera_group
from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.core.permit import Decision
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.errors import FovMonitorError
from fov_monitor.store.store import Store, now_utc
from fov_monitor.workflows.decision import NOTICE_DAYS, days_left

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Notice:
    """What to do about one camera's decision: open an announcement (``summary``) or close one."""

    camera_id: str
    summary: str | None
    active: Alert | None
    group: str = "default"
    facts: CameraFacts = field(default_factory=CameraFacts)


def announce_ending_decisions(
    database: Database,
    store: Store,
    camera_ids: Iterable[str],
    settings: AlertSettings,
    *,
    today: date,
    actor: str = "scan",
    at: str | None = None,
) -> AlertChanges:
    """Open a ``decision_ending`` alert for each camera whose decision ends soon; close the renewed ones.

    Parameters
    ----------
    database, store : Database, Store
    camera_ids : iterable of str
        The cameras to look at (those of a scan run); a camera whose permit cannot be read is left.
    settings : AlertSettings
        The channels each camera group is routed to.
    today : date
        The local day the days left are counted from.
    actor, at : str
        Who and when, for the events and the audit log (default: now).

    Returns
    -------
    AlertChanges
        Announcements opened and closed, deliveries written; one transaction for all.
    """
    at = at or now_utc()
    wanted = set(camera_ids)
    active = {
        alert.camera_id: alert
        for alert in map(
            Alert.from_row,
            database.read(
                f"SELECT {ALERT_COLUMNS} FROM alerts WHERE closed_at IS NULL AND problem = ?",
                (str(Problem.DECISION_ENDING),),
            ),
        )
        if alert.camera_id in wanted
    }
    notices = [
        notice
        for camera_id in sorted(wanted)
        if (notice := _notice(store, camera_id, active.get(camera_id), today)) is not None
    ]
    notices = [
        replace(
            notice, group=camera_group(store, notice.camera_id), facts=camera_facts(store, notice.camera_id)
        )
        for notice in notices
    ]

    def body(transaction: Transaction) -> AlertChanges:
        changes = AlertChanges()
        for notice in notices:
            changes += _apply(transaction, notice, settings, actor, at)
        return changes

    changes = database.write(body) if notices else AlertChanges()
    if notices:
        log.info("decisions ending: %s", changes)
    return changes


def _notice(store: Store, camera_id: str, active: Alert | None, today: date) -> _Notice | None:
    try:
        stored = store.permit(camera_id)
    except FovMonitorError:
        return None  # the scan records the camera as an error
    decision = stored.permit.decision if stored is not None else None
    left = days_left(decision, today)
    if decision is not None and left is not None and left <= NOTICE_DAYS:
        if active is not None or left < 0:
            return None  # announced already, or ended: filming now is the scan's outside_decision
        return _Notice(camera_id, _summary(decision, left), None)
    if active is None:
        return None
    return _Notice(camera_id, None, active)


def _summary(decision: Decision, left: int) -> str:
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    return (
        f"decision {decision.reference_number} ends on {decision.valid_to}, {when}: renew it, "
        "or filming there must stop after that day"
    )


def _apply(
    transaction: Transaction, notice: _Notice, settings: AlertSettings, actor: str, at: str
) -> AlertChanges:
    channels = settings.routes(notice.group)
    if notice.active is not None:
        why = "the decision was renewed or removed"
        row = transaction.fetchone(
            "UPDATE alerts SET state = ?, closed_at = ?, updated_at = ? WHERE id = ? AND closed_at IS NULL "
            "RETURNING id",
            (State.CLOSED, at, at, notice.active.alert_id),
        )
        if row is None:
            return AlertChanges()
        after = replace(notice.active, state=State.CLOSED, closed_at=at, updated_at=at)
        sent = record_event(
            transaction,
            after,
            Event.CLOSED,
            actor=actor,
            at=at,
            note=why,
            detail={"why": why},
            channels=channels,
            camera=notice.facts,
            finding=Finding((why,), None, None),
        )
        return AlertChanges(closed=1, deliveries=sent)
    row = transaction.fetchone(
        "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, occurrences, "
        f"summary) VALUES (?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING RETURNING {ALERT_COLUMNS}",
        (notice.camera_id, notice.group, Problem.DECISION_ENDING, State.OPEN, at, at, notice.summary),
    )
    if row is None:
        return AlertChanges()
    sent = record_event(
        transaction,
        Alert.from_row(row),
        Event.OPENED,
        actor=actor,
        at=at,
        detail={"why": notice.summary},
        channels=channels,
        camera=notice.facts,
        finding=Finding((str(notice.summary),), None, None),
    )
    return AlertChanges(opened=1, deliveries=sent)
