"""Every command that changes the store writes its audit line first, then the files, all or nothing.

The faults are real: a SQLite database whose triggers refuse a write (as a locked, full or broken
database does, but at once), and a store on a full disk (a 1 MiB tmpfs, mounted in a private mount
namespace by util-linux's ``unshare``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from fov_monitor.alerts import update_alerts
from fov_monitor.alerts.queries import StateFilter, list_alerts
from fov_monitor.db.database import Database
from fov_monitor.store.store import Store
from tests.support.alert_runs import SETTINGS, SETTINGS_JSON, record_run
from tests.support.cli import assert_cli_error, run_main
from tests.support.database import raw
from tests.support.enrolled_camera import EnrolledCamera
from tests.support.paths import REPO

Cli = Callable[..., tuple[int, str, str]]

CHANGES = {
    "permit-set": ["permit", "set", "cam-a", "--zone", "door=10,10 60,10 60,60"],
    "camera-add": ["camera", "add", "cam-new", "--source", "new.jpg"],
    "camera-edit": ["camera", "edit", "cam-a", "--place", "Pier 9"],
    "camera-remove": ["camera", "remove", "cam-a"],
    "reference-capture": ["reference", "capture", "cam-a", "--label", "night", "--from", "{view}"],
}
"""Each command that changes a camera's folder, as the technician types it ({view}: an image file)."""


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "tess")
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")  # faces are not what this is about
    return lambda *args: run_main(capsys, *args)


@pytest.fixture
def store(enrolled: tuple[EnrolledCamera, Path], tmp_path: Path) -> Path:
    """The enrolled store (cam-a), and its view as an image file beside it."""
    camera, root = enrolled
    cv2.imwrite(str(tmp_path / "view.png"), camera.reference)
    return root


def camera_files(store: Path) -> dict[str, bytes]:
    """Every file of the store but the database's: what a refused change must leave as it was."""
    return {
        str(path.relative_to(store)): path.read_bytes()
        for path in sorted(store.rglob("*"))
        if path.is_file() and not path.name.startswith("fov-monitor.sqlite")
    }


def actions(store: Path) -> list[str]:
    """Return the audit log's actions, oldest first."""
    return [
        action for (action,) in raw(str(store / "fov-monitor.sqlite"), "SELECT action FROM audit ORDER BY id")
    ]


