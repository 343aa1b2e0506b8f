"""The reviewers' steps through ``fov-monitor alerts``, on SQLite and PostgreSQL, and the re-baseline."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fov_monitor.alerts import (
    Alert,
    alert_events,
    approve_rebaseline,
    dismiss,
    list_alerts,
    reject_rebaseline,
    review,
    update_alerts,
)
from fov_monitor.alerts.queries import StateFilter
from fov_monitor.db.database import Database
from fov_monitor.errors import AlertError, FovMonitorError
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from tests.support.alert_runs import SETTINGS, make_store, record_run
from tests.support.cli import assert_cli_error, run_main
from tests.support.database import raw
from tests.support.enrolled_camera import CAMERA_SHIFT, EnrolledCamera
from tests.support.paths import REPO

Cli = Callable[..., tuple[int, str, str]]
GROUPS = {"cam-n": "north", "cam-s": "south", "cam-x": "south"}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("FOV_MONITOR_ACTOR", "ops-desk")
    return lambda *args: run_main(capsys, *args)


@pytest.fixture
def alerts(tmp_path: Path, database_location: str) -> tuple[Path, str, dict[str, int]]:
    """A store with three alerts (cam-n redirected, cam-s tampered, cam-x offline); yields its ids."""
    store = make_store(tmp_path / "store", GROUPS)
    with Database(database_location) as database:
        for _ in range(3):
            run_id = record_run(database, {"cam-n": "redirected", "cam-s": "tampered", "cam-x": "offline"})
            update_alerts(database, store, run_id, SETTINGS)
        ids = {alert.camera_id: alert.alert_id for alert in list_alerts(database)}
    return store.root, database_location, ids


def alert_cli(cli: Cli, store: Path, db: str, *args: str | int) -> tuple[int, str, str]:
    return cli("alerts", *[str(arg) for arg in args], "--store", store, "--db", db)


def audit_of(db: str, alert_id: int) -> list[tuple[str, str, str]]:
    """Return (actor, action, note) of the audit lines about one alert's review steps, oldest first."""
    rows = raw(db, "SELECT actor, action, detail_json FROM audit WHERE action LIKE 'alert %' ORDER BY id")
    found = []
    for actor, action, detail_json in rows:
        detail = json.loads(detail_json)
        if detail.get("alert_id") == alert_id and detail.get("note"):
            found.append((actor, action, detail["note"]))
    return found


def test_ack_then_resolve_are_audited_with_actor_and_note_and_resolve_is_delivered(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    alert_id = ids["cam-n"]
    code, out, _ = alert_cli(cli, store, db, "ack", alert_id, "--note", "on it", "--by", "tess")
    assert code == 0
    assert f"alert {alert_id} (cam-n, redirected) is acknowledged, by tess" in out
    code, out, _ = alert_cli(cli, store, db, "resolve", alert_id, "--note", "re-aimed on site", "--json")
    assert code == 0
    resolved = json.loads(out)
    assert (resolved["state"], resolved["closed_at"] is not None) == ("resolved", True)
    assert audit_of(db, alert_id) == [
        ("tess", "alert acknowledged", "on it"),
        ("ops-desk", "alert resolved", "re-aimed on site"),  # --by defaults to $FOV_MONITOR_ACTOR
    ]
    payloads = raw(
        db, "SELECT channel, payload_json FROM deliveries WHERE alert_id = ? ORDER BY id", (alert_id,)
    )
    last = {channel: json.loads(body) for channel, body in payloads[-2:]}
    assert set(last) == {"ops-mail", "log"}
    assert last["log"]["event"] == "resolved"
    assert last["log"]["note"] == "re-aimed on site"
    assert last["log"]["alert"]["state"] == "resolved"


@pytest.mark.parametrize(
    ("steps", "fragments"),
    [
        ([("resolve", "--note", "fixed")], ["is resolved", "can be resolved"]),
        ([("ack", "--note", "mine")], ["is acknowledged", "only an alert that is open can be acknowledged"]),
        ([("dismiss", "--note", "bird")], ["is dismissed", "can be dismissed"]),
        ([], ["no pending re-baseline proposal", "--propose-rebaseline"]),
    ],
)
def test_a_step_the_state_does_not_allow_is_one_line_and_exit_one(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]], steps: list[tuple[str, ...]], fragments: list[str]
) -> None:
    store, db, ids = alerts
    alert_id = ids["cam-s"]
    for step in steps:
        assert alert_cli(cli, store, db, step[0], alert_id, *step[1:])[0] == 0
    again = steps[0] if steps else ("reject-rebaseline", "--note", "no")
    before = raw(db, "SELECT COUNT(*) FROM alert_events")
    assert_cli_error(
        alert_cli(cli, store, db, again[0], alert_id, *again[1:]), f"alert {alert_id}", *fragments
    )
    assert raw(db, "SELECT COUNT(*) FROM alert_events") == before


