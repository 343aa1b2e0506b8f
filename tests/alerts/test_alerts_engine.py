"""The alert engine over scan runs written through the database API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fov_monitor.alerts import (
    AlertChanges,
    State,
    alert_events,
    dismiss,
    list_alerts,
    resolve,
    runs_to_update,
    update_alerts,
)
from fov_monitor.alerts.queries import StateFilter
from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.database import Database
from fov_monitor.errors import InvalidSettingsError
from fov_monitor.store.store import Store
from tests.support.alert_runs import ACTOR, SETTINGS, counts, make_store, record_run, scan_and_alert
from tests.support.database import raw
from tests.support.messages import assert_one_line

GROUPS = {"cam-n": "north", "cam-s": "south", "cam-ok": "north"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "store", GROUPS)


@pytest.fixture
def database(database_location: str) -> Iterator[Database]:
    with Database(database_location) as database:
        yield database


def active(database: Database) -> dict[str, tuple[str, str, int]]:
    """Return camera -> (problem, state, occurrences) of the active alerts."""
    return {
        alert.camera_id: (alert.problem, alert.state, alert.occurrences)
        for alert in list_alerts(database, StateFilter.ACTIVE)
    }


def events(database: Database, camera_id: str) -> list[str]:
    """Return the events of all the camera's alerts, oldest first."""
    found = []
    for alert in sorted(list_alerts(database, StateFilter.ALL, camera_id), key=lambda a: a.alert_id):
        found += [f"{alert.problem}:{event.event}" for event in alert_events(database, alert.alert_id)]
    return found


def test_verdict_opens_at_once_with_a_delivery_per_routed_channel(
    database: Database, store: Store, database_location: str
) -> None:
    changes = scan_and_alert(
        database, store, {"cam-n": "redirected", "cam-s": "tampered", "cam-ok": "compliant"}
    )
    assert changes == AlertChanges(opened=2, deliveries=3)
    assert active(database) == {"cam-n": ("redirected", "open", 1), "cam-s": ("tampered", "open", 1)}
    rows = raw(
        database_location,
        "SELECT d.channel, d.idempotency_key, d.state, d.payload_json, a.camera_id, a.id, d.event_id "
        "FROM deliveries d JOIN alerts a ON a.id = d.alert_id ORDER BY a.camera_id, d.channel",
    )
    assert [(row[4], row[0], row[2]) for row in rows] == [
        ("cam-n", "log", "pending"),
        ("cam-n", "ops-mail", "pending"),
        ("cam-s", "log", "pending"),
    ]
    _, key, _, payload_json, _, alert_id, event_id = rows[1]
    payload = json.loads(payload_json)
    assert key == f"fov-alert-{alert_id}-{event_id}-ops-mail" == payload["idempotency_key"]
    assert payload["schema"] == "fov-monitor.alert-event/1"
    assert payload["event"] == "opened"
    assert payload["alert"] | {"opened_at": None} == {
        "id": alert_id,
        "camera_id": "cam-n",
        "camera_name": "CAM-N",
        "place": "quay 3",
        "group": "north",
        "problem": "redirected",
        "state": "open",
        "opened_at": None,
        "closed_at": None,
        "occurrences": 1,
        "summary": "11.9% of the view is outside the permit",
        "reasons": ["11.9% of the view is outside the permit"],
        "outside_fraction": 0.0125,
        "evidence_path": "/evidence/cam-n.jpg",
        "permit_decision": None,
    }
    audit = raw(database_location, "SELECT actor, action, camera_id FROM audit WHERE action LIKE 'alert%'")
    assert sorted(audit, key=str) == sorted(
        [(ACTOR, "alert opened", "cam-n"), (ACTOR, "alert opened", "cam-s"), (ACTOR, "alerts updated", None)],
        key=str,
    )


def test_persisting_problem_is_updated_not_duplicated_and_sends_nothing_new(
    database: Database, store: Store, database_location: str
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected"})
    before = counts(database_location)
    changes = scan_and_alert(database, store, {"cam-n": "redirected"})
    assert changes == AlertChanges(updated=1)
    assert active(database) == {"cam-n": ("redirected", "open", 2)}
    assert events(database, "cam-n") == ["redirected:opened", "redirected:updated"]
    after = counts(database_location)
    assert after["deliveries"] == before["deliveries"] == 2
    assert after["alerts"] == 1


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        # offline opens after 3 scans, unverifiable and error after 2 (SETTINGS); verdicts at once
        (["offline", "offline", "offline"], [None, None, "offline"]),
        (["offline", "compliant", "offline", "offline"], [None, None, None, None]),
        (["unverifiable", "unverifiable"], [None, "unverifiable"]),
        (["error", "offline", "error", "error"], [None, None, None, "error"]),
        (["zone_exposed"], ["zone_exposed"]),
        (["offline", "offline", "offline", "offline"], [None, None, "offline", "offline"]),
    ],
)
def test_unseen_problems_open_only_after_their_threshold_of_consecutive_scans(
    database: Database, store: Store, outcomes: list[str], expected: list[str | None]
) -> None:
    found = []
    for outcome in outcomes:
        scan_and_alert(database, store, {"cam-s": outcome})
        alert = active(database).get("cam-s")
        found.append(alert[0] if alert else None)
    assert found == expected


