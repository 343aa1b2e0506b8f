"""The web tests' store: two cameras checked once, a user per role, served by the app under test.

:func:`open_alerts` adds a scan run that finds both cameras wrong, and the alerts it opens.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
from fastapi.testclient import TestClient

from fov_monitor.alerts import AlertSettings, update_alerts
from fov_monitor.core.permit import Permit
from fov_monitor.core.result import Status
from fov_monitor.core.synthetic import crop_move
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from fov_monitor.web.accounts import add_user
from fov_monitor.web.app import create_app
from fov_monitor.web.context import system_clock
from fov_monitor.web.roles import Role
from fov_monitor.web.settings import WebSettings
from fov_monitor.workflows.camera_check import check_camera
from tests.support.alert_runs import SETTINGS_JSON
from tests.support.database import sample_result
from tests.support.enrol import enrol_view
from tests.support.images import sample_bgr

PASSWORD = "correct horse battery"
FACE_CAMERA = "cam-face"
"""Its reference is stored unblurred on purpose: what the app serves must be blurred by the app."""
MOVED_CAMERA = "cam-moved"
"""Its live frame is panned 10 % off its reference: redirected."""
ZONE_XY = [(400.0, 400.0), (500.0, 400.0), (500.0, 500.0), (400.0, 500.0)]
"""A privacy zone of the face camera, away from the face."""


@dataclass(frozen=True)
class WebStore:
    """A store made for the web tests, and what is known about it."""

    root: Path
    face_image: np.ndarray


def user_name(role: Role) -> str:
    """Return the name of the test user with ``role``."""
    return f"{role}-user"


def build_store(root: Path) -> WebStore:
    """Enrol the two cameras, check each once (evidence kept), and add one user per role."""
    face = sample_bgr("astronaut")
    move = crop_move(sample_bgr("coffee"), (0.10, 0.0))
    sources = root.parent / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(sources / "face.png"), face)
    cv2.imwrite(str(sources / "moved.png"), move.live)
    store = Store(root)
    store.init()
    enrol_view(store, FACE_CAMERA, str(sources / "face.png"), face, timeout_s=10.0, group="north")
    height, width = face.shape[:2]
    permit = Permit(
        permitted_xy=[(0, 0), (width, 0), (width, height), (0, height)], privacy_zones={"shed": ZONE_XY}
    )
    store.save_permit(FACE_CAMERA, permit, (width, height), "fixture")
    enrol_view(store, MOVED_CAMERA, str(sources / "moved.png"), move.reference, timeout_s=10.0, group="south")
    privacy = StoreSettings(root).privacy
    with Database(store.database_path) as database:
        for camera_id in (FACE_CAMERA, MOVED_CAMERA):
            check_camera(store, database, camera_id, actor="fixture", evidence="always", privacy=privacy)
        for role in Role:
            add_user(database, user_name(role), PASSWORD, role, actor="fixture")
    return WebStore(root, face)


BASE = "https://testserver"  # the session cookie is Secure: the test client must speak https


def app_client(
    root: Path,
    settings: WebSettings | None = None,
    clock: Callable[[], datetime] = system_clock,
    address: str = "testclient",
    retry: RetryPolicy | None = None,
) -> TestClient:
    """Return a test client of the app over the store at ``root`` (enter it to run the app's lifespan).

    ``clock`` is the app's time (sessions, sign-in locks); ``address`` the client's address; ``retry``
    how long a locked database is waited for.
    """
    store = Store(root)
    app = create_app(store, DatabaseLocation.parse(str(store.database_path)), settings, clock, retry)
    return TestClient(app, base_url=BASE, client=(address, 50000))


class FakeClock:
    """An app clock that stands still until a test moves it on: timeouts tested without waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the time on by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def sign_in(client: TestClient, role: Role) -> str:
    """Sign ``client`` in as the user with ``role``; return the CSRF token."""
    response = client.post("/api/session", json={"name": user_name(role), "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def audit_rows(root: Path, action: str) -> list[tuple[str, str | None, dict]]:
    """Return (actor, camera, detail) of every audit line with ``action``."""
    with sqlite3.connect(root / "fov-monitor.sqlite") as connection:
        rows = connection.execute(
            "SELECT actor, camera_id, detail_json FROM audit WHERE action = ? ORDER BY id", (action,)
        ).fetchall()
    return [(actor, camera, json.loads(detail)) for actor, camera, detail in rows]


SCAN_AT = "2026-11-29T02:15:07+00:00"
SCAN_ACTOR = "night-scan"
FOUND = {FACE_CAMERA: "zone_exposed", MOVED_CAMERA: "redirected"}
"""What the scan of :func:`open_alerts` finds: the checks of :func:`build_store` said the same."""


def open_alerts(root: Path) -> dict[str, int]:
    """Record a scan run finding :data:`FOUND`, with the evidence of each camera's check; open its alerts.

    The store gets ``alerts.json`` with two channels (mail for the north group, a log for all), so
    that the alerts have deliveries. Returns camera -> alert id (the face camera's is 1).
    """
    store = Store(root)
    (root / "alerts.json").write_text(json.dumps(SETTINGS_JSON), encoding="utf-8")
    with Database(store.database_path) as database:
        run = database.start_scan_run(SCAN_ACTOR, {}, SCAN_AT)
        for camera_id, outcome in FOUND.items():
            evidence = database.history(camera_id, limit=1)[0].evidence_path
            record = ScanRecord(SCAN_ACTOR, sample_result(Status(outcome)), f"{camera_id}.png", evidence)
            row = ScanOutcomeRow(run.run_id, camera_id, SCAN_AT, outcome, (f"found {outcome}",), True, None)
            database.record_scan_outcome(row, record)
        database.finish_scan_run(run.run_id, SCAN_AT, SCAN_ACTOR, database.scan_counts(run.run_id))
        update_alerts(database, store, run.run_id, AlertSettings.for_store(root), actor=SCAN_ACTOR)
        rows = database.read("SELECT camera_id, id FROM alerts ORDER BY id")
    return {str(camera_id): int(alert_id) for camera_id, alert_id in rows}


__all__ = [
    "BASE",
    "FACE_CAMERA",
    "FOUND",
    "MOVED_CAMERA",
    "PASSWORD",
    "ZONE_XY",
    "FakeClock",
    "WebStore",
    "app_client",
    "audit_rows",
    "build_store",
    "open_alerts",
    "sign_in",
    "user_name",
]
