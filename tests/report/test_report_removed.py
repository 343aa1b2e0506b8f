"""A camera removed during the year keeps its year in the yearly report; the register leaves it out.

Three cameras, 30 nights from 1 March 2026 (tests/support/report_history.py); cam-b was redirected
for five nights, then removed with ``fov-monitor camera remove`` (its folder kept under ``.removed/``).
Without it the report would say the year was 100% compliant with no deviation.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from fov_monitor.cli import main
from fov_monitor.db.database import Database
from fov_monitor.report.removed import removed_cameras
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.images import sample_bgr
from tests.support.report_history import make_store, troubles_of, write_alerts, write_scans

START = date(2026, 3, 1)
C, R = "compliant", "redirected"
SCHEDULE = {
    "cam-a": [C] * 30,
    "cam-b": [C] * 10 + [R] * 5 + [C] * 15,
    "cam-c": [C] * 30,
}
GROUPS = {"cam-a": "north", "cam-b": "north", "cam-c": "south"}
REMOVED_ON = "2026-04-15"
KEPT = f"cam-b-{REMOVED_ON.replace('-', '')}T120000.000000Z"
"""cam-b's kept folder, renamed as if removed at noon UTC on 15 April 2026 (a day the test can name)."""


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store after ``fov-monitor camera remove cam-b``; each camera's alerts in its own group."""
    store = make_store(tmp_path_factory.mktemp("removed") / "store", GROUPS, sample_bgr("astronaut"))
    with Database(store.database_path) as database:
        write_scans(database, SCHEDULE, START)
        for camera_id, group in GROUPS.items():
            write_alerts(database, troubles_of({camera_id: SCHEDULE[camera_id]}), START, group)
    assert main(["--store", str(store.root), "camera", "remove", "cam-b"]) == 0
    (kept,) = (store.root / ".removed").iterdir()
    kept.rename(kept.with_name(KEPT))
    return store.root


def _yearly(capsys: pytest.CaptureFixture[str], store: Path, out: Path, *options: str) -> str:
    code, printed, errors = run_main(
        capsys, "--store", store, "report", "yearly", "--year", "2026", *options, "--out", out
    )
    assert code == 0, errors
    return printed


def _csv_rows(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "figures.csv").read_text(encoding="utf-8-sig")
    return {row["camera_id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_removed_camera_keeps_its_year_in_the_report(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "yearly"
    assert "report of 3 cameras" in _yearly(capsys, store_root, out)
    assert sorted(p.stem for p in (out / "cameras").iterdir()) == ["cam-a", "cam-b", "cam-c"]
    page = (out / "cameras" / "cam-b.html").read_text(encoding="utf-8")
    for text in (f"Removed on {REMOVED_ON}.", "group north", "KS-2026-002", "2026-03-11 02:15", "120 h"):
        assert text in page, text
    assert page.count("<img") == 2  # the drawing from the kept reference, the timeline
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f"removed on {REMOVED_ON}" in index
    assert "including 1 removed from the store" in index
    document = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    totals = document["totals"]
    assert (totals["cameras"], totals["checks"], totals["deviations"]) == (3, 90, 1)
    assert totals["share_compliant"] == pytest.approx(85 / 90)
    assert totals["median_time_to_fix_h"] == pytest.approx(120.0)
    assert totals["removed_cameras"] == 1
    cam_b = next(c for c in document["cameras"] if c["camera_id"] == "cam-b")
    assert cam_b["removal"] == {"on": REMOVED_ON, "settings_kept": True}
    assert (cam_b["checks"], cam_b["days_non_compliant"], len(cam_b["deviations"])) == (30, 5, 1)
    rows = _csv_rows(out)
    removed, kept = rows["cam-b"], rows["cam-a"]
    assert (removed["removed_on"], removed["settings_kept"], removed["group"]) == (
        REMOVED_ON,
        "True",
        "north",
    )
    assert (removed["checks"], removed["deviations"]) == ("30", "1")
    assert (kept["removed_on"], kept["settings_kept"]) == ("", "")


@pytest.mark.parametrize(("group", "cameras"), [("north", ["cam-a", "cam-b"]), ("south", ["cam-c"])])
def test_a_removed_camera_is_in_its_groups_report(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], group: str, cameras: list[str]
) -> None:
    out = tmp_path / group
    _yearly(capsys, store_root, out, "--group", group)
    assert sorted(p.stem for p in (out / "cameras").iterdir()) == cameras


def test_a_removed_camera_without_kept_settings_is_reported_from_the_database(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(store_root, store)
    shutil.rmtree(store / ".removed")  # the day of removal now comes from the audit log
    out = tmp_path / "north"
    _yearly(capsys, store, out, "--group", "north")  # its group: that of its alerts
    page = (out / "cameras" / "cam-b.html").read_text(encoding="utf-8")
    assert "its settings are no longer kept." in page
    assert "its permit cannot be shown" in page
    row = _csv_rows(out)["cam-b"]
    assert (row["checks"], row["deviations"]) == ("30", "1")
    assert (row["settings_kept"], row["group"]) == ("False", "north")
    with Database(Store(store).database_path) as database:
        (removed_at,) = [e.at for e in database.audit_entries(limit=100) if e.action == "camera removed"]
    assert row["removed_on"] == removed_at[:10]
    assert f"Removed on {removed_at[:10]}; its settings are no longer kept." in page


def test_the_register_leaves_a_removed_camera_out(
    store_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "register"
    code, printed, errors = run_main(capsys, "--store", store_root, "report", "register", "--out", out)
    assert code == 0, errors
    assert "register of 2 cameras" in printed
    assert all("cam-b" not in page.read_text(encoding="utf-8") for page in out.rglob("*.html"))


def test_the_newest_kept_folder_of_a_camera_is_read(store_root: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    shutil.copytree(store_root, store.root)
    graveyard = store.root / ".removed"
    older = graveyard / "cam-b-20250101T000000.000000Z"  # removed once before, added again
    shutil.copytree(graveyard / KEPT, older)
    shutil.copytree(graveyard / KEPT, graveyard / "cam-20270101T000000.000000Z")  # another camera "cam"
    shutil.copytree(graveyard / KEPT, graveyard / "cam-b-not-a-stamp")
    with Database(store.database_path) as database:
        (removed,) = removed_cameras(store, database, ("2026-01-01T00:00:00", "2027-01-01T00:00:00"))
    assert (removed.camera_id, removed.folder, removed.removed_at) == (
        "cam-b",
        graveyard / KEPT,
        f"{REMOVED_ON}T12:00:00+00:00",
    )
    assert removed.config is not None
    assert removed.group == "north"