def test_changed_problem_closes_the_old_alert_and_opens_the_new(
    database: Database, store: Store, database_location: str
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected"})
    changes = scan_and_alert(database, store, {"cam-n": "tampered"})
    assert changes == AlertChanges(opened=1, closed=1, deliveries=4)
    assert active(database) == {"cam-n": ("tampered", "open", 1)}
    assert events(database, "cam-n") == ["redirected:opened", "redirected:closed", "tampered:opened"]
    closed = raw(
        database_location,
        "SELECT a.state, e.detail_json FROM alerts a JOIN alert_events e ON e.alert_id = a.id "
        "WHERE a.problem = 'redirected' AND e.event = 'closed'",
    )
    assert closed[0][0] == "closed"
    assert json.loads(closed[0][1])["why"] == "superseded by tampered"


def test_unseen_view_keeps_a_seen_problem_open(database: Database, store: Store) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected"})
    for _ in range(3):
        scan_and_alert(database, store, {"cam-n": "offline"})
    assert {alert.problem for alert in list_alerts(database, StateFilter.ACTIVE)} == {"redirected", "offline"}
    scan_and_alert(database, store, {"cam-n": "redirected"})  # online again: the offline alert closes
    assert active(database) == {"cam-n": ("redirected", "open", 2)}


def test_compliant_camera_closes_every_active_alert_and_announces_it(
    database: Database, store: Store, database_location: str
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected", "cam-s": "zone_exposed"})
    changes = scan_and_alert(database, store, {"cam-n": "compliant", "cam-s": "compliant"})
    assert changes == AlertChanges(closed=2, deliveries=3)
    assert active(database) == {}
    states = raw(database_location, "SELECT state, closed_at IS NOT NULL FROM alerts")
    assert sorted(states) == [("closed", 1), ("closed", 1)]
    payloads = raw(database_location, "SELECT payload_json FROM deliveries ORDER BY id DESC LIMIT 1")
    closed = json.loads(payloads[0][0])
    assert closed["event"] == "closed"
    assert closed["alert"]["state"] == "closed"
    assert closed["alert"]["reasons"] == ["the view is inside the permit"]


def test_dismissed_alert_stays_silent_while_the_problem_persists_and_closes_when_compliant(
    database: Database, store: Store, database_location: str
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected"})
    (alert,) = list_alerts(database)
    dismiss(database, alert.alert_id, actor="tess", note="new shelf, known")
    sent = counts(database_location)["deliveries"]
    assert scan_and_alert(database, store, {"cam-n": "redirected"}) == AlertChanges(updated=1)
    assert active(database) == {"cam-n": ("redirected", "dismissed", 2)}
    assert counts(database_location)["deliveries"] == sent
    assert scan_and_alert(database, store, {"cam-n": "compliant"}) == AlertChanges(closed=1, deliveries=2)
    assert list_alerts(database, StateFilter.CLOSED)[0].state is State.CLOSED


def test_second_pass_over_a_run_changes_nothing(
    database: Database, store: Store, database_location: str
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected", "cam-s": "compliant"})
    run_id = record_run(database, {"cam-n": "tampered", "cam-s": "redirected"})
    first = update_alerts(database, store, run_id, SETTINGS)
    tables = counts(database_location)
    assert first == AlertChanges(opened=2, closed=1, deliveries=5)
    assert update_alerts(database, store, run_id, SETTINGS) == AlertChanges()
    assert counts(database_location) == tables


def test_cameras_not_in_the_run_and_older_runs_are_left_alone(database: Database, store: Store) -> None:
    older = record_run(database, {"cam-n": "compliant", "cam-s": "compliant"})
    scan_and_alert(database, store, {"cam-n": "redirected", "cam-s": "tampered"})
    scan_and_alert(database, store, {"cam-n": "compliant"})  # a scan of one camera
    assert active(database) == {"cam-s": ("tampered", "open", 1)}
    assert update_alerts(database, store, older, SETTINGS) == AlertChanges()  # a later run judged cam-s
    assert active(database) == {"cam-s": ("tampered", "open", 1)}


def test_runs_to_update_names_the_latest_finished_run_not_gone_through(
    database: Database, store: Store
) -> None:
    assert runs_to_update(database) == []
    run_id = record_run(database, {"cam-n": "redirected"})
    assert runs_to_update(database) == [run_id]
    update_alerts(database, store, run_id, SETTINGS)
    assert runs_to_update(database) == []
    database.start_scan_run(ACTOR, {}, "2026-11-30T02:00:00+00:00")  # unfinished: not yet
    assert runs_to_update(database) == []


def test_alerts_json_in_the_store_gives_the_settings(store: Store) -> None:
    read = AlertSettings.for_store(store.root)
    assert read.thresholds == SETTINGS.thresholds
    assert [read.routes(group) for group in ("north", "south")] == [["ops-mail", "log"], ["log"]]
    assert AlertSettings.for_store(store.root / "cam-n") == AlertSettings()  # absent: defaults
    (store.root / "alerts.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidSettingsError) as caught:
        AlertSettings.for_store(store.root)
    assert_one_line(caught.value, "alerts.json", "not readable JSON")


def test_problem_that_persists_after_a_reviewer_resolved_it_opens_a_new_alert(
    database: Database, store: Store
) -> None:
    scan_and_alert(database, store, {"cam-n": "redirected"})
    (alert,) = list_alerts(database)
    resolve(database, store, SETTINGS, alert.alert_id, actor="tess", note="re-aimed")
    changes = scan_and_alert(database, store, {"cam-n": "redirected"})
    assert changes == AlertChanges(opened=1, deliveries=2)
    assert [(a.state, a.occurrences) for a in list_alerts(database, StateFilter.ALL)] == [
        (State.OPEN, 1),
        (State.RESOLVED, 1),
    ]
