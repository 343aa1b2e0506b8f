"""A locked or briefly unavailable database: writes are tried again, then fail in one line, whole.

SQLite: another connection holds the write lock (``BEGIN EXCLUSIVE``). PostgreSQL: the server restarts,
a session is killed in the middle of a transaction, the server is down. Each case checks that a
transaction is all or nothing: never a result without its audit line or scan outcome.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fov_monitor.core.result import Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.errors import ScanLockedError, StoreError
from tests.support.database import raw, row_counts, sample_result
from tests.support.messages import assert_one_line
from tests.support.paths import REPO
from tests.support.postgres_server import PASSWORD, PostgresServer

AT = "2026-03-01T02:15:00+00:00"
FAST = RetryPolicy(attempts=4, first_delay_s=0.05, max_delay_s=0.2, busy_timeout_s=0.1, connect_timeout_s=2)
"""Short waits: a test of the retries must not take the default policy's seconds."""


class Retries:
    """Counts the tries that failed; can run an action on the first (to end the fault)."""

    def __init__(self, on_first: threading.Event | None = None) -> None:
        self.failed: list[str] = []
        self.on_first = on_first

    def __call__(self, attempt: int, error: Exception) -> None:
        self.failed.append(str(error))
        if self.on_first is not None:
            self.on_first.set()


def write_scan_outcome(database: Database, camera_id: str = "cam-1") -> bool:
    """Write one camera's verdict in a scan run: a result, its audit lines and its outcome."""
    run = database.unfinished_scan_run() or database.start_scan_run("night-scan", {}, AT)
    row = ScanOutcomeRow(run.run_id, camera_id, AT, "redirected", ("moved",), True, None)
    record = ScanRecord("night-scan", sample_result(Status.REDIRECTED), "src", None, {}, (("note", {}),))
    return database.record_scan_outcome(row, record)


# SQLite: another process holds the write lock.


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    path = tmp_path / "results.sqlite"
    with Database(path) as database:
        database.start_scan_run("night-scan", {}, AT)
    return path


