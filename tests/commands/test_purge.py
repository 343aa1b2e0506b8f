"""``fov-monitor purge`` deletes what is past its retention or not fov-monitor's, naming each; deploy runs it.

Real files in a real store (copies and evidence named as fov-monitor names them, with the times
written in their names), a real open alert in the results database, and the commands of the
shipped systemd unit and cron line run as they are written.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fov_monitor.alerts import AlertSettings, update_alerts
from fov_monitor.core.result import Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.settings import SETTINGS_FILE, StoreSettings
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.database import raw, sample_result
from tests.support.messages import assert_one_line
from tests.support.paths import REPO

NOW = datetime.now(UTC)
STAMP = "%Y%m%dT%H%M%S.%fZ"


def _named(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime(STAMP)


def _file(path: Path, data: bytes = b"x", age_s: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if age_s:
        moment = NOW.timestamp() - age_s
        os.utime(path, (moment, moment))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    Store(root).init()
    Store(root).add_camera(CameraConfig("cam-1", source=str(tmp_path / "x.png")))
    (root / SETTINGS_FILE).write_text(
        json.dumps({"schema_version": 1, "privacy": {"unblurred_retention_days": 7}}), encoding="utf-8"
    )
    with Database(Store(root).database_path):
        pass
    return root


def _open_alert_on(root: Path, evidence: Path) -> None:
    """Record a scan run that found cam-1 redirected with ``evidence``, and open its alert."""
    store = Store(root)
    with Database(store.database_path) as database:
        at = NOW.isoformat(timespec="seconds")
        run = database.start_scan_run("scan", {}, at)
        record = ScanRecord("scan", sample_result(Status.REDIRECTED), "x.png", str(evidence))
        row = ScanOutcomeRow(run.run_id, "cam-1", at, "redirected", ("moved",), True, None)
        database.record_scan_outcome(row, record)
        database.finish_scan_run(run.run_id, at, "scan", database.scan_counts(run.run_id))
        update_alerts(database, store, run.run_id, AlertSettings(), actor="scan")


def test_purge_deletes_what_is_due_or_unknown_and_names_each(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies, evidence = store / "_unblurred" / "cam-1", store / "_evidence" / "cam-1"
    outside = _file(tmp_path / "outside.png")
    due = {
        _file(copies / f"{_named(8)}.png"): "past 7 days",
        _file(copies / f".{_named(1)}.png.k2j3.tmp", age_s=3600): "not a file fov-monitor keeps",
        _file(copies / "holiday.jpg"): "not a file fov-monitor keeps",
        _file(copies / "older" / f"{_named(1)}.png"): "not a file fov-monitor keeps",
        _file(store / "_unblurred" / f"{_named(1)}.png"): "not a file fov-monitor keeps",
        _file(evidence / f"{_named(91)}-redirected.jpg"): "past 90 days",
        _file(evidence / f"{_named(200)}-tampered-unblurred.jpg"): "past 90 days",
        _file(evidence / "notes.txt"): "not a file fov-monitor keeps",
    }
    link = copies / "link.png"
    link.symlink_to(outside)
    due[link] = "not a file fov-monitor keeps"
    kept = [
        _file(copies / f"{_named(6)}.png"),
        _file(copies / f".{_named(0)}.png.a8d1.tmp"),  # being written: left for the next purge
        _file(evidence / f"{_named(89)}-compliant.jpg"),
        _file(evidence / f"{_named(120)}-zone_exposed.jpg"),  # the open alert's: kept until it closes
    ]
    _open_alert_on(store, kept[-1])

    code, out, err = run_main(capsys, "purge", "--dry-run", "--store", store)
    assert code == 0, err
    assert "6 unblurred copies due for deletion" in out
    assert all(path.exists() for path in due)

    code, out, err = run_main(capsys, "purge", "--store", store)
    assert code == 0, err
    assert "6 unblurred copies deleted" in out
    assert "3 evidence images deleted" in out
    for path, why in due.items():
        assert not os.path.lexists(path), path
        assert re.search(rf"  {re.escape(str(path))}  \(.*{why}", out), (path, out)
    assert all(path.exists() for path in kept)
    assert outside.exists(), "a link is removed, never what it points to"
    audited = {
        action: json.loads(detail)["paths"]
        for action, detail in raw(str(Store(store).database_path), "SELECT action, detail_json FROM audit")
        if "purged" in action
    }
    assert sorted(audited["unblurred copies purged"] + audited["evidence images purged"]) == sorted(
        map(str, due)
    )


def test_the_evidence_retention_is_a_setting_with_a_default(tmp_path: Path) -> None:
    assert StoreSettings(tmp_path).privacy.evidence_retention_days == 90
    (tmp_path / SETTINGS_FILE).write_text(
        json.dumps({"schema_version": 1, "privacy": {"evidence_retention_days": 0}}), encoding="utf-8"
    )
    with pytest.raises(InvalidSettingsError) as caught:
        _ = StoreSettings(tmp_path).privacy
    assert_one_line(caught.value, str(tmp_path / SETTINGS_FILE), "privacy.evidence_retention_days", "1..3650")


def _unit(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def _run_as_deployed(command: list[str], environment: dict[str, str], store: Path) -> str:
    assert command[0] == "/usr/local/bin/fov-monitor"
    env = os.environ | environment | {"FOV_MONITOR_STORE": str(store), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "fov_monitor", *command[1:]],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_deploy_runs_purge_daily_from_systemd_or_cron(store: Path) -> None:
    deploy = REPO / "deploy"
    service, timer = _unit(deploy / "fov-monitor-purge.service"), _unit(deploy / "fov-monitor-purge.timer")
    assert timer["OnCalendar"] == ["*-*-* 04:30:00"]  # daily; the timer starts the service of its name
    assert timer["WantedBy"] == ["timers.target"]
    environment = dict(value.split("=", 1) for value in service["Environment"])
    due = _file(store / "_unblurred" / "cam-1" / f"{_named(30)}.png")
    out = _run_as_deployed(shlex.split(service["ExecStart"][0]), environment, store)
    assert not due.exists()
    assert str(due) in out

    lines = (deploy / "fov-monitor-purge.cron").read_text(encoding="utf-8").splitlines()
    (entry,) = [line for line in lines if line[:1].isdigit()]
    _minute, _hour, day, month, weekday, _user, *command = shlex.split(entry)
    assert (day, month, weekday) == ("*", "*", "*")
    cron_env = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    due = _file(store / "_evidence" / "cam-1" / f"{_named(100)}-redirected.jpg")
    _run_as_deployed(command, cron_env, store)
    assert not due.exists()
