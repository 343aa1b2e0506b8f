"""Alerts: one per camera and problem, opened, updated and closed from scan runs, and reviewed.

:func:`update_alerts` goes through a finished scan run; :mod:`fov_monitor.alerts.review` holds the
reviewers' steps. Each event is written with its deliveries (the outbox, sent by
:mod:`fov_monitor.alerts.outbox`) and an audit line in one transaction.
"""

from fov_monitor.alerts.engine import close_camera_alerts, runs_to_update, update_alerts
from fov_monitor.alerts.model import (
    Alert,
    AlertChanges,
    AlertEvent,
    DeliveryState,
    Event,
    Problem,
    State,
    build_payload,
    idempotency_key,
)
from fov_monitor.alerts.queries import (
    StateFilter,
    alert_deliveries,
    alert_events,
    list_alerts,
    load_alert,
)
from fov_monitor.alerts.review import (
    acknowledge,
    approve_rebaseline,
    dismiss,
    reject_rebaseline,
    resolve,
)
from fov_monitor.alerts.settings import AlertSettings

__all__ = [
    "Alert",
    "AlertChanges",
    "AlertEvent",
    "AlertSettings",
    "DeliveryState",
    "Event",
    "Problem",
    "State",
    "StateFilter",
    "acknowledge",
    "alert_deliveries",
    "alert_events",
    "approve_rebaseline",
    "build_payload",
    "close_camera_alerts",
    "dismiss",
    "idempotency_key",
    "list_alerts",
    "load_alert",
    "reject_rebaseline",
    "resolve",
    "runs_to_update",
    "update_alerts",
]
