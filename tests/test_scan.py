"""The nightly scan end to end on this machine: the 20-camera fleet of ``fleet.py``, a real store."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import REPO, run_main
from fleet import (
    EVERY,
    EXPECTED,
    GARBAGE,
    MOVED,
    MOVED_ONCE,
    NO_PERMIT,
    NORMAL,
    SILENT,
    Fleet,
    outcomes,
    serve_fleet,
)

from fov_monitor.permit import Decision
from fov_monitor.scan import ScanLock, is_due
from fov_monitor.store import Store

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def fleet_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """Enrol and serve the 20 cameras once per module."""
    with serve_fleet(tmp_path_factory.mktemp("fleet") / "store") as fleet:
        yield fleet


@pytest.fixture
def fleet(fleet_template: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fleet's store."""
    # Face blurring of the evidence images costs seconds per scan and is tested elsewhere.
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "night-scan")
    return fleet_template.copy(tmp_path / "store")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_main(capsys, *args)


def test_scan_records_every_camera_once_by_status_and_exits_three(cli: Cli, fleet: Path) -> None:
    report = fleet.parent / "scan.json"
    code, out, err = cli("scan", "--store", fleet, "--concurrency", "8", "--workers", "2", "--json", report)
    assert code == 3, (out, err)
    found = outcomes(fleet)
    assert found == EXPECTED
    by_status = {camera: outcome for camera, (outcome, _) in found.items()}
    assert {by_status[c] for c in NORMAL} == {"compliant"}
    assert {by_status[c] for c in MOVED} == {"redirected"}
    assert {by_status[c] for c in [*SILENT, GARBAGE]} == {"offline"}
    assert by_status[NO_PERMIT] == "error"
    # The passing bus: moved on the first frame, as enrolled on the second; only the second counts.
    assert found[MOVED_ONCE] == ("compliant", 1)
    assert {found[c][1] for c in MOVED} == {1}
    assert {found[c][1] for c in NORMAL} == {0}
    document = json.loads(report.read_text())
    assert document["counts"] == {"compliant": 13, "redirected": 3, "offline": 3, "error": 1}
    assert document["exit_code"] == 3
    reasons = {row["camera_id"]: row["reason"] for row in document["cameras"]}
    assert "within 1 s" in reasons[SILENT[0]]
    assert "no permit" in reasons[NO_PERMIT]
    assert "\n" not in "".join(reasons.values())
    assert re.search(r"^cam-12 +redirected +yes ", out, re.MULTILINE)  # the summary table
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        results = connection.execute("SELECT camera_id, status, evidence_path FROM results").fetchall()
        audit = connection.execute(
            "SELECT detail_json FROM audit WHERE action = 'check' AND camera_id = ?", (MOVED_ONCE,)
        ).fetchall()
    assert len(results) == 16  # a verdict each; offline and error cameras have none
    assert all(Path(evidence).is_file() for camera, _, evidence in results if camera in MOVED)
    assert json.loads(audit[0][0])["first_status"] == "redirected"


def test_scan_killed_with_sigkill_resumes_without_duplicates(cli: Cli, fleet: Path) -> None:
    command = [sys.executable, "-m", "fov_monitor", "scan", "--store", str(fleet)]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    scan = subprocess.Popen(
        [*command, "--concurrency", "1", "--workers", "1"], stdout=subprocess.PIPE, text=True, env=env
    )
    assert scan.stdout is not None
    progress = 0
    for line in scan.stdout:
        progress += line.startswith("[")
        if progress == 4:
            break
    scan.send_signal(signal.SIGKILL)
    scan.wait(timeout=30)
    first = outcomes(fleet)
    assert 4 <= len(first) < len(EVERY)
    code, out, _ = cli("scan", "--store", fleet)
    assert code == 3
    assert out.startswith("resuming scan run 1 of ")
    assert set(outcomes(fleet, 1)) == set(EVERY)
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        per_camera = connection.execute(
            "SELECT camera_id, COUNT(*) FROM results WHERE run_id = 1 GROUP BY camera_id"
        ).fetchall()
        runs = connection.execute("SELECT id, finished_at IS NOT NULL FROM scan_runs").fetchall()
    assert {count for _, count in per_camera} == {1}, outcomes(fleet, 1)
    assert len(per_camera) == 16, outcomes(fleet, 1)
    assert runs == [(1, 1)]


