"""The nightly scan end to end on this machine: the 20-camera fleet of ``fleet.py``, a real store."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from fov_monitor.core.permit import Decision
from fov_monitor.db.database import Database
from fov_monitor.scan import ScanLock, is_due
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.database import raw
from tests.support.fleet import (
    EVERY,
    EXPECTED,
    GARBAGE,
    MOVED,
    MOVED_ONCE,
    NO_PERMIT,
    NORMAL,
    SILENT,
    wait_for_progress,
)
from tests.support.paths import REPO
from tests.support.postgres_server import PASSWORD
from tests.support.processes import in_session, kill, wait_until_gone

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return lambda *args: run_main(capsys, *args)


@dataclass(frozen=True)
class Results:
    """Where a scan test's results go: the store's own SQLite file, or a PostgreSQL database (``--db``)."""

    url: str | None = None

    def args(self) -> list[str]:
        return [] if self.url is None else ["--db", self.url]

    def where(self, store: Path) -> str:
        return self.url or str(store / "fov-monitor.sqlite")


@pytest.fixture(params=["sqlite", "postgresql"])
def results(request: pytest.FixtureRequest) -> Results:
    """Each scan test runs on the default SQLite file and on a PostgreSQL database given by ``--db``."""
    return Results(None if request.param == "sqlite" else request.getfixturevalue("postgres_url"))


def outcomes(
    store: Path, run_id: int | None = None, results: Results = Results()
) -> dict[str, tuple[str, int]]:
    """Return camera -> (outcome, rechecked) of a run (the latest when None)."""
    where = results.where(store)
    if run_id is None:
        run_id = raw(where, "SELECT MAX(id) FROM scan_runs")[0][0]
    rows = raw(where, "SELECT camera_id, outcome, rechecked FROM scan_outcomes WHERE run_id = ?", (run_id,))
    return {camera: (outcome, rechecked) for camera, outcome, rechecked in rows}


def test_scan_records_every_camera_once_by_status_and_exits_three(
    cli: Cli, fleet: Path, results: Results
) -> None:
    report = fleet.parent / "scan.json"
    code, out, err = cli(
        "scan", "--store", fleet, *results.args(), "--concurrency", "8", "--workers", "2", "--json", report
    )
    assert code == 3, (out, err)
    found = outcomes(fleet, results=results)
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
    verdicts = raw(results.where(fleet), "SELECT camera_id, status, evidence_path FROM results")
    audit = raw(
        results.where(fleet),
        "SELECT detail_json FROM audit WHERE action = 'check' AND camera_id = ?",
        (MOVED_ONCE,),
    )
    assert len(verdicts) == 16  # a verdict each; offline and error cameras have none
    assert all(Path(evidence).is_file() for camera, _, evidence in verdicts if camera in MOVED)
    assert (fleet / "fov-monitor.sqlite").exists() is (results.url is None)
    assert json.loads(audit[0][0])["first_status"] == "redirected"


def test_scan_killed_with_sigkill_resumes_without_duplicates(cli: Cli, fleet: Path, results: Results) -> None:
    command = [sys.executable, "-m", "fov_monitor", "scan", "--store", str(fleet), *results.args()]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    scan = subprocess.Popen(
        [*command, "--concurrency", "1", "--workers", "1"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its fork server, worker and resource tracker share its session
    )
    wait_for_progress(scan, 4)
    assert len(in_session(scan.pid)) >= 3  # the scan, a worker and the fork server at least
    scan.send_signal(signal.SIGKILL)
    scan.wait(timeout=30)
    # Nothing of the killed scan lives on: its worker sees it gone, then the fork server and the
    # resource tracker see their last user go.
    left = wait_until_gone(lambda: in_session(scan.pid), timeout_s=10.0)
    kill(left)
    assert left == []
    first = outcomes(fleet, results=results)
    assert 4 <= len(first) < len(EVERY)
    code, out, _ = cli("scan", "--store", fleet, *results.args())
    assert code == 3
    assert out.startswith("resuming scan run 1 of ")
    assert set(outcomes(fleet, 1, results)) == set(EVERY)
    where = results.where(fleet)
    per_camera = raw(where, "SELECT camera_id, COUNT(*) FROM results WHERE run_id = 1 GROUP BY camera_id")
    runs = raw(where, "SELECT id, CASE WHEN finished_at IS NULL THEN 0 ELSE 1 END FROM scan_runs")
    assert {count for _, count in per_camera} == {1}, outcomes(fleet, 1, results)
    assert len(per_camera) == 16, outcomes(fleet, 1, results)
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


def test_scans_of_two_machines_sharing_a_postgres_database_run_one_at_a_time(
    cli: Cli, fleet: Path, tmp_path: Path, postgres_url: str
) -> None:
    other_machine = tmp_path / "other-store"  # its own store, so its own flock: only the database is shared
    shutil.copytree(fleet, other_machine)
    with Database(postgres_url) as database, database.scan_lock():
        code, out, err = cli("scan", "--store", other_machine, "--db", postgres_url)
    assert code == 6
    assert err.startswith(f"error: another scan (fov-monitor on {socket.gethostname()} pid {os.getpid()}")
    assert postgres_url.replace(PASSWORD, "***") in err
    assert PASSWORD not in out + err
    assert raw(postgres_url, "SELECT COUNT(*) FROM scan_runs") == [(0,)]
    assert cli("scan", "--store", other_machine, "--db", postgres_url, "--cameras", NORMAL[0])[0] == 0


@pytest.mark.parametrize(
    ("cameras", "code"),
    [
        (NORMAL[:3], 0),
        ([NORMAL[0], GARBAGE], 4),
        ([NORMAL[0], NO_PERMIT], 4),
        ([NORMAL[0], MOVED[0], SILENT[0]], 3),
    ],
)
def test_exit_code_says_the_worst_outcome(
    cli: Cli, fleet: Path, results: Results, cameras: list[str], code: int
) -> None:
    assert cli("scan", "--store", fleet, *results.args(), "--cameras", *cameras, "--workers", "1")[0] == code
    assert set(outcomes(fleet, results=results)) == set(cameras)


def test_unfinished_run_with_other_options_is_not_resumed_silently(
    cli: Cli, fleet: Path, results: Results
) -> None:
    db = results.args()
    assert cli("scan", "--store", fleet, *db, "--cameras", NORMAL[0], "--workers", "1")[0] == 0
    raw(results.where(fleet), "UPDATE scan_runs SET finished_at = NULL")
    code, _, err = cli("scan", "--store", fleet, *db, "--cameras", NORMAL[1])
    assert code == 1
    assert "scan run 1" in err
    assert "--new" in err
    assert cli("scan", "--store", fleet, *db, "--cameras", NORMAL[1], "--new", "--workers", "1")[0] == 0
    assert set(outcomes(fleet, results=results)) == {NORMAL[1]}


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
