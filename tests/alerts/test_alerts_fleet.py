"""The issue's figure: 1,000 cameras of which 50 turn non-compliant give exactly 50 alerts, and a second
identical scan not one new message. Runs are written through the database API (no real grabs)."""

from __future__ import annotations

from pathlib import Path

from fov_monitor.alerts import AlertChanges, update_alerts
from fov_monitor.db.database import Database
from tests.support.alert_runs import SETTINGS, counts, make_store, record_run
from tests.support.database import raw

CAMERAS = [f"cam-{i:04d}" for i in range(1000)]
BROKEN = {camera: ("redirected", "zone_exposed", "tampered")[i % 3] for i, camera in enumerate(CAMERAS[::20])}


def test_fleet_of_1000_with_50_non_compliant_gives_50_alerts_and_no_repeat(
    tmp_path: Path, database_location: str
) -> None:
    groups = {camera: ("north", "south")[i % 2] for i, camera in enumerate(BROKEN)}
    store = make_store(tmp_path / "store", groups)  # the other cameras' settings are not read
    outcomes = {camera: BROKEN.get(camera, "compliant") for camera in CAMERAS}
    with Database(database_location) as database:
        first = record_run(database, outcomes)
        opened = update_alerts(database, store, first, SETTINGS)
        north = sum(1 for group in groups.values() if group == "north")
        assert len(BROKEN) == 50
        assert opened == AlertChanges(opened=50, deliveries=50 + north)  # log: all; ops-mail: north only
        assert counts(database_location) == {"alerts": 50, "alert_events": 50, "deliveries": 50 + north}
        second = record_run(database, outcomes)
        assert update_alerts(database, store, second, SETTINGS) == AlertChanges(updated=50)
    assert counts(database_location)["deliveries"] == 50 + north
    assert raw(database_location, "SELECT COUNT(*), MAX(occurrences) FROM alerts") == [(50, 2)]
