"""Write one alert event with its deliveries and its audit line, inside the caller's transaction.

The outbox pattern: a delivery row exists exactly when its event does, so a crash between the two
cannot lose a message nor send one for an event that was rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fov_monitor.alerts.model import Alert, CameraFacts, Event, Finding, build_payload, idempotency_key
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import append_audit


def record_event(
    transaction: Transaction,
    alert: Alert,
    event: Event,
    *,
    actor: str,
    at: str,
    note: str = "",
    detail: Mapping[str, Any] | None = None,
    channels: Sequence[str] = (),
    camera: CameraFacts | None = None,
    finding: Finding | None = None,
) -> int:
    """Insert the event, a pending delivery per channel when the event is delivered, and an audit line.

    Parameters
    ----------
    transaction : Transaction
        The caller's transaction, which also holds the alert's own change.
    alert : Alert
        The alert as it is after the event.
    event : Event
    actor, at : str
        Who, and when (ISO 8601 UTC).
    note : str
        The reviewer's note.
    detail : mapping, optional
        More about the event, stored as JSON.
    channels : sequence of str
        The channels the alert's group is routed to (used only for delivered events).
    camera, finding : CameraFacts, Finding, optional
        What the payload tells (needed only for delivered events).

    Returns
    -------
    int
        The number of deliveries written.
    """
    extra = dict(detail or {})
    event_id = transaction.insert(
        "INSERT INTO alert_events (alert_id, at, actor, event, note, detail_json) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (alert.alert_id, at, actor, str(event), note, json.dumps(extra, default=str)),
    )
    written = 0
    if event.delivered:
        for channel in channels:
            payload = build_payload(
                alert,
                event,
                event_id,
                at,
                channel,
                camera or CameraFacts(),
                finding or Finding((alert.summary,), None, alert.evidence_path),
                note,
            )
            written += queue_delivery(transaction, alert.alert_id, event_id, channel, payload, at)
    audit = {
        "alert_id": alert.alert_id,
        "event_id": event_id,
        "problem": str(alert.problem),
        "state": str(alert.state),
        "note": note,
        "deliveries": written,
        **extra,
    }
    append_audit(transaction, at, actor, event.audit_action, alert.camera_id, audit)
    return written


def queue_delivery(
    transaction: Transaction, alert_id: int, event_id: int, channel: str, payload: dict[str, Any], at: str
) -> bool:
    """Put one delivery of an event to a channel in the outbox, due at ``at``.

    Returns
    -------
    bool
        False when the outbox holds it already (its idempotency key: another sender wrote it).
    """
    key = idempotency_key(alert_id, event_id, channel)
    row = transaction.fetchone(
        "INSERT INTO deliveries (alert_id, event_id, channel, idempotency_key, payload_json, state, "
        "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        (alert_id, event_id, channel, key, json.dumps(payload), at, at),
    )
    return row is not None
