"""The outbox: every delivery sent at least once, none lost, repeats recognisable by their key.

Receivers are real (an HTTP server on loopback); the sender is killed with SIGKILL in a subprocess.
Time is passed to ``deliver_due`` as ``now`` so that back-offs need no waiting.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fov_monitor.alerts.channels import exchange
from fov_monitor.alerts.channels.exchange import exchange_deadline_s
from fov_monitor.alerts.outbox import _claim, deliver_due, lease_s, outbox_rows
from fov_monitor.alerts.settings import AlertSettings
from fov_monitor.db.database import Database
from fov_monitor.store.store import Store
from tests.support.cli import run_main
from tests.support.delivery import SECRET, SECRET_ENV, T0, Drip, Receiver, seed, states, write_settings
from tests.support.paths import REPO

HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    Store(root).init()
    return root


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def hook(url: str, timeout_s: float = 5.0, **extra: Any) -> dict[str, Any]:
    return {
        "name": "hook",
        "kind": "webhook",
        "url": url,
        "secret_env": SECRET_ENV,
        "timeout_s": timeout_s,
        **extra,
    }


def audit_actions(database: Database) -> list[tuple[str, str]]:
    rows = database.read("SELECT action, detail_json FROM audit WHERE action LIKE 'delivery %' ORDER BY id")
    return [(action, json.loads(detail)["idempotency_key"]) for action, detail in rows]


def test_down_then_slow_then_failing_receiver_gets_every_key_once(store: Path, closed_port: int) -> None:
    write_settings(store, [hook(f"http://127.0.0.1:{closed_port}/hook", timeout_s=0.3)], max_attempts=10)
    settings = AlertSettings.for_store(store)
    with Database(store / "results.sqlite") as database:
        keys = seed(database, ["hook"], alerts=5)
        report = deliver_due(database, store, settings, now=T0)  # the receiver is down
        assert (report.retrying, report.sent) == (5, 0)
        assert all("unreachable" in (row.last_error or "") for row in outbox_rows(database))
        receiver = Receiver(port=closed_port, fail_first=2, slow_first=1, slow_s=0.8)
        try:
            now = T0
            for _ in range(6):
                now += HOUR
                deliver_due(database, store, settings, now=now)
            assert set(states(database).values()) == {"sent"}
            assert sorted(receiver.processed) == sorted(keys)  # nothing lost, each taken once
            assert receiver.bad_signatures == 0
            assert sum(receiver.seen.values()) == len(keys) + 1  # the slow one was sent again...
            assert max(receiver.seen.values()) == 2  # ...with the same key, so it was dropped
            assert [action for action, _ in audit_actions(database)] == ["delivery sent"] * len(keys)
            assert all(row.attempts >= 2 for row in outbox_rows(database))
        finally:
            receiver.close()


def test_a_400_is_given_up_at_once_shown_in_the_outbox_and_can_be_retried(
    store: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    write_settings(store, [hook(receiver.url)])
    database_path = store / "results.sqlite"
    with Database(database_path) as database:
        (key,) = seed(database, ["hook"])
    receiver.status = 400
    code, out, _ = run_main(capsys, "alerts", "deliver", "--store", store, "--db", database_path, "--json")
    assert code == 3, "given up: a person must look"
    assert json.loads(out)["failed"] == 1
    code, out, _ = run_main(
        capsys, "alerts", "outbox", "--state", "failed", "--store", store, "--db", database_path, "--json"
    )
    (row,) = json.loads(out)
    assert (row["idempotency_key"], row["state"], row["attempts"]) == (key, "failed", 1)
    assert "400" in row["last_error"]
    code, out, _ = run_main(capsys, "alerts", "outbox", "--store", store, "--db", database_path)
    assert "failed" in out
    assert "400" in out
    code, out, _ = run_main(
        capsys, "alerts", "outbox", "--state", "pending", "--store", store, "--db", database_path, "--json"
    )
    assert json.loads(out) == []
    receiver.status = None
    code, _, _ = run_main(
        capsys, "alerts", "retry", str(row["delivery_id"]), "--store", store, "--db", database_path
    )
    assert code == 0
    run_main(capsys, "alerts", "deliver", "--store", store, "--db", database_path)
    with Database(database_path) as database:
        assert states(database) == {key: "sent"}
        assert audit_actions(database) == [
            ("delivery failed", key),
            ("delivery retried", key),
            ("delivery sent", key),
        ]
    assert receiver.processed == [key]


def test_retry_of_a_delivery_that_did_not_fail_is_refused(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_settings(store, [])
    with Database(store / "results.sqlite") as database:
        seed(database, ["hook"])
    result = run_main(capsys, "alerts", "retry", "1", "--store", store, "--db", store / "results.sqlite")
    assert result[0] == 1
    assert "pending, not failed" in result[2]
    assert (
        "no delivery 99"
        in run_main(capsys, "alerts", "retry", "99", "--store", store, "--db", store / "results.sqlite")[2]
    )


def test_backoff_doubles_and_gives_up_after_max_attempts(store: Path, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/hook"
    write_settings(store, [hook(url)], max_attempts=4, first_backoff_s=10, max_backoff_s=25)
    settings = AlertSettings.for_store(store)
    with Database(store / "results.sqlite") as database:
        (key,) = seed(database, ["hook"])
        due = T0
        waits = []
        for _ in range(3):
            (outcome,) = deliver_due(database, store, settings, now=due).outcomes
            assert outcome.outcome == "retrying"
            assert deliver_due(database, store, settings, now=due).outcomes == []  # not due again yet
            next_due = datetime.fromisoformat(outbox_rows(database)[0].next_attempt_at)
            waits.append((next_due - due).total_seconds())
            due = next_due
        assert waits == [10, 20, 25]
        (outcome,) = deliver_due(database, store, settings, now=due).outcomes
        assert outcome.outcome == "failed"
        (row,) = outbox_rows(database, "failed")
        assert row.attempts == 4
        assert "gave up after 4 tries" in (row.last_error or "")
        assert audit_actions(database) == [("delivery failed", key)]


def test_a_channel_no_longer_configured_fails_with_the_reason(store: Path) -> None:
    write_settings(store, [{"name": "log", "kind": "jsonl", "path": "alerts.jsonl"}])
    settings = AlertSettings.for_store(store)
    with Database(store / "results.sqlite") as database:
        seed(database, ["old-mail", "log"])
        report = deliver_due(database, store, settings, now=T0)
        assert (report.sent, report.failed) == (1, 1)
        (failed,) = outbox_rows(database, "failed")
        assert failed.channel == "old-mail"
        assert "'old-mail' is not configured" in (failed.last_error or "")
        assert str(store / "alerts.json") in (failed.last_error or "")


def test_two_senders_at_once_never_send_the_same_delivery(database_location: str, tmp_path: Path) -> None:
    receiver = Receiver()
    try:
        write_settings(tmp_path, [hook(receiver.url), {"name": "log", "kind": "jsonl", "path": "log.jsonl"}])
        settings = AlertSettings.for_store(tmp_path)
        with Database(database_location) as database:
            keys = seed(database, ["hook", "log"], alerts=15)
        start = threading.Barrier(2)

        def sender() -> None:
            with Database(database_location) as database:
                start.wait()
                deliver_due(database, tmp_path, settings, now=T0)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        logged = [
            json.loads(line)["idempotency_key"] for line in (tmp_path / "log.jsonl").read_text().splitlines()
        ]
        assert sorted(logged) == sorted(key for key in keys if key.endswith("-log"))
        assert sorted(receiver.seen.elements()) == sorted(key for key in keys if key.endswith("-hook"))
        with Database(database_location) as database:
            assert set(states(database).values()) == {"sent"}
            assert {row.attempts for row in outbox_rows(database)} == {1}
    finally:
        receiver.close()


def test_a_claimed_delivery_waits_out_its_lease_then_is_sent_again(
    database_location: str, tmp_path: Path
) -> None:
    write_settings(tmp_path, [{"name": "log", "kind": "jsonl", "path": "log.jsonl"}])
    settings = AlertSettings.for_store(tmp_path)
    with Database(database_location) as database:
        (key,) = seed(database, ["log"])
        lease = timedelta(seconds=lease_s(settings))
        claimed = _claim(database, T0.isoformat(), (T0 + lease).isoformat())  # a sender that then died
        assert claimed is not None
        assert claimed.attempts == 1
        assert deliver_due(database, tmp_path, settings, now=T0 + lease / 2).outcomes == []
        (outcome,) = deliver_due(database, tmp_path, settings, now=T0 + lease).outcomes
        assert (outcome.outcome, outcome.attempts) == ("sent", 2)
        assert states(database) == {key: "sent"}


def _fov_monitor(store: Path, *args: str) -> subprocess.Popen[str]:
    environment = os.environ | {"PYTHONPATH": str(REPO), SECRET_ENV: SECRET}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fov_monitor",
            *args,
            "--store",
            str(store),
            "--db",
            str(store / "results.sqlite"),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sender_killed_while_the_receiver_holds_the_request_loses_nothing(
    store: Path, receiver: Receiver
) -> None:
    write_settings(store, [hook(receiver.url)])
    with Database(store / "results.sqlite") as database:
        keys = seed(database, ["hook"], alerts=3)
    receiver.hold = True
    process = _fov_monitor(store, "alerts", "deliver")
    try:
        assert receiver.in_flight.wait(60), process.communicate(timeout=5)
    finally:
        process.kill()  # SIGKILL: the receiver has the first delivery, the sender never marks it
        process.wait()
    receiver.hold = False
    receiver.release.set()
    settings = AlertSettings.for_store(store)
    with Database(store / "results.sqlite") as database:
        assert set(states(database).values()) == {"pending"}
        restart = datetime.now(UTC) + timedelta(seconds=lease_s(settings) + 1)  # past the dead one's lease
        deliver_due(database, store, settings, now=restart)
        assert set(states(database).values()) == {"sent"}
    assert sorted(receiver.processed) == sorted(keys)
    assert sorted(receiver.seen.values()) == [1, 1, 2]  # the one in flight came twice, with its key


WRITER = """
import os, signal
from tests.support.delivery import seed
from fov_monitor.db.database import Database
database = Database({database!r})
seed(database, ["hook", "log"], alerts=4)
os.kill(os.getpid(), signal.SIGKILL)  # dies right after the alerts and their outbox rows are written
"""


def test_writer_killed_before_any_send_then_everything_is_sent_by_the_next_deliver(
    store: Path, receiver: Receiver
) -> None:
    write_settings(store, [hook(receiver.url), {"name": "log", "kind": "jsonl", "path": "log.jsonl"}])
    script = WRITER.format(database=str(store / "results.sqlite"))
    writer = subprocess.run(
        [sys.executable, "-c", script], env=os.environ | {"PYTHONPATH": str(REPO)}, check=False
    )
    assert writer.returncode == -signal.SIGKILL
    process = _fov_monitor(store, "alerts", "deliver", "--json")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert json.loads(out)["sent"] == 8
    with Database(store / "results.sqlite") as database:
        keys = list(states(database))
        assert set(states(database).values()) == {"sent"}
    assert sorted(receiver.processed) == sorted(key for key in keys if key.endswith("-hook"))
    assert set(receiver.seen.values()) == {1}
    assert len((store / "log.jsonl").read_text().splitlines()) == 4


def test_deliver_loop_works_until_sigterm_then_stops_cleanly(store: Path, receiver: Receiver) -> None:
    write_settings(store, [hook(receiver.url)])
    with Database(store / "results.sqlite") as database:
        keys = seed(database, ["hook"], alerts=2)
    process = _fov_monitor(store, "alerts", "deliver", "--loop", "--interval", "0.2")
    try:
        receiver.hold = True  # the worker is busy with a delivery when it is told to stop
        assert receiver.in_flight.wait(60), process.communicate(timeout=5)
        process.send_signal(signal.SIGTERM)
        receiver.release.set()
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    with Database(store / "results.sqlite") as database:
        done = states(database)
    assert done[keys[0]] == "sent"  # the delivery in hand was finished and marked
    assert receiver.seen[keys[0]] == 1
    assert "sent" in out


# Hard limits on an exchange, stops that do not wait, refused recipients, exit codes


DRIPPED_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"


def test_a_dripping_webhook_is_cut_at_its_exchange_deadline_well_inside_the_lease(store: Path) -> None:
    drip = Drip(DRIPPED_ANSWER, b"x" * 40, 0.2, http=True)  # every wait 0.2 s, the whole answer 8 s
    try:
        write_settings(store, [hook(drip.url, timeout_s=0.3)])
        settings = AlertSettings.for_store(store)
        with Database(store / "results.sqlite") as database:
            seed(database, ["hook"])
            started = time.monotonic()
            (outcome,) = deliver_due(database, store, settings, now=T0).outcomes
            took = time.monotonic() - started
    finally:
        drip.close()
    # Before, timeout_s bounded each wait only: the send went on as long as the receiver dripped.
    assert outcome.outcome == "retrying", outcome
    assert "did not finish the exchange within 1.2 s (4 x its timeout_s 0.3 s)" in (outcome.error or "")
    assert took < 3.0, took
    assert exchange_deadline_s(0.3) < lease_s(settings), "no second sender can take it meanwhile"


def test_a_stop_cuts_the_exchange_in_hand_after_a_short_grace_and_leaves_it_due(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange, "STOP_GRACE_S", 0.3)
    drip = Drip(DRIPPED_ANSWER, b"x" * 40, 0.2, http=True)
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)  # SIGTERM to the worker, while the receiver drips
    try:
        write_settings(store, [hook(drip.url, timeout_s=10)])
        settings = AlertSettings.for_store(store)
        with Database(store / "results.sqlite") as database:
            seed(database, ["hook"], alerts=2)
            started = time.monotonic()
            timer.start()
            report = deliver_due(database, store, settings, now=T0, stop=stop)
            took = time.monotonic() - started
            rows = {row.delivery_id: row for row in outbox_rows(database)}
    finally:
        timer.cancel()
        timer.join()
        drip.close()
    assert took < 3.0, f"the stop waited out the slow exchange ({took:.1f} s)"
    (outcome,) = report.outcomes
    assert outcome.outcome == "interrupted"
    row = rows.pop(outcome.delivery_id)
    assert (row.state, row.attempts) == ("pending", 0), "due again at once, the try not counted"
    assert datetime.fromisoformat(row.next_attempt_at) < T0 + timedelta(seconds=10)
    assert "stopped during the exchange" in (row.last_error or "")
    assert [other.attempts for other in rows.values()] == [0], "nothing further claimed"
    with Database(store / "results.sqlite") as database:
        assert audit_actions(database) == []


def test_a_sent_delivery_keeps_no_error_of_an_earlier_try(store: Path) -> None:
    receiver = Receiver(fail_first=1)
    try:
        write_settings(store, [hook(receiver.url)])
        settings = AlertSettings.for_store(store)
        with Database(store / "results.sqlite") as database:
            seed(database, ["hook"])
            assert deliver_due(database, store, settings, now=T0).retrying == 1
            assert "answered 500" in (outbox_rows(database)[0].last_error or "")
            assert deliver_due(database, store, settings, now=T0 + HOUR).sent == 1
            (row,) = outbox_rows(database)
    finally:
        receiver.close()
    assert (row.state, row.last_error) == ("sent", None)


def test_alerts_deliver_exits_like_scan(
    store: Path, closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    database_path = store / "results.sqlite"
    deliver = ("alerts", "deliver", "--store", store, "--db", database_path)
    write_settings(store, [hook(f"http://127.0.0.1:{closed_port}/hook", timeout_s=0.3)])
    assert run_main(capsys, *deliver)[0] == 0, "nothing due"
    with Database(database_path) as database:
        seed(database, ["hook"])
    code, out, _ = run_main(capsys, *deliver)
    assert (code, out.splitlines()[0]) == (4, "0 sent, 1 to retry, 0 failed"), "a passing failure waits"
    code, out, _ = run_main(capsys, "alerts", "deliver", "--help")
    assert "3 some delivery was given up" in " ".join(out.split())


def test_a_time_budget_bounds_the_whole_call_and_leaves_the_rest_due(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange, "STOP_GRACE_S", 0.3)
    drip = Drip(DRIPPED_ANSWER, b"x" * 40, 0.2, http=True)
    try:
        write_settings(store, [hook(drip.url, timeout_s=10)])
        settings = AlertSettings.for_store(store)
        with Database(store / "results.sqlite") as database:
            keys = seed(database, ["hook"], alerts=3)
            started = time.monotonic()
            report = deliver_due(database, store, settings, now=T0, within_s=0.5, newer_than=0)
            took = time.monotonic() - started
            attempts = dict(database.read("SELECT idempotency_key, attempts FROM deliveries"))
    finally:
        drip.close()
    assert took < 2.5, took
    assert [outcome.outcome for outcome in report.outcomes] == ["interrupted"]
    assert [attempts[key] for key in keys] == [0, 0, 0], "all due again for the delivery worker"
