"""A reason that contains ``"; "`` comes back whole: reasons are stored as a list, never joined and split.

fov-monitor's own messages contain ``"; "`` ("camera 'x' has no reference yet; capture one with ...",
"too plain: ...; covered, fogged or facing a blank surface"), so joining the reasons into one line and
splitting it back cut such a reason in two.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fov_monitor.alerts import update_alerts
from fov_monitor.alerts.queries import alert_finding, list_alerts, load_alert
from fov_monitor.alerts.settings import AlertSettings, ChannelKind, JsonlChannelSettings
from fov_monitor.core.result import Outcome, Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.postgres import PostgresConnection
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.db.schema import SCHEMA_VERSION
from fov_monitor.db.sqlite import SqliteConnection
from fov_monitor.report.figures import yearly_figures
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.database import RAW_ERRORS, is_postgres, raw, sample_result

AT = "2026-03-01T02:15:00+00:00"
PLAIN = (
    "too plain: texture 0.41 above the noise (needs 1.20); covered, fogged or facing a blank surface",
    "view centre moved +0.4%, -0.1% of the frame",
)
"""A result's reasons, the first one of fov-monitor's own messages that contain ``"; "``."""


def test_an_error_reason_with_a_semicolon_reaches_the_alert_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "store"
    store = Store(root)
    store.init()
    store.add_camera(CameraConfig("cam-new", source="demo:cam-01-square"))  # no permit, no reference
    (root / "alerts.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "thresholds": {"error_after_scans": 1},
                "channels": [{"name": "log", "kind": "jsonl", "path": "alerts.jsonl"}],
            }
        ),
        encoding="utf-8",
    )
    code, _, err = run_main(capsys, "scan", "--store", root, "--workers", "1")
    assert code == 4, err
    [(payload_json,)] = raw(str(root / "fov-monitor.sqlite"), "SELECT payload_json FROM deliveries")
    alert = json.loads(payload_json)["alert"]
    assert alert["problem"] == "error"
    [reason] = alert["reasons"]
    assert reason.startswith("camera 'cam-new' has no permit yet; set one with 'fov-monitor permit set")
    assert alert["summary"] == reason
    with Database(root / "fov-monitor.sqlite") as database:  # a reviewer's step announces it whole too
        assert alert_finding(database, load_alert(database, alert["id"])).reasons == (reason,)


def test_a_result_reason_with_a_semicolon_reaches_the_reviewers_finding_whole(tmp_path: Path) -> None:
    location = str(tmp_path / "results.sqlite")
    result = dataclasses.replace(sample_result(Status.UNVERIFIABLE), reasons=PLAIN)
    with Database(location) as database:
        result_id = database.record_result(
            "cam-1", result, checked_at=AT, source="s", evidence_path=None, actor="scan"
        )
    [(alert_id,)] = raw(
        location,
        "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, occurrences, "
        "summary, first_result_id, last_result_id) VALUES ('cam-1', 'default', 'unverifiable', 'open', ?, ?, "
        "1, ?, ?, ?) RETURNING id",
        (AT, AT, "; ".join(PLAIN), result_id, result_id),
    )
    with Database(location) as database:
        finding = alert_finding(database, load_alert(database, alert_id))
    assert finding.reasons == PLAIN


def test_reasons_round_trip_through_the_scan_outcome_the_alert_and_the_report(
    database_location: str, tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    store.init()
    store.add_camera(CameraConfig("cam-1", source="demo:cam-01-square"))
    result = dataclasses.replace(sample_result(Status.ZONE_EXPOSED), reasons=PLAIN)
    settings = AlertSettings(
        channels=(JsonlChannelSettings(name="log", kind=ChannelKind.JSONL, path=Path("a")),)
    )
    with Database(database_location) as database:
        run = database.start_scan_run("scan", {}, AT)
        row = ScanOutcomeRow(run.run_id, "cam-1", AT, Outcome.ZONE_EXPOSED, PLAIN, True, None)
        database.record_scan_outcome(row, ScanRecord("scan", result, "s"))
        database.finish_scan_run(run.run_id, AT, "scan", database.scan_counts(run.run_id))
        update_alerts(database, store, run.run_id, settings, actor="scan", at=AT)
        [outcome] = database.scan_outcomes(run.run_id)
        [stored] = database.history("cam-1")
        [alert] = list_alerts(database)
        finding = alert_finding(database, alert)
        figures = yearly_figures(database, store, 2026, ["cam-1"])
    [(payload_json,)] = raw(database_location, "SELECT payload_json FROM deliveries")
    assert outcome.reasons == stored.reasons == finding.reasons == PLAIN
    assert json.loads(payload_json)["alert"]["reasons"] == list(PLAIN)
    assert alert.summary == stored.summary == outcome.reason == "; ".join(PLAIN)  # shown, never split
    [exposure] = figures.cameras[0].zone_exposures
    assert exposure.reasons == PLAIN


NOTE = "not confirmed, the re-check got no verdict: camera answered 401; check its credentials"


def test_the_migration_turns_joined_reasons_into_lists_as_well_as_they_can_be_known(
    database_location: str,
) -> None:
    """Migration 7 on a database written by fov-monitor before it (schema version 6)."""
    location = DatabaseLocation.parse(database_location)
    older = (PostgresConnection if is_postgres(database_location) else SqliteConnection)(
        location, RetryPolicy()
    )
    older.migrate(6)
    older.close()
    documents = {
        "whole": json.dumps({"reasons": list(PLAIN), "confidence": float("nan")}),  # Python's JSON
        "single": json.dumps({"reasons": ["the view is inside the permit"]}),
        "none": json.dumps({"reasons": []}),
        "unknown": "{}",  # a document that does not agree: the summary is split, as before
    }
    summaries = {
        "whole": "; ".join(PLAIN),
        "single": "the view is inside the permit",
        "none": "",
        "unknown": "moved; zoomed",
    }
    ids = {}
    raw(
        database_location,
        "INSERT INTO scan_runs (started_at, actor, selection_json) VALUES (?, 's', '{}')",
        (AT,),
    )
    for name, document in documents.items():
        [(ids[name],)] = raw(
            database_location,
            "INSERT INTO results (camera_id, checked_at, status, summary, source, result_json) "
            "VALUES (?, ?, 'redirected', ?, 's', ?) RETURNING id",
            (f"cam-{name}", AT, summaries[name], document),
        )
    outcomes = [
        ("cam-whole", "; ".join(PLAIN), ids["whole"]),
        ("cam-single", "; ".join(("the view is inside the permit", NOTE)), ids["single"]),  # re-check failed
        ("cam-none", "", ids["none"]),
        ("cam-unknown", "moved; zoomed", ids["unknown"]),
        ("cam-offline", "camera answered 401; check its credentials", None),
    ]
    for camera_id, reason, result_id in outcomes:
        raw(
            database_location,
            "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reason, rechecked, result_id) "
            "VALUES (1, ?, ?, 'redirected', ?, 0, ?)",
            (camera_id, AT, reason, result_id),
        )
    with Database(database_location) as database:
        assert database.schema_version() == SCHEMA_VERSION
        results = {name: database.history(f"cam-{name}")[0].reasons for name in documents}
        by_camera = {row.camera_id: row.reasons for row in database.scan_outcomes(1)}
    assert results == {
        "whole": PLAIN,
        "single": ("the view is inside the permit",),
        "none": (),
        "unknown": ("moved", "zoomed"),
    }
    assert by_camera == {
        "cam-whole": PLAIN,
        "cam-single": ("the view is inside the permit", NOTE),
        "cam-none": (),
        "cam-unknown": ("moved", "zoomed"),
        "cam-offline": ("camera answered 401; check its credentials",),
    }
    with pytest.raises(RAW_ERRORS):  # the joined columns are gone
        raw(database_location, "SELECT summary FROM results")
    with pytest.raises(RAW_ERRORS):
        raw(database_location, "SELECT reason FROM scan_outcomes")
