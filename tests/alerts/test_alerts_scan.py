"""``fov-monitor scan`` updates the alerts at the end of each run, against a real snapshot camera."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fov_monitor.db.database import Database
from fov_monitor.errors import StoreError
from fov_monitor.scan.lock import ScanLock
from tests.support.cli import run_main
from tests.support.database import raw
from tests.support.delivery import SECRET, SECRET_ENV, Receiver, seed, write_settings
from tests.support.enrolled_camera import EnrolledCamera
from tests.support.paths import REPO


def test_scan_opens_updates_and_closes_alerts_and_catches_up_after_the_engine_failed(
    capsys: pytest.CaptureFixture[str], enrolled: tuple[EnrolledCamera, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    camera, root = enrolled
    (root / "alerts.json").write_text(
        json.dumps({"schema_version": 1, "channels": [{"name": "log", "kind": "jsonl", "path": "a.jsonl"}]})
    )
    db = str(root / "fov-monitor.sqlite")
    report = root.parent / "scan.json"

    def scan(view: np.ndarray, seed: int) -> tuple[int, str, str]:
        # A live camera's next grab differs by sensor noise at least (the very same picture is frozen).
        noise = np.random.default_rng(seed).normal(0, 2.0, view.shape)
        camera.server.put(camera.path, np.clip(view + noise, 0, 255).astype(np.uint8))
        return run_main(capsys, "scan", "--store", root, "--workers", "1", "--json", report)

    def broken(*_: object, **__: object) -> None:
        raise StoreError("database unreachable")

    monkeypatch.setattr("fov_monitor.scan.nightly.update_alerts", broken)
    code, out, err = scan(camera.panned, 1)
    assert code == 5
    assert "scan run 1 is recorded but its alerts were not updated (database unreachable)" in err
    assert json.loads(report.read_text())["alerts"] is None
    assert raw(db, "SELECT outcome FROM scan_outcomes WHERE run_id = 1") == [("redirected",)]
    assert raw(db, "SELECT COUNT(*) FROM alerts") == [(0,)]

    monkeypatch.undo()
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    code, out, err = scan(camera.panned, 2)
    assert code == 3, err
    assert "scan run 1: alerts: 1 opened, 0 updated, 0 closed (left over from its scan)" in out
    assert "alerts: 0 opened, 1 updated, 0 closed" in out
    assert json.loads(report.read_text())["alerts"] == {
        "opened": 0,
        "updated": 1,
        "closed": 0,
        "deliveries": 0,
    }
    assert raw(db, "SELECT problem, state, occurrences FROM alerts") == [("redirected", "open", 2)]
    assert raw(db, "SELECT COUNT(*) FROM deliveries") == [(1,)]

    code, out, _ = scan(camera.reference, 3)
    assert code == 0
    assert "alerts: 0 opened, 0 updated, 1 closed" in out
    assert raw(db, "SELECT state FROM alerts") == [("closed",)]
    assert [event for (event,) in raw(db, "SELECT event FROM alert_events ORDER BY id")] == [
        "opened",
        "updated",
        "closed",
    ]
    assert raw(db, "SELECT COUNT(*) FROM deliveries") == [(2,)]


def test_the_scan_sends_only_its_own_deliveries_and_after_its_lock_is_released(
    enrolled: tuple[EnrolledCamera, Path],
) -> None:
    camera, root = enrolled
    receiver = Receiver(hold=True)  # takes the request, then keeps the sender waiting for its answer
    hook = {"name": "hook", "kind": "webhook", "url": receiver.url, "secret_env": SECRET_ENV, "timeout_s": 5}
    write_settings(root, [hook])
    with Database(root / "fov-monitor.sqlite") as database:
        older = seed(database, ["hook"], alerts=3)  # due for the delivery worker, not this scan's
    camera.server.put(camera.path, camera.panned)
    scan = subprocess.Popen(
        [sys.executable, "-m", "fov_monitor", "scan", "--store", str(root), "--workers", "1"],
        env=os.environ | {"PYTHONPATH": str(REPO), SECRET_ENV: SECRET, "FOV_MONITOR_UNBLURRED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.in_flight.wait(120), scan.communicate(timeout=5)
        with ScanLock(root):  # the next scan could start: the lock is not held while sending
            pass
    finally:
        receiver.release.set()
        out, err = scan.communicate(timeout=120)
        receiver.close()
    assert scan.returncode == 3, err
    assert "deliveries: 1 sent" in out
    with Database(root / "fov-monitor.sqlite") as database:
        tried = dict(database.read("SELECT idempotency_key, attempts FROM deliveries"))
    assert [tried[key] for key in older] == [0, 0, 0], "the other due deliveries are left to the worker"
    assert list(receiver.processed) == [key for key in tried if key not in older]