def test_unknown_alert_and_rebaseline_of_an_unseen_problem_are_refused(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    assert_cli_error(alert_cli(cli, store, db, "show", 999), "no alert 999", "alerts list")
    assert_cli_error(alert_cli(cli, store, db, "ack", 999, "--note", "x"), "no alert 999")
    assert_cli_error(
        alert_cli(cli, store, db, "dismiss", ids["cam-x"], "--note", "x", "--propose-rebaseline"),
        "is offline",
        "without --propose-rebaseline",
    )
    assert_cli_error(alert_cli(cli, store, db, "ack", ids["cam-x"], "--note", " "), "needs a note")


def test_list_filters_by_state_camera_and_group_and_show_has_events_and_deliveries(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    assert alert_cli(cli, store, db, "dismiss", ids["cam-s"], "--note", "cleaning crew")[0] == 0

    def listed(*options: str) -> set[str]:
        code, out, _ = alert_cli(cli, store, db, "list", *options, "--json")
        assert code == 0
        return {alert["camera_id"] for alert in json.loads(out)}

    assert listed() == {"cam-n", "cam-s", "cam-x"}
    assert listed("--state", "dismissed") == {"cam-s"}
    assert listed("--state", "open") == {"cam-n", "cam-x"}
    assert listed("--group", "south") == {"cam-s", "cam-x"}
    assert listed("--camera", "cam-n", "--state", "all") == {"cam-n"}
    assert listed("--state", "closed") == set()
    code, out, _ = alert_cli(cli, store, db, "list")
    assert code == 0
    assert "cam-s" in out
    assert "dismissed" in out
    code, out, _ = alert_cli(cli, store, db, "show", ids["cam-n"], "--json")
    shown = json.loads(out)
    assert [event["event"] for event in shown["events"]] == ["opened", "updated", "updated"]
    assert shown["occurrences"] == 3
    assert sorted(d["channel"] for d in shown["deliveries"]) == ["log", "ops-mail"]
    assert {d["state"] for d in shown["deliveries"]} == {"pending"}
    code, out, _ = alert_cli(cli, store, db, "show", ids["cam-n"])
    assert code == 0
    assert "ops-mail" in out


def test_dismissed_as_false_alarm_the_rebaseline_needs_a_second_person_and_grabs_the_current_view(
    cli: Cli, enrolled: tuple[EnrolledCamera, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOV_MONITOR_UNBLURRED", "1")
    camera, root = enrolled
    store = Store(root)
    db = str(store.database_path)
    with Database(db) as database:
        update_alerts(database, store, record_run(database, {camera.camera_id: "redirected"}), SETTINGS)
        (alert,) = list_alerts(database)
    camera.server.put(camera.path, camera.panned)  # the view moved, on purpose (a new pole)
    before = store.reference_image(camera.camera_id, "day")
    dismissed = alert_cli(
        cli,
        root,
        db,
        "dismiss",
        alert.alert_id,
        "--note",
        "pole moved",
        "--propose-rebaseline",
        "--by",
        "tess",
    )
    assert dismissed[0] == 0
    assert_cli_error(
        alert_cli(cli, root, db, "approve-rebaseline", alert.alert_id, "--reason", "ok", "--by", "Tess"),
        "proposed by tess, who cannot also approve",
        "another person",
    )
    assert np.array_equal(store.reference_image(camera.camera_id, "day"), before)
    code, out, err = alert_cli(
        cli,
        root,
        db,
        "approve-rebaseline",
        alert.alert_id,
        "--reason",
        "new pole, permit KS-9",
        "--by",
        "J. Berg",
    )
    assert code == 0, err
    assert "re-baseline approved" in out
    after = store.reference_image(camera.camera_id, "day")
    assert after.shape == camera.panned.shape
    assert np.abs(after.astype(int) - camera.panned.astype(int)).mean() < 3  # JPEG, not the old view
    assert np.abs(before.astype(int) - camera.panned.astype(int)).mean() > 10
    assert list((root / camera.camera_id / "history").iterdir())
    actions = raw(db, "SELECT actor, action, detail_json FROM audit ORDER BY id")[-8:]
    assert [(actor, action) for actor, action, _ in actions] == [
        ("tess", "alert dismissed"),
        ("tess", "alert rebaseline proposed"),
        ("J. Berg", "alert rebaseline approved"),
        ("J. Berg", "face blurring turned off"),  # $FOV_MONITOR_UNBLURRED=1, set above
        ("J. Berg", "reference rebaseline started"),
        ("J. Berg", "permit carried over"),
        ("J. Berg", "reference rebaselined"),
        ("J. Berg", "alert rebaseline applied"),
    ]
    assert json.loads(actions[2][2])["proposed_by"] == "tess"
    assert json.loads(actions[5][2])["shift_fraction"][0] == pytest.approx(CAMERA_SHIFT, abs=0.01)
    assert json.loads(actions[6][2])["approved_by"] == "J. Berg"
    assert "the permit's drawing moved with it" in json.loads(actions[7][2])["permit"]
    assert_cli_error(
        alert_cli(cli, root, db, "reject-rebaseline", alert.alert_id, "--note", "late"),
        "no pending re-baseline proposal",
    )
    # The new reference holds, but the permit's drawing moved with the view: the place it covers is
    # the permitted one, and the 10% beyond it is still reported until a new decision widens it.
    assert cli("check", camera.camera_id, "--store", root)[0] == 3
    height, width = after.shape[:2]
    whole = f"0,0 {width},0 {width},{height} 0,{height}"
    assert cli("permit", "set", camera.camera_id, "--store", root, "--polygon", whole)[0] == 0
    camera.server.put(
        camera.path, np.clip(camera.panned.astype(int) + 1, 0, 255).astype(np.uint8)
    )  # not frozen
    assert cli("check", camera.camera_id, "--store", root)[0] == 0


def test_rejected_rebaseline_keeps_the_reference_and_the_alert_dismissed(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    alert_id = ids["cam-n"]
    assert alert_cli(cli, store, db, "dismiss", alert_id, "--note", "x", "--propose-rebaseline")[0] == 0
    code, out, _ = alert_cli(
        cli, store, db, "reject-rebaseline", alert_id, "--note", "no permit for it", "--json"
    )
    assert code == 0
    assert json.loads(out)["state"] == "dismissed"
    assert audit_of(db, alert_id)[-1] == ("ops-desk", "alert rebaseline rejected", "no permit for it")
    with Database(db) as database:
        assert [a.camera_id for a in list_alerts(database, StateFilter.DISMISSED)] == ["cam-n"]


def test_a_rejected_rebaseline_can_be_proposed_again_as_the_refusal_says(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    alert_id = ids["cam-n"]
    assert (
        alert_cli(cli, store, db, "dismiss", alert_id, "--note", "new pole", "--propose-rebaseline")[0] == 0
    )
    assert alert_cli(cli, store, db, "reject-rebaseline", alert_id, "--note", "no permit yet")[0] == 0
    refusal = alert_cli(cli, store, db, "approve-rebaseline", alert_id, "--reason", "x", "--by", "j.berg")
    assert f"'fov-monitor alerts dismiss {alert_id} --note ... --propose-rebaseline'" in refusal[2]
    code, out, err = alert_cli(
        cli,
        store,
        db,
        "dismiss",
        alert_id,
        "--note",
        "permit KS-9 granted",
        "--propose-rebaseline",
        "--by",
        "a.holm",
    )
    assert code == 0, err
    assert "is dismissed" in out
    with Database(db) as database:
        events = [(e.event, e.actor, e.note) for e in alert_events(database, alert_id)]
        assert review.pending_proposal(alert_events(database, alert_id)).actor == "a.holm"
    assert events[-4:] == [
        ("dismissed", "ops-desk", "new pole"),
        ("rebaseline_proposed", "ops-desk", "new pole"),
        ("rebaseline_rejected", "ops-desk", "no permit yet"),
        ("rebaseline_proposed", "a.holm", "permit KS-9 granted"),
    ], "one more proposal, the alert still dismissed: no second dismissal"
    again = alert_cli(cli, store, db, "dismiss", alert_id, "--note", "again", "--propose-rebaseline")
    assert_cli_error(again, "awaits a decision already")


def test_removing_a_camera_closes_its_alerts_and_announces_it(
    cli: Cli, alerts: tuple[Path, str, dict[str, int]]
) -> None:
    store, db, ids = alerts
    code, out, err = cli("camera", "remove", "cam-n", "--store", store, "--db", db, "--actor", "tom")
    assert code == 0, err
    assert "closed its 1 active alert(s)" in out
    closed = raw(db, "SELECT state, closed_at FROM alerts WHERE id = ?", (ids["cam-n"],))
    assert closed[0][0] == "closed"
    assert closed[0][1] is not None
    (event,) = raw(
        db,
        "SELECT id, actor, note FROM alert_events WHERE alert_id = ? AND event = 'closed'",
        (ids["cam-n"],),
    )
    assert event[1:] == ("tom", "the camera was removed")
    routed = SETTINGS.routes(GROUPS["cam-n"])
    deliveries = raw(db, "SELECT channel, payload_json FROM deliveries WHERE event_id = ?", (event[0],))
    assert sorted(channel for channel, _ in deliveries) == sorted(routed)
    assert all(json.loads(payload)["alert"]["camera_name"] == "CAM-N" for _, payload in deliveries)
    others = raw(db, "SELECT COUNT(*) FROM alerts WHERE closed_at IS NULL AND camera_id <> 'cam-n'")
    assert others == [(2,)]


def _proposal_on_a_silent_camera(store: Store, camera_id: str, silent_port: int, timeout_s: float) -> Alert:
    """Point the camera at a port that accepts and never answers (an approval's grab takes its whole
    timeout), open its redirected alert and dismiss it with a re-baseline proposal; return the alert."""
    config = store.camera(camera_id)
    store.save_camera(
        dataclasses.replace(config, source=f"http://127.0.0.1:{silent_port}/snap.jpg", timeout_s=timeout_s)
    )
    with Database(store.database_path) as database:
        update_alerts(database, store, record_run(database, {camera_id: "redirected"}), SETTINGS)
        (alert,) = list_alerts(database)
        dismiss(database, alert.alert_id, actor="tess", note="new pole", propose_rebaseline=True)
    return alert


def test_an_approval_in_progress_holds_off_a_rejection_and_a_failed_one_is_pending_again(
    enrolled: tuple[EnrolledCamera, Path], silent_port: int
) -> None:
    camera, root = enrolled
    store = Store(root)
    alert = _proposal_on_a_silent_camera(store, camera.camera_id, silent_port, timeout_s=2.0)
    before = store.reference_image(camera.camera_id, "day")
    failures: list[Exception] = []

    def approve() -> None:
        with Database(store.database_path) as database:
            try:
                approve_rebaseline(
                    database,
                    store,
                    alert.alert_id,
                    approver="J. Berg",
                    reason="new pole",
                    privacy=StoreSettings(store.root).privacy,
                )
            except FovMonitorError as exc:
                failures.append(exc)

    approving = threading.Thread(target=approve)
    approving.start()
    time.sleep(0.5)
    with Database(store.database_path) as database, pytest.raises(AlertError, match="no pending re-baseline"):
        reject_rebaseline(database, alert.alert_id, actor="ann", note="not covered")
    approving.join(timeout=30)
    assert [type(exc).__name__ for exc in failures] == ["SourceTimeout"]
    assert np.array_equal(store.reference_image(camera.camera_id, "day"), before)
    with Database(store.database_path) as database:
        events = [event.event for event in alert_events(database, alert.alert_id)]
        assert events[-3:] == ["rebaseline_proposed", "rebaseline_approved", "rebaseline_failed"]
        reject_rebaseline(database, alert.alert_id, actor="ann", note="not covered")  # pending again
        assert alert_events(database, alert.alert_id)[-1].event == "rebaseline_rejected"


def test_an_approval_cut_short_by_a_killed_process_is_pending_again_once_its_grab_would_have_ended(
    enrolled: tuple[EnrolledCamera, Path], silent_port: int
) -> None:
    camera, root = enrolled
    store = Store(root)
    alert = _proposal_on_a_silent_camera(store, camera.camera_id, silent_port, timeout_s=30.0)
    approving = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fov_monitor",
            "alerts",
            "approve-rebaseline",
            str(alert.alert_id),
            "--by",
            "J. Berg",
            "--reason",
            "new pole",
            "--store",
            str(root),
        ],
        env=os.environ | {"PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with Database(store.database_path) as database:
            deadline = time.monotonic() + 60
            while alert_events(database, alert.alert_id)[-1].event != "rebaseline_approved":
                assert approving.poll() is None, "the approval ended before its grab"
                assert time.monotonic() < deadline, "the approval never started"
                time.sleep(0.05)
    finally:
        approving.kill()  # SIGKILL while it waits on the silent camera
        approving.wait()
    with Database(store.database_path) as database:
        events = alert_events(database, alert.alert_id)
        assert events[-1].event == "rebaseline_approved"
        approved_at = datetime.fromisoformat(events[-1].at)
        soon = approved_at + review.INTERRUPTED_AFTER - timedelta(minutes=1)
        later = approved_at + review.INTERRUPTED_AFTER + timedelta(minutes=1)
        assert review.pending_proposal(events, soon) is None
        assert review.pending_proposal(events, later) is not None
        with pytest.raises(AlertError, match="no pending re-baseline"):
            reject_rebaseline(database, alert.alert_id, actor="ann", note="no", at=soon.isoformat())
        reject_rebaseline(database, alert.alert_id, actor="ann", note="not covered", at=later.isoformat())
        assert alert_events(database, alert.alert_id)[-1].event == "rebaseline_rejected"
