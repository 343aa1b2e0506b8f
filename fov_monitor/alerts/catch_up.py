"""A channel added to ``alerts.json`` is told, once, of the alerts that were open before it existed.

Without this, its reviewers would first hear of such an alert when it closes: a ``closed`` mail about
an alert nobody announced to them. Each active alert routed to a channel that has no delivery of it
yet gets one delivery of its ``opened`` event there, marked ``"catch_up": true`` in the payload and
telling the alert as it is now (its state, its latest finding). The channel then has a delivery of
the alert, so the catch-up is never repeated; its later events reach the channel as usual. The same
holds for a channel whose ``groups`` now take a group they did not, and for the channels of a store
that had none when its alerts opened.
"""

from __future__ import annotations

import logging

from fov_monitor.alerts.events import queue_delivery
from fov_monitor.alerts.model import ALERT_COLUMNS, Alert, Event, build_payload
from fov_monitor.alerts.queries import alert_finding, camera_facts
from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.store.store import Store, now_utc

log = logging.getLogger(__name__)


def announce_to_new_channels(
    database: Database, store: Store, settings: AlertSettings, *, at: str | None = None
) -> int:
    """Write a catch-up delivery of every active alert to each routed channel that never had one of it.

    Parameters
    ----------
    database, store : Database, Store
        The alerts and the outbox; the cameras (name, place, permit) the payloads tell of.
    settings : AlertSettings
        The channels, and the groups each takes.
    at : str, optional
        When the deliveries are written (ISO 8601 UTC; default now): they are due from then.

    Returns
    -------
    int
        The deliveries written (0 once every channel knows every active alert).
    """
    at = at or now_utc()
    written = 0
    for channel in settings.channels:
        unknown = [
            alert
            for alert in _active_alerts_without(database, channel.name)
            if channel.takes(alert.camera_group)
        ]
        written += sum(_announce(database, store, alert, channel.name, at) for alert in unknown)
    if written:
        log.info("%d open alert(s) announced late to channels added after they opened", written)
    return written


def _active_alerts_without(database: Database, channel: str) -> list[Alert]:
    """Return the active alerts of which ``channel`` has no delivery at all, oldest first."""
    rows = database.read(
        f"SELECT {ALERT_COLUMNS} FROM alerts WHERE closed_at IS NULL "
        "AND id NOT IN (SELECT alert_id FROM deliveries WHERE channel = ?) ORDER BY id",
        (channel,),
    )
    return [Alert.from_row(row) for row in rows]


def _announce(database: Database, store: Store, alert: Alert, channel: str, at: str) -> int:
    """Write the catch-up delivery of one alert to one channel; return 1, or 0 when one was there."""
    opened = database.read(
        "SELECT id FROM alert_events WHERE alert_id = ? AND event = ? ORDER BY id LIMIT 1",
        (alert.alert_id, Event.OPENED.value),
    )
    if not opened:
        return 0
    event_id = int(opened[0][0])
    payload = build_payload(
        alert,
        Event.OPENED,
        event_id,
        alert.opened_at,
        channel,
        camera_facts(store, alert.camera_id),
        alert_finding(database, alert),
    ) | {"catch_up": True}

    def insert(transaction: Transaction) -> int:
        # Another sender catching up at the same moment wrote the same key: nothing more is written.
        return int(queue_delivery(transaction, alert.alert_id, event_id, channel, payload, at))

    return database.write(insert)


__all__ = ["announce_to_new_channels"]
