"""Days without a check are not monitored, and a year not over is reported to date.

One camera scanned every night of 2026 at 02:15 UTC but for 92 days whose scans were deleted
(11 April to 11 July), one night offline; a second camera scanned every night until 6 December.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fov_monitor.cli import main
from fov_monitor.db.database import Database
from fov_monitor.report.figures import DayStatus, yearly_figures
from fov_monitor.store.store import Store
from tests.report.conftest import warm
from tests.support.images import sample_bgr
from tests.support.report_history import make_store, write_scans

GAP = range(100, 192)
"""The days of the year (from 0) without a check: 11 April to 11 July 2026."""
OFFLINE_DAY = 20


def _gappy_year() -> list[str]:
    nights = ["compliant"] * 365
    nights[OFFLINE_DAY] = "offline"
    for day in GAP:
        nights[day] = ""
    return nights


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, view_cache: Path) -> Store:
    store = make_store(
        tmp_path_factory.mktemp("monitoring") / "store",
        {"cam-gap": "north", "cam-now": "north"},
        sample_bgr("astronaut"),
    )
    warm(store, view_cache)
    with Database(store.database_path) as database:
        write_scans(database, {"cam-gap": _gappy_year(), "cam-now": ["compliant"] * 340}, date(2026, 1, 1))
    return store


def test_days_without_a_check_are_not_monitored_and_not_uptime(store: Store) -> None:
    with Database(store.database_path) as database:
        (camera,) = yearly_figures(database, store, 2026, ["cam-gap"]).cameras
    assert camera.days_checked == 273
    assert camera.days_not_monitored == 92
    assert (camera.day_status[list(GAP)] == DayStatus.NOT_MONITORED).all()
    # each check stands for the next day; the 93 days' gap for 1.5 of them, the last check for 21.75 h
    monitored_h = 271 * 24 + 36 + (24 - 2.25 - 7 / 3600)
    assert camera.monitored_hours == pytest.approx(monitored_h)
    assert camera.offline_hours == pytest.approx(24)
    assert camera.uptime == pytest.approx(1 - 24 / monitored_h)


@pytest.fixture(scope="module")
def whole_year(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("monitoring-out") / "2026"
    assert main(["--store", str(store.root), "report", "yearly", "--year", "2026", "--out", str(out)]) == 0
    return out


def test_the_pages_and_exports_show_the_days_not_monitored(whole_year: Path) -> None:
    page = (whole_year / "cameras" / "cam-gap.html").read_text(encoding="utf-8")
    assert "<dt>Days not monitored</dt><dd>92: no check was made on these days" in page
    assert "of the monitored time only: the time no check covers is not counted" in page
    index = (whole_year / "index.html").read_text(encoding="utf-8")
    assert '<td class="num">273 of 365<br><strong>92 not monitored</strong></td>' in index
    text = (whole_year / "figures.csv").read_text(encoding="utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["camera_id"] == "cam-gap")
    assert (row["days_checked"], row["days_not_monitored"]) == ("273", "92")
    document = json.loads((whole_year / "figures.json").read_text(encoding="utf-8"))
    camera = next(c for c in document["cameras"] if c["camera_id"] == "cam-gap")
    assert (camera["days_checked"], camera["days_not_monitored"]) == (273, 92)
    assert camera["daily_status"][100:192] == "0" * 92
    assert document["daily_status_codes"]["0"] == "not_monitored"


def test_a_year_not_over_is_reported_to_date(
    store: Store, tmp_path: Path, report_clock: list[datetime]
) -> None:
    report_clock[0] = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    out = tmp_path / "2026"
    assert main(["--store", str(store.root), "report", "yearly", "--year", "2026", "--out", str(out)]) == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "from 1 January 2026 to date, as of 6 December 2026" in index
    assert "31 December" not in index
    assert "still open as of 6 December 2026" in index
    document = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert document["build"]["period"] == {
        "from": "2026-01-01",
        "to": "2026-12-06",
        "to_date": True,
        "days": 340,
    }
    now = next(c for c in document["cameras"] if c["camera_id"] == "cam-now")
    assert len(now["daily_status"]) == 340  # no future day, not even as 'not monitored'
    assert (now["days_checked"], now["days_not_monitored"]) == (340, 0)
    page = (out / "cameras" / "cam-now.html").read_text(encoding="utf-8")
    assert "on 340 of 340 days" in page
    assert "the days after 6 December 2026 are blank" in page
