"""Read alerts, their events and their deliveries; the camera facts and findings payloads tell."""

from __future__ import annotations

import enum
import json
import logging

from fov_monitor.alerts.model import (
    ALERT_COLUMNS,
    Alert,
    AlertEvent,
    CameraFacts,
    DeliveryState,
    Event,
    Finding,
    Problem,
)
from fov_monitor.db.database import Database
from fov_monitor.db.reasons import read_reasons
from fov_monitor.errors import N_, AlertError, FovMonitorError
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)


class StateFilter(enum.StrEnum):
    """Which alerts ``alerts list`` shows: a state, every active one, every closed one, or all."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"
    ACTIVE = "active"
    CLOSED = "closed"
    ALL = "all"


_STATE_SQL = {
    StateFilter.OPEN: ("state = ?", ("open",)),
    StateFilter.ACKNOWLEDGED: ("state = ?", ("acknowledged",)),
    StateFilter.DISMISSED: ("state = ?", ("dismissed",)),
    StateFilter.ACTIVE: ("closed_at IS NULL", ()),
    StateFilter.CLOSED: ("closed_at IS NOT NULL", ()),
}


def list_alerts(
    database: Database,
    state: StateFilter = StateFilter.ACTIVE,
    camera_id: str | None = None,
    group: str | None = None,
    *,
    problem: Problem | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """Return the alerts that match, newest first (at most ``limit`` when given)."""
    where: list[str] = []
    parameters: list[object] = []
    if state in _STATE_SQL:
        clause, values = _STATE_SQL[state]
        where.append(clause)
        parameters.extend(values)
    if camera_id is not None:
        where.append("camera_id = ?")
        parameters.append(camera_id)
    if group is not None:
        where.append("camera_group = ?")
        parameters.append(group)
    if problem is not None:
        where.append("problem = ?")
        parameters.append(str(problem))
    sql = f"SELECT {ALERT_COLUMNS} FROM alerts"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        parameters.append(limit)
    return [Alert.from_row(row) for row in database.read(sql, tuple(parameters))]


def load_alert(database: Database, alert_id: int) -> Alert:
    """Return one alert.

    Raises
    ------
    AlertError
        When there is no alert of that id.
    """
    rows = database.read(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
    if not rows:
        raise AlertError(f"no alert {alert_id}; see 'fov-monitor alerts list --state all'").saying(
            N_("There is no alert %(alert)s."), alert=alert_id
        )
    return Alert.from_row(rows[0])


def alert_events(database: Database, alert_id: int) -> list[AlertEvent]:
    """Return the alert's events, oldest first."""
    rows = database.read(
        "SELECT id, alert_id, at, actor, event, note, detail_json FROM alert_events WHERE alert_id = ? "
        "ORDER BY id",
        (alert_id,),
    )
    return [AlertEvent(r[0], r[1], r[2], r[3], Event(r[4]), r[5], json.loads(r[6])) for r in rows]


def alert_deliveries(database: Database, alert_id: int) -> list[DeliveryState]:
    """Return where each delivery of the alert's events stands, oldest first."""
    rows = database.read(
        "SELECT id, event_id, channel, state, attempts, last_error, sent_at FROM deliveries "
        "WHERE alert_id = ? ORDER BY id",
        (alert_id,),
    )
    return [DeliveryState(*row) for row in rows]


def camera_facts(store: Store, camera_id: str) -> CameraFacts:
    """Return the camera's name, place and permit decision; empty when its files cannot be read.

    A camera whose files are damaged is often the very subject of its alert (problem ``error``):
    the alert is still delivered, with what is known.
    """
    try:
        config = store.camera(camera_id)
    except FovMonitorError as exc:
        log.info("camera %s: no facts for its alert (%s)", camera_id, exc)
        return CameraFacts()
    try:
        stored = store.permit(camera_id)
    except FovMonitorError as exc:
        log.info("camera %s: no permit decision for its alert (%s)", camera_id, exc)
        stored = None
    decision = stored.permit.decision if stored is not None else None
    return CameraFacts(config.name, config.place, decision.reference_number if decision else None)


def camera_group(store: Store, camera_id: str) -> str:
    """Return the camera's group (``default`` when its settings cannot be read)."""
    try:
        return store.camera(camera_id).group
    except FovMonitorError:
        return "default"


def alert_finding(database: Database, alert: Alert) -> Finding:
    """Return the evidence of the alert's latest result.

    An alert without a result (offline, error: no verdict) has its summary as its one reason, the
    message of what failed.
    """
    rows = []
    if alert.last_result_id is not None:
        rows = database.read(
            "SELECT reasons_json, outside_fraction, evidence_path FROM results WHERE id = ?",
            (alert.last_result_id,),
        )
    if not rows:
        return Finding((alert.summary,) if alert.summary else (), None, alert.evidence_path)
    reasons, outside, evidence = rows[0]
    return Finding(read_reasons(reasons), outside, evidence)
