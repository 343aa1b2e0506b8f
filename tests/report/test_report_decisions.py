"""A decision's days and hours in the yearly report and the register, and how each deviation ended.

Four cameras scanned every night of 2026 at 02:15 UTC (tests/support/report_history.py): one whose
only decision ended on 30 June, one renewed on 1 July (the old decision kept in ``history/``), one
whose decision permits 08:00-18:00 only, and one as enrolled (22:00-06:00, 2025 to 2027) with a scan
that recorded filming outside its hours and an alert a reviewer resolved.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fov_monitor.cli import main
from fov_monitor.core.permit import Decision
from fov_monitor.core.result import Outcome
from fov_monitor.db.database import Database
from fov_monitor.report.figures import CameraFigures, FleetFigures, yearly_figures
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.cli import assert_cli_error, run_main
from tests.support.images import sample_bgr
from tests.support.report_history import (
    ORGANISATION,
    make_store,
    write_alert,
    write_scan_run,
    write_scans,
)

CAMERAS = {"cam-ended": "harbour", "cam-hours": "harbour", "cam-ok": "harbour", "cam-renewed": "harbour"}
ENDED = Decision("KS-E", date(2025, 1, 1), date(2026, 6, 30), ("22:00-06:00",), "to keep the quay safe")
FIRST, RENEWED = (
    Decision("KS-R1", date(2025, 1, 1), date(2026, 6, 30), ("22:00-06:00",), "to keep the quay safe"),
    Decision("KS-R2", date(2026, 7, 1), date(2027, 12, 31), ("22:00-06:00",), "to keep the quay safe"),
)
DAYTIME = Decision("KS-H", date(2025, 1, 1), date(2027, 12, 31), ("08:00-18:00",), "to watch the market")


def _only_decision(store: Store, camera_id: str, *decisions: Decision) -> None:
    """Give the camera these decisions one after the other, and no other in its history."""
    for path in (store.folder(camera_id) / "history").glob("permit-*.json"):
        path.unlink()
    for decision in decisions:
        stored = store.permit(camera_id)
        assert stored is not None
        permit = dataclasses.replace(stored.permit, decision=decision)
        store.save_permit(camera_id, permit, stored.reference_size, "fixture")
        if decision is decisions[0]:
            for path in (store.folder(camera_id) / "history").glob("permit-*.json"):
                path.unlink()


def _resolved_alert(database: Database) -> None:
    def write(transaction):  # type: ignore[no-untyped-def]
        alert_id = transaction.insert(
            "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, closed_at, "
            "occurrences, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            ("cam-ok", "harbour", "tampered", "resolved", "2026-05-01T02:15:07+00:00",
             "2026-05-01T09:00:00+00:00", "2026-05-01T09:00:00+00:00", 1, "the lens is covered"),
        )  # fmt: skip
        for at, actor, event, note in (
            ("2026-05-01T02:15:07+00:00", "night-scan", "opened", ""),
            ("2026-05-01T09:00:00+00:00", "reviewer-bo", "resolved", "bag removed from the lens"),
        ):
            transaction.execute(
                "INSERT INTO alert_events (alert_id, at, actor, event, note, detail_json) "
                "VALUES (?, ?, ?, ?, ?, '{}')",
                (alert_id, at, actor, event, note),
            )

    database.write(write)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Store:
    store = warm(
        make_store(tmp_path_factory.mktemp("decisions") / "store", CAMERAS, sample_bgr("astronaut")),
        view_cache,
    )
    _only_decision(store, "cam-ended", ENDED)
    _only_decision(store, "cam-renewed", FIRST, RENEWED)
    _only_decision(store, "cam-hours", DAYTIME)
    organisation = ORGANISATION | {"cameras": {"cam-ended": {"without_decision": "stopped"}}}
    (store.root / "organisation.json").write_text(json.dumps(organisation), encoding="utf-8")
    with Database(store.database_path) as database:
        write_scans(database, {camera_id: ["compliant"] * 365 for camera_id in CAMERAS}, date(2026, 1, 1))
        write_scan_run(database, "2026-03-01T14:00:00+00:00", {"cam-ok": "outside_decision"})
        write_alert(
            database, "cam-renewed", "redirected", "2026-02-01T02:15:07+00:00", "2026-02-03T02:15:07+00:00"
        )
        _resolved_alert(database)
    return store


@pytest.fixture(scope="module")
def fleet(store: Store) -> FleetFigures:
    with Database(store.database_path) as database:
        return yearly_figures(database, store, 2026, sorted(CAMERAS))


def _camera(fleet: FleetFigures, camera_id: str) -> CameraFigures:
    return next(camera for camera in fleet.cameras if camera.camera_id == camera_id)


@pytest.mark.parametrize(
    ("camera_id", "outside_days", "compliant", "decision_days", "why"),
    [
        ("cam-ended", 184, 181, 181, "after decision KS-E ended on 2026-06-30"),
        ("cam-renewed", 0, 365, 365, None),  # the decision of its first half-year is in history/
        ("cam-hours", 365, 0, 365, "outside the hours decision KS-H permits (08:00-18:00)"),
        ("cam-ok", 1, 365, 365, "outside the hours decision KS-2026-003 permits (22:00-06:00)"),
    ],
)
def test_checks_when_no_decision_allowed_filming_are_not_compliant_and_say_why(
    fleet: FleetFigures,
    camera_id: str,
    outside_days: int,
    compliant: int,
    decision_days: int,
    why: str | None,
) -> None:
    camera = _camera(fleet, camera_id)
    assert camera.outside_decision_days == outside_days
    assert camera.days_non_compliant == outside_days
    assert camera.status_counts[Outcome.OUTSIDE_DECISION] == outside_days
    assert camera.status_counts[Outcome.COMPLIANT] == compliant
    assert camera.decision_days == decision_days
    assert [stretch.why for stretch in camera.outside_decision] == ([why] if why else [])
    assert camera.share_compliant == pytest.approx(compliant / camera.checks)


def test_the_stretch_outside_the_decision_has_its_days_and_checks(fleet: FleetFigures) -> None:
    (stretch,) = _camera(fleet, "cam-ended").outside_decision
    assert (stretch.first_day, stretch.last_day, stretch.days, stretch.checks) == (
        "2026-07-01",
        "2026-12-31",
        184,
        184,
    )
    assert fleet.totals.outside_decision_days == 184 + 365 + 1


def test_each_deviation_says_how_it_ended(fleet: FleetFigures) -> None:
    (closed,) = _camera(fleet, "cam-renewed").deviations
    (resolved,) = _camera(fleet, "cam-ok").deviations
    assert closed.ending is not None
    assert closed.ending.text == "closed by scan run 34 (night-scan): the camera is compliant again"
    assert resolved.ending is not None
    assert resolved.ending.text == "resolved by reviewer-bo: bag removed from the lens"


@pytest.fixture(scope="module")
def yearly(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("decisions-out") / "yearly"
    assert main(["--store", str(store.root), "report", "yearly", "--year", "2026", "--out", str(out)]) == 0
    return out


def test_the_pages_and_exports_say_why_days_were_not_compliant(yearly: Path) -> None:
    page = (yearly / "cameras" / "cam-ended.html").read_text(encoding="utf-8")
    assert "The camera filmed when no decision allowed it</strong> on 184 days" in page
    assert '<td>2026-07-01</td><td>2026-12-31</td><td class="num">184</td>' in page
    assert "after decision KS-E ended on 2026-06-30" in page
    assert "on 181 of the 365 days of the period" in page
    deviations = (yearly / "cameras" / "cam-ok.html").read_text(encoding="utf-8")
    assert "resolved by reviewer-bo: bag removed from the lens" in deviations
    index = (yearly / "index.html").read_text(encoding="utf-8")
    assert "184 outside a decision" in index
    rows = {
        r["camera_id"]: r
        for r in csv.DictReader(io.StringIO((yearly / "figures.csv").read_text("utf-8-sig")))
    }
    assert (rows["cam-ended"]["outside_decision_days"], rows["cam-ended"]["checks_outside_decision"]) == (
        "184",
        "184",
    )
    document = json.loads((yearly / "figures.json").read_text(encoding="utf-8"))
    ended = next(c for c in document["cameras"] if c["camera_id"] == "cam-ended")
    assert ended["outside_decision"][0]["why"] == "after decision KS-E ended on 2026-06-30"
    assert ended["daily_status"][181:] == "8" * 184
    ok = next(c for c in document["cameras"] if c["camera_id"] == "cam-ok")
    assert ok["deviations"][0]["ending"] == {
        "by": "reviewer", "actor": "reviewer-bo", "note": "bag removed from the lens", "run_id": None
    }  # fmt: skip


def test_a_year_before_any_decision_is_an_error_not_empty_pages(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "2024"
    result = run_main(capsys, "--store", store.root, "report", "yearly", "--year", "2024", "--out", out)
    assert_cli_error(
        result, "nothing to report for 2024", "no camera had a decision in force", "1 January 2025"
    )
    assert not out.exists()


def test_the_register_describes_only_cameras_with_a_valid_decision(
    store: Store, tmp_path: Path, report_clock: list[datetime]
) -> None:
    report_clock[0] = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    copy = tmp_path / "store"
    shutil.copytree(store.root, copy)
    out = tmp_path / "register"
    assert main(["--store", str(copy), "report", "register", "--out", str(out)]) == 0
    area = (out / "areas" / "harbour.html").read_text(encoding="utf-8")
    described = area[: area.index('<section id="no-decision"')]
    assert 'id="camera-cam-ok"' in described
    assert 'id="camera-cam-renewed"' in described
    assert "cam-ended" not in described
    assert "This is allowed until 30 June 2026" not in area
    stopped = area[area.index('<section id="no-decision"') :]
    assert "The decision for this camera ended on 30 June 2026. Filming here has stopped." in stopped
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "uses 3 cameras in public places" in index
    assert "Camera cam-ended</a>, at Market square entrance 1: no valid decision" in index
