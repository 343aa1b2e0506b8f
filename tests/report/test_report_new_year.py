"""Deviations open over New Year: listed in every year they were open, time to fix in the year they closed.

One camera per alert (one alert each, written through the database API by
tests/support/report_history.py), reported for 2026 in UTC; a camera redirected from December 2025
to the end of February 2026 for the whole story of one alert across two reports.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pytest

from fov_monitor.db.database import Database
from fov_monitor.report.figures import FleetFigures, yearly_figures
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.images import sample_bgr
from tests.support.report_history import make_store, troubles_of, write_alert, write_alerts, write_scans

R, C = "redirected", "compliant"
ALERTS = {
    # camera: opened, closed, listed in 2026, carried over from, time to fix counted in 2026 (h)
    "cam-0": ("2025-12-01T02:00:00+00:00", "2025-12-02T02:00:00+00:00", False, None, None),
    "cam-1": ("2025-12-31T20:00:00+00:00", "2026-01-01T02:00:00+00:00", True, 2025, 6.0),
    "cam-2": ("2024-06-01T00:00:00+00:00", None, True, 2024, None),
    "cam-3": ("2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00", True, None, 24.0),
    "cam-4": ("2026-12-31T20:00:00+00:00", "2027-01-01T04:00:00+00:00", True, None, None),
}


@pytest.fixture(scope="module")
def alert_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store of five cameras, each with the one alert of :data:`ALERTS`."""
    store = make_store(
        tmp_path_factory.mktemp("new-year") / "store",
        dict.fromkeys(ALERTS, "north"),
        sample_bgr("astronaut"),
    )
    with Database(store.database_path) as database:
        for camera_id, (opened, closed, *_) in ALERTS.items():
            write_alert(database, camera_id, R, opened, closed)
    return store


@pytest.fixture(scope="module")
def fleet_2026(alert_store: Store) -> FleetFigures:
    with Database(alert_store.database_path) as database:
        return yearly_figures(database, alert_store, 2026, list(ALERTS))


@pytest.mark.parametrize("camera_id", list(ALERTS))
def test_a_deviation_open_in_the_year_is_listed_and_marked(fleet_2026: FleetFigures, camera_id: str) -> None:
    _, _, listed, carried_over_from, time_to_fix_h = ALERTS[camera_id]
    camera = next(c for c in fleet_2026.cameras if c.camera_id == camera_id)
    assert len(camera.deviations) == int(listed)
    if listed:
        (deviation,) = camera.deviations
        assert deviation.carried_over_from == carried_over_from
        assert deviation.time_to_fix_h == (pytest.approx(time_to_fix_h) if time_to_fix_h else None)


def test_totals_agree_with_the_listed_deviations(fleet_2026: FleetFigures) -> None:
    listed = [alert for alert in ALERTS.values() if alert[2]]
    totals = fleet_2026.totals
    assert totals.deviations == len(listed) == 4
    assert totals.carried_over_deviations == 2
    assert totals.open_at_year_end == 2  # open since 2024, and the one closed in 2027
    assert totals.median_time_to_fix_h == pytest.approx(statistics.median([6.0, 24.0]))


def test_one_alert_over_new_year_is_in_both_reports_its_time_to_fix_in_the_second(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", {"cam-a": "north"}, sample_bgr("astronaut"))
    schedule = {"cam-a": [R] * 90 + [C] * 30}  # redirected 1 December 2025 .. 28 February 2026
    with Database(store.database_path) as database:
        write_scans(database, schedule, date(2025, 12, 1))
        write_alerts(database, troubles_of(schedule), date(2025, 12, 1))
        before, after = (yearly_figures(database, store, year, ["cam-a"]) for year in (2025, 2026))
    (in_2025,), (in_2026,) = before.cameras[0].deviations, after.cameras[0].deviations
    assert in_2025.alert_id == in_2026.alert_id
    assert (in_2025.carried_over_from, in_2025.time_to_fix_h) == (None, None)
    assert (in_2026.carried_over_from, in_2026.time_to_fix_h) == (2025, pytest.approx(90 * 24.0))
    assert (before.cameras[0].days_non_compliant, after.cameras[0].days_non_compliant) == (31, 31 + 28)
    assert (before.totals.open_at_year_end, before.totals.median_time_to_fix_h) == (1, None)
    assert (after.totals.open_at_year_end, after.totals.median_time_to_fix_h) == (0, pytest.approx(2160.0))


def test_pages_and_exports_list_the_same_deviations(
    alert_store: Store, fleet_2026: FleetFigures, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "yearly"
    code, _, errors = run_main(
        capsys, "--store", alert_store.root, "report", "yearly", "--year", "2026", "--out", out
    )
    assert code == 0, errors
    carried = (out / "cameras" / "cam-1.html").read_text(encoding="utf-8")
    assert "carried over from 2025, opened 31 December 2025" in carried
    assert "6.0 h" in carried
    later = (out / "cameras" / "cam-4.html").read_text(encoding="utf-8")
    assert "counted in 2027, the year it closed" in later
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "4, of which 4 for a camera not compliant and 2 carried over from an earlier year" in index
    assert "counted in the year the alert closed" in index
    text = (out / "figures.csv").read_text(encoding="utf-8-sig")
    rows = {row["camera_id"]: row for row in csv.DictReader(io.StringIO(text))}
    document = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert sum(int(row["deviations"]) for row in rows.values()) == document["totals"]["deviations"] == 4
    assert sum(int(row["carried_over_deviations"]) for row in rows.values()) == 2
    assert document["totals"] == asdict(fleet_2026.totals)
    for camera in document["cameras"]:
        figures = next(c for c in fleet_2026.cameras if c.camera_id == camera["camera_id"])
        assert [d["alert_id"] for d in camera["deviations"]] == [d.alert_id for d in figures.deviations]
        assert [d["carried_over_from"] for d in camera["deviations"]] == [
            d.carried_over_from for d in figures.deviations
        ]
        assert int(rows[camera["camera_id"]]["deviations"]) == len(camera["deviations"])