def test_second_scan_while_one_holds_the_lock_exits_six_naming_the_pid(cli: Cli, fleet: Path) -> None:
    with ScanLock(fleet):
        code, _out, err = cli("scan", "--store", fleet)
    assert code == 6
    assert err == (
        f"error: another scan (pid {os.getpid()}) is running on this store ({fleet / '.scan.lock'}); "
        "wait for it to finish, or stop that process\n"
    )
    assert not (fleet / "fov-monitor.sqlite").exists() or outcomes(fleet) == {}


@pytest.mark.parametrize(
    ("cameras", "code"),
    [
        (NORMAL[:3], 0),
        ([NORMAL[0], GARBAGE], 4),
        ([NORMAL[0], NO_PERMIT], 4),
        ([NORMAL[0], MOVED[0], SILENT[0]], 3),
    ],
)
def test_exit_code_says_the_worst_outcome(cli: Cli, fleet: Path, cameras: list[str], code: int) -> None:
    assert cli("scan", "--store", fleet, "--cameras", *cameras, "--workers", "1")[0] == code
    assert set(outcomes(fleet)) == set(cameras)


def test_unfinished_run_with_other_options_is_not_resumed_silently(cli: Cli, fleet: Path) -> None:
    assert cli("scan", "--store", fleet, "--cameras", NORMAL[0], "--workers", "1")[0] == 0
    with sqlite3.connect(fleet / "fov-monitor.sqlite") as connection:
        connection.execute("UPDATE scan_runs SET finished_at = NULL")
    code, _, err = cli("scan", "--store", fleet, "--cameras", NORMAL[1])
    assert code == 1
    assert "scan run 1" in err
    assert "--new" in err
    assert cli("scan", "--store", fleet, "--cameras", NORMAL[1], "--new", "--workers", "1")[0] == 0
    assert set(outcomes(fleet)) == {NORMAL[1]}


def test_unknown_camera_is_a_usage_error_before_any_run(cli: Cli, fleet: Path) -> None:
    code, _, err = cli("scan", "--store", fleet, "--cameras", "cam-99")
    assert code == 1
    assert "cam-99" in err


@pytest.mark.parametrize(
    ("hours", "clock", "due"),
    [
        ((), "12:00", True),
        (("22:00-06:00",), "23:30", True),
        (("22:00-06:00",), "05:59", True),
        (("22:00-06:00",), "06:00", False),
        (("22:00-06:00",), "12:00", False),
        (("08:00-12:00", "14:00-18:00"), "13:00", False),
        (("08:00-12:00", "14:00-18:00"), "14:00", True),
        (("00:00-24:00",), "23:59", True),
    ],
)
def test_permitted_hours_say_when_a_camera_is_due(hours: tuple[str, ...], clock: str, due: bool) -> None:
    hour, minute = (int(part) for part in clock.split(":"))
    assert Decision("KS-1", permitted_hours=hours).permits_filming_at(hour * 60 + minute) is due


def test_due_scans_only_cameras_permitted_to_film_now(cli: Cli, fleet: Path) -> None:
    store = Store(fleet)
    now = datetime.now().astimezone()
    later = f"{(now.hour + 2) % 24:02d}:00-{(now.hour + 3) % 24:02d}:00"
    stored = store.permit(NORMAL[1])
    assert stored is not None
    off_hours = dataclasses.replace(stored.permit, decision=Decision("KS-9", permitted_hours=(later,)))
    store.save_permit(NORMAL[1], off_hours, stored.reference_size, "tess")
    assert is_due(store, NORMAL[0], now)  # no decision: always due
    assert not is_due(store, NORMAL[1], now)
    assert cli("scan", "--store", fleet, "--due", "--cameras", *NORMAL[:2], "--workers", "1")[0] == 0
    assert set(outcomes(fleet)) == {NORMAL[0]}