@pytest.fixture
def exclusive_holder(sqlite_path: Path) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Another connection, in its own thread, holds ``BEGIN EXCLUSIVE`` until ``release`` is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(sqlite_path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute(
            "INSERT INTO audit (at, actor, action, detail_json) VALUES ('t', 'other', 'x', '{}')"
        )
        holding.set()
        release.wait(timeout=60)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(timeout=10)
    yield holding, release
    release.set()
    thread.join()


def test_sqlite_write_waits_out_a_lock_shorter_than_its_tries(
    sqlite_path: Path, exclusive_holder: tuple[threading.Event, threading.Event]
) -> None:
    _, release = exclusive_holder
    retries = Retries(on_first=release)  # the other process finishes while we wait
    with Database(sqlite_path, retry=FAST, on_retry=retries) as database:
        assert write_scan_outcome(database)
    assert len(retries.failed) >= 1
    assert "locked" in retries.failed[0]
    assert row_counts(str(sqlite_path)) == {"results": 1, "audit": 3, "scan_runs": 1, "scan_outcomes": 1}


def test_sqlite_lock_longer_than_the_tries_is_one_line_and_writes_nothing(
    sqlite_path: Path, exclusive_holder: tuple[threading.Event, threading.Event]
) -> None:
    _, release = exclusive_holder
    retries = Retries()
    with Database(sqlite_path, retry=FAST, on_retry=retries) as database:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            write_scan_outcome(database)
        waited_s = time.monotonic() - started
        release.set()
        assert_one_line(
            caught.value, str(sqlite_path), "locked", f"{FAST.attempts} tries over", "nothing was written"
        )
        # The policy's own figure is what a lock that lasts costs (docs/operations.md says it), and a
        # little more: SQLite's own waits for the write-ahead log.
        assert FAST.longest_wait_s() <= waited_s < FAST.longest_wait_s() + 3.0
        assert len(retries.failed) == FAST.attempts - 1
        assert database.scan_counts(1) == {}
    assert row_counts(str(sqlite_path)) == {"results": 0, "audit": 1, "scan_runs": 1, "scan_outcomes": 0}


def test_the_documented_wait_for_a_locked_database_is_the_default_policy_s() -> None:
    policy = RetryPolicy()
    documented = (REPO / "docs" / "operations.md").read_text()
    assert f"gives up after about\n{round(policy.longest_wait_s())} seconds" in documented
    assert (
        f"is tried again, whole, {('one', 'two', 'three', 'four', 'five')[policy.attempts - 1]} times"
        in documented
    )


# PostgreSQL: the server restarts, a session dies mid-transaction, the server is down.

KILL_ON_OUTCOME = """
CREATE SEQUENCE kills;
CREATE FUNCTION kill_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- sequences are not rolled back: the count survives the transaction it kills
    IF nextval('kills') <= {times} THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER kill_session BEFORE INSERT ON scan_outcomes FOR EACH ROW EXECUTE FUNCTION kill_session();
"""
"""The connection dies at the last insert of a scan outcome, after its result and audit lines."""


def test_postgres_write_after_a_server_restart_reconnects(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    retries = Retries()
    with Database(postgres_url, retry=FAST, on_retry=retries) as database:
        assert write_scan_outcome(database, "cam-1")
        postgres_server.restart()  # every session is ended
        assert write_scan_outcome(database, "cam-2")
        assert database.scanned_camera_ids(1) == {"cam-1", "cam-2"}
    assert len(retries.failed) == 1
    assert row_counts(postgres_url) == {"results": 2, "audit": 5, "scan_runs": 1, "scan_outcomes": 2}


@pytest.mark.parametrize("kills", [1, FAST.attempts])
def test_postgres_session_killed_mid_transaction_leaves_no_partial_rows(
    postgres_url: str, kills: int
) -> None:
    with Database(postgres_url, retry=FAST) as database:
        database.start_scan_run("night-scan", {}, AT)
    raw(postgres_url, KILL_ON_OUTCOME.replace("{times}", str(kills)))
    retries = Retries()
    with Database(postgres_url, retry=FAST, on_retry=retries) as database:
        if kills < FAST.attempts:
            assert write_scan_outcome(database)
            expected = {"results": 1, "audit": 3, "scan_runs": 1, "scan_outcomes": 1}
        else:
            with pytest.raises(StoreError) as caught:
                write_scan_outcome(database)
            assert_one_line(caught.value, "stayed unavailable", f"{FAST.attempts} tries", "nothing was half")
            expected = {"results": 0, "audit": 1, "scan_runs": 1, "scan_outcomes": 0}
    assert len(retries.failed) == min(kills, FAST.attempts - 1)
    assert "terminating connection" in retries.failed[0]
    assert row_counts(postgres_url) == expected


def test_postgres_server_down_longer_than_the_tries_is_one_line_without_the_password(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    database = Database(postgres_url, retry=FAST)
    try:
        postgres_server.stop()
        with pytest.raises(StoreError) as caught:
            write_scan_outcome(database)
    finally:
        postgres_server.start()
    shown = postgres_url.replace(PASSWORD, "***")
    assert_one_line(caught.value, f"database {shown} ", "stayed unavailable", "nothing was half-written")
    assert PASSWORD not in str(caught.value)
    assert write_scan_outcome(database)  # the server is back: the same Database goes on
    database.close()
    assert row_counts(postgres_url)["scan_outcomes"] == 1


def test_postgres_unreachable_at_open_is_one_line_naming_the_fix(postgres_server: PostgresServer) -> None:
    url = postgres_server.url("fov_missing")
    with pytest.raises(StoreError) as caught:
        Database(url, retry=FAST)
    assert_one_line(caught.value, url.replace(PASSWORD, "***"), "does not exist", "--db", "FOV_MONITOR_DB")
    assert PASSWORD not in str(caught.value)
    wrong = postgres_server.url("postgres", password="not-it")
    with pytest.raises(StoreError) as caught:
        Database(wrong, retry=FAST)
    assert_one_line(caught.value, "password authentication failed", "password")
    assert "not-it" not in str(caught.value)


# The scan lock of a shared PostgreSQL database.


def test_postgres_scan_lock_is_one_scan_per_database(postgres_url: str) -> None:
    with Database(postgres_url) as first, Database(postgres_url) as second:
        with first.scan_lock():
            with pytest.raises(ScanLockedError) as caught, second.scan_lock():
                pass
            assert_one_line(
                caught.value, "another scan (fov-monitor on ", "pid ", postgres_url.replace(PASSWORD, "***")
            )
            assert PASSWORD not in str(caught.value)
        with second.scan_lock():  # released: the next scan may run
            pass


def test_postgres_scan_lock_is_taken_again_after_a_restart(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    with (
        Database(postgres_url, retry=FAST) as scan,
        Database(postgres_url, retry=FAST) as other,
        scan.scan_lock(),
    ):
        postgres_server.restart()
        assert write_scan_outcome(scan)  # reconnects and takes its lock again first
        with pytest.raises(ScanLockedError), other.scan_lock():
            pass


def test_postgres_scan_that_lost_its_lock_to_another_stops(postgres_url: str) -> None:
    with Database(postgres_url, retry=FAST) as scan, Database(postgres_url, retry=FAST) as other:
        with scan.scan_lock():
            [(holder,)] = raw(
                postgres_url,
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            assert raw(postgres_url, "SELECT pg_terminate_backend(?, 10000)", (holder,)) == [(True,)]
            with other.scan_lock():
                with pytest.raises(ScanLockedError) as caught:
                    write_scan_outcome(scan)
                assert_one_line(caught.value, "lost with the connection", "this one stops")
        assert row_counts(postgres_url)["scan_outcomes"] == 0