def refuse(store: Path, table: str, when: str = "INSERT") -> None:
    """Make the database refuse every ``when`` on ``table`` (a trigger: the database's own refusal)."""
    raw(
        str(store / "fov-monitor.sqlite"),
        f"CREATE TRIGGER refuse_{table} BEFORE {when} ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )


def consent(store: Path, table: str) -> None:
    raw(str(store / "fov-monitor.sqlite"), f"DROP TRIGGER refuse_{table}")


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_database_that_refuses_the_audit_line_leaves_the_store_unchanged(
    cli: Cli, store: Path, tmp_path: Path, change: str
) -> None:
    command = [arg.format(view=tmp_path / "view.png") for arg in CHANGES[change]]
    refuse(store, "audit")
    before = camera_files(store)
    assert_cli_error(cli(*command, "--store", store), "refused the write", "nothing was")
    assert camera_files(store) == before
    consent(store, "audit")
    code, _, err = cli(*command, "--store", store)  # the retry does it: nothing was left half done
    assert code == 0, err
    assert camera_files(store) != before


def test_removing_a_camera_closes_its_open_alert_or_removes_nothing(cli: Cli, store: Path) -> None:
    (store / "alerts.json").write_text(json.dumps(SETTINGS_JSON))
    with Database(store / "fov-monitor.sqlite") as database:
        for _ in range(3):
            update_alerts(database, Store(store), record_run(database, {"cam-a": "redirected"}), SETTINGS)
        [alert] = list_alerts(database, StateFilter.ACTIVE)
    refuse(store, "alerts", "UPDATE")  # the alert cannot be closed
    before = camera_files(store)
    assert_cli_error(cli("camera", "remove", "cam-a", "--store", store), "refused the write")
    # The camera stays, with its alert: a removed camera's alert would stay open for good.
    assert camera_files(store) == before
    assert actions(store)[-2:] == ["camera removed", "store change failed"]
    consent(store, "alerts")
    code, out, err = cli("camera", "remove", "cam-a", "--store", store)
    assert code == 0, err
    assert "closed its 1 active alert(s)" in out
    assert raw(
        str(store / "fov-monitor.sqlite"), "SELECT state FROM alerts WHERE id = ?", (alert.alert_id,)
    ) == [("closed",)]


def test_an_enrolment_cut_short_does_not_take_the_camera_id(cli: Cli, store: Path) -> None:
    (store / "cam-new" / "references").mkdir(parents=True)  # what a crash after the first mkdir leaves
    code, _, err = cli("camera", "add", "cam-new", "--source", "new.jpg", "--store", store)
    assert code == 0, err
    assert json.loads((store / "cam-new" / "camera.json").read_text())["source"] == "new.jpg"


# Run inside the private mount namespace, by one interpreter: each change on the full disk, first
# with the database on it too, then with the database elsewhere. Prints what each did.
_ON_A_FULL_DISK = """
import contextlib, hashlib, io, json, sys
from pathlib import Path
from fov_monitor.cli import main

store, elsewhere, changes = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])

def files():
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(store.rglob("*"))
            if p.is_file() and not p.name.startswith("fov-monitor.sqlite")}

done = []
for database in (None, elsewhere):
    for name, command in changes.items():
        before, err = files(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([*command, "--store", str(store), *(["--db", database] if database else [])])
        done.append({"change": name, "database": database, "code": code, "err": err.getvalue(),
                     "unchanged": files() == before})
print(json.dumps(done))
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare for a private tmpfs")
def test_a_full_disk_changes_nothing_and_is_called_a_full_disk(store: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    elsewhere = tmp_path / "elsewhere.sqlite"
    shutil.copy(store / "fov-monitor.sqlite", elsewhere)
    changes = {
        name: [arg.format(view=tmp_path / "view.png") for arg in args] for name, args in CHANGES.items()
    }
    del changes["camera-remove"]  # a rename needs no space: on a full disk it is done, and rightly
    script = (
        f"mount -t tmpfs -o size=1m fov-full {disk} || exit 99; cp -r {store} {disk}/store; "
        f"dd if=/dev/zero of={disk}/filler bs=4k 2>/dev/null; "
        f'exec "$@"'
    )
    namespace = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user"]
    env = {**os.environ, "FOV_MONITOR_UNBLURRED": "1", "FOV_MONITOR_ACTOR": "tess", "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-c",
        _ON_A_FULL_DISK,
        str(disk / "store"),
        str(elsewhere),
        json.dumps(changes),
    ]
    ran = subprocess.run(
        [*namespace, "sh", "-c", script, "full", *command],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if ran.returncode == 99:
        pytest.skip(f"this kernel refuses a private tmpfs mount: {ran.stderr.strip()}")
    assert ran.returncode == 0, ran.stderr
    done = json.loads(ran.stdout)
    for change in done:
        assert change["code"] == 1, change
        assert change["unchanged"], change
        [line] = change["err"].strip().splitlines()[-1:]
        assert line.startswith("error: "), change
        if change["database"] is None:  # the audit line cannot be written: said so, not "damaged"
            assert "the disk holding it is full" in line, line
            assert "backup" not in line, line
        else:  # the line was written, the files could not be: undone, and the log says so
            assert "No space left on device" in line, line
    logged = [action for (action,) in raw(str(elsewhere), "SELECT action FROM audit ORDER BY id")][-9:]
    assert logged == [
        "permit set", "store change failed", "camera added", "store change failed",
        "camera edited", "store change failed",
        "face blurring turned off",  # FOV_MONITOR_UNBLURRED=1: said before the first image is written
        "reference captured", "store change failed",
    ]  # fmt: skip
