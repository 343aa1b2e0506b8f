"""Scan runs written straight through the database API, for the alert tests and the benchmark."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from fov_monitor.alerts import AlertChanges, update_alerts
from fov_monitor.alerts.settings import (
    AlertSettings,
    ChannelKind,
    JsonlChannelSettings,
    SmtpChannelSettings,
    Thresholds,
)
from fov_monitor.core.result import CheckResult, Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.database import raw, sample_result

AT = "2026-11-29T02:15:07+00:00"
ACTOR = "night-scan"
REASONS = {
    "compliant": "the view is inside the permit",
    "redirected": "11.9% of the view is outside the permit",
    "zone_exposed": "privacy zone 'school' is visible",
    "tampered": "the lens is covered",
    "unverifiable": "too dark to verify",
    "offline": "no answer within 1 s",
    "error": "no permit set",
}
CHANNELS = (
    SmtpChannelSettings(
        name="ops-mail",
        kind=ChannelKind.SMTP,
        groups=("north",),
        host="smtp.example",
        from_address="fov-monitor@example.org",
        to=("reviewers@example.org",),
    ),
    JsonlChannelSettings(name="log", kind=ChannelKind.JSONL, path=Path("alerts.jsonl")),
)
SETTINGS = AlertSettings(Thresholds(3, 2, 2), channels=CHANNELS)
"""Two channels: mail for the north group only, a log for every group."""


@functools.cache
def _result(status: Status) -> CheckResult:
    return sample_result(status)


def record_run(database: Database, outcomes: Mapping[str, str], at: str = AT) -> int:
    """Write one finished scan run with ``camera -> outcome`` (a result for each verdict); return its id."""
    run = database.start_scan_run(ACTOR, {}, at)
    for camera_id, outcome in outcomes.items():
        verdict = outcome not in ("offline", "error")
        record = ScanRecord(
            ACTOR,
            _result(Status(outcome)) if verdict else None,
            f"http://{camera_id}/snapshot.jpg",
            f"/evidence/{camera_id}.jpg" if verdict and outcome != "compliant" else None,
        )
        row = ScanOutcomeRow(run.run_id, camera_id, at, outcome, (REASONS[outcome],), verdict, None)
        database.record_scan_outcome(row, record)
    database.finish_scan_run(run.run_id, at, ACTOR, database.scan_counts(run.run_id))
    return run.run_id


def scan_and_alert(
    database: Database, store: Store, outcomes: Mapping[str, str], settings: AlertSettings = SETTINGS
) -> AlertChanges:
    """Record a run and let the engine go through it."""
    run_id = record_run(database, outcomes)
    return update_alerts(database, store, run_id, settings, actor=ACTOR)


SETTINGS_JSON = {
    "schema_version": 1,
    "thresholds": {"offline_after_scans": 3, "unverifiable_after_scans": 2, "error_after_scans": 2},
    "channels": [
        {
            "name": "ops-mail",
            "kind": "smtp",
            "host": "smtp.example",
            "from": "fov-monitor@example.org",
            "to": ["reviewers@example.org"],
            "groups": ["north"],
        },
        {"name": "log", "kind": "jsonl", "path": "alerts.jsonl"},
    ],
}
"""SETTINGS as ``<store>/alerts.json``."""


def make_store(root: Path, groups: Mapping[str, str]) -> Store:
    """Return a store with ``camera -> group`` enrolled and SETTINGS in its alerts.json (no references)."""
    store = Store(root)
    store.init()
    (root / "alerts.json").write_text(json.dumps(SETTINGS_JSON), encoding="utf-8")
    for camera_id, group in groups.items():
        store.add_camera(
            CameraConfig(
                camera_id,
                source=f"http://{camera_id}/snapshot.jpg",
                name=camera_id.upper(),
                place="quay 3",
                group=group,
            )
        )
    return store


def counts(location: str) -> dict[str, int]:
    """Return the rows of the alert tables."""
    tables = ("alerts", "alert_events", "deliveries")
    return {table: int(raw(location, f"SELECT COUNT(*) FROM {table}")[0][0]) for table in tables}
