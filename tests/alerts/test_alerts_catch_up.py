"""A channel added later is told once, marked as a catch-up, of the alerts open before it existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fov_monitor.alerts import update_alerts
from fov_monitor.alerts.channels.mail import render_mail
from fov_monitor.alerts.settings import AlertSettings, EvidenceMode
from fov_monitor.db.database import Database
from tests.support.alert_runs import ACTOR, make_store, record_run
from tests.support.cli import run_main

GROUPS = {"cam-n": "north", "cam-s": "south", "cam-x": "north"}
LOG = {"name": "log", "kind": "jsonl", "path": "log.jsonl"}
NORTH = {"name": "north-desk", "kind": "jsonl", "path": "north.jsonl", "groups": ["north"]}


def _channels(root: Path, *channels: dict[str, object]) -> AlertSettings:
    document = {"schema_version": 1, "thresholds": {"offline_after_scans": 1}, "channels": list(channels)}
    (root / "alerts.json").write_text(json.dumps(document), encoding="utf-8")
    return AlertSettings.for_store(root)


def _lines(root: Path, name: str) -> list[dict[str, object]]:
    path = root / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_new_channel_hears_once_of_what_was_open_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store(tmp_path / "store", GROUPS)
    root, database_path = store.root, store.root / "fov-monitor.sqlite"
    deliver = ("alerts", "deliver", "--store", root, "--db", database_path)
    before = _channels(root, LOG)
    with Database(database_path) as database:
        for outcomes in (
            {"cam-x": "tampered"},
            {"cam-n": "redirected", "cam-s": "offline", "cam-x": "compliant"},
        ):
            update_alerts(database, store, record_run(database, outcomes), before, actor=ACTOR)
    assert run_main(capsys, *deliver)[0] == 0

    _channels(root, LOG, NORTH)  # the north desk's reviewers join
    assert run_main(capsys, *deliver)[0] == 0
    (announced,) = _lines(root, "north.jsonl")  # cam-n's open alert; not cam-x's closed one, nor the south's
    assert announced["alert"]["camera_id"] == "cam-n"  # type: ignore[index]
    assert (announced["event"], announced["catch_up"]) == ("opened", True)
    assert announced["alert"]["state"] == "open"  # type: ignore[index]
    assert len(_lines(root, "log.jsonl")) == 4, "the log had them all already: nothing repeated"
    subject = render_mail(announced, EvidenceMode.NONE).subject
    assert subject == "[fov-monitor] cam-n: redirected alert opened (announced late)"

    assert run_main(capsys, *deliver)[0] == 0
    assert len(_lines(root, "north.jsonl")) == 1, "told once"
    with Database(database_path) as database:
        update_alerts(
            database, store, record_run(database, {"cam-n": "compliant"}), AlertSettings.for_store(root)
        )
    run_main(capsys, *deliver)
    assert [line["event"] for line in _lines(root, "north.jsonl")] == ["opened", "closed"]
