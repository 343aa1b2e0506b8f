"""The results database on both dialects: SQLite files and a real PostgreSQL server.

Every test here runs twice through the ``database_location`` fixture: once on a new SQLite file, once
on a new database of the session's PostgreSQL server (tests/support/postgres_server.py).
"""

from __future__ import annotations

import threading

import pytest

from fov_monitor.core.result import Status
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord
from fov_monitor.db.location import DatabaseLocation, Dialect
from fov_monitor.db.postgres import PostgresConnection, to_psycopg
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.db.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION, SQLITE_MIGRATIONS
from fov_monitor.db.sqlite import SqliteConnection
from fov_monitor.errors import StoreError
from tests.support.database import RAW_ERRORS, is_postgres, raw, row_counts, sample_result
from tests.support.messages import assert_one_line

AT = "2026-03-01T02:15:00+00:00"


def test_each_migration_is_written_for_both_dialects() -> None:
    assert len(SQLITE_MIGRATIONS) == len(POSTGRES_MIGRATIONS) == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1 FROM t WHERE a = ? AND b = ?", "SELECT 1 FROM t WHERE a = %s AND b = %s"),
        ("SELECT '50%' WHERE a = ?", "SELECT '50%%' WHERE a = %s"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_queries_are_written_once_with_question_marks(sql: str, expected: str) -> None:
    assert to_psycopg(sql) == expected


def test_new_database_gets_the_whole_schema(database_location: str) -> None:
    with Database(database_location) as database:
        assert database.schema_version() == SCHEMA_VERSION
        assert database.dialect is (Dialect.POSTGRESQL if is_postgres(database_location) else Dialect.SQLITE)
    assert row_counts(database_location) == {"results": 0, "audit": 0, "scan_runs": 0, "scan_outcomes": 0}
    with Database(database_location) as database:  # opening again migrates nothing
        assert database.schema_version() == SCHEMA_VERSION


def test_result_round_trips_with_its_fingerprint_and_audit_line(database_location: str) -> None:
    result = sample_result(Status.REDIRECTED)
    with Database(database_location) as database:
        result_id = database.record_result(
            "cam-1",
            result,
            checked_at=AT,
            source="http://cam-1/snap.jpg",
            evidence_path="e.png",
            actor="tess",
        )
        later = database.record_result(
            "cam-1", sample_result(), checked_at=AT, source="s", evidence_path=None, actor="tess"
        )
        [newest, first] = database.history("cam-1")
        stored = database.last_fingerprint("cam-1")
        document = database.result_document(result_id)
        audit = database.audit_entries("cam-1")
    assert (newest.result_id, first.result_id) == (later, result_id)  # same time: the later id first
    assert (first.status, first.summary, first.source, first.evidence_path) == (
        "redirected", "the view is inside the permit", "http://cam-1/snap.jpg", "e.png",
    )  # fmt: skip
    assert first.outside_fraction == 0.0125  # 8-byte floats in both dialects
    assert first.shift_fraction == 0.03
    assert first.confidence == 0.875
    assert stored is not None
    assert result.fingerprint is not None
    assert stored == result.fingerprint.to_bytes()
    assert document == result.to_dict()
    assert [(e.action, e.detail["result_id"]) for e in audit] == [("check", later), ("check", result_id)]


def test_unknown_rows_read_as_nothing(database_location: str) -> None:
    with Database(database_location) as database:
        assert database.history("cam-9") == []
        assert database.last_fingerprint("cam-9") is None
        assert database.result_document(999) is None
        assert database.audit_entries() == []
        assert database.unfinished_scan_run() is None


def test_audit_log_refuses_update_and_delete(database_location: str) -> None:
    with Database(database_location) as database:
        database.audit("ann", "camera added", "cam-1", {"source": "a.jpg"}, at=AT)
    statements = ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"]
    if is_postgres(database_location):
        statements.append("TRUNCATE audit")
    for statement in statements:
        with pytest.raises(RAW_ERRORS, match="append-only"):
            raw(database_location, statement)
    with Database(database_location) as database:
        [entry] = database.audit_entries()
    assert (entry.actor, entry.action, entry.camera_id, dict(entry.detail)) == (
        "ann", "camera added", "cam-1", {"source": "a.jpg"},
    )  # fmt: skip


def test_scan_outcome_is_written_once_per_run_and_camera(database_location: str) -> None:
    with Database(database_location) as database:
        run = database.start_scan_run("night-scan", {"group": "harbour"}, AT)
        assert database.unfinished_scan_run() == run
        verdict = ScanOutcomeRow(run.run_id, "cam-2", AT, "redirected", ("moved",), True, None)
        record = ScanRecord("night-scan", sample_result(Status.REDIRECTED), "src", "e.png", {"first": "x"})
        assert database.record_scan_outcome(verdict, record) is True
        assert database.record_scan_outcome(verdict, record) is False  # a resumed run: kept, not doubled
        offline = ScanOutcomeRow(run.run_id, "cam-1", AT, "offline", ("timed out",), False, None)
        assert database.record_scan_outcome(offline, ScanRecord("night-scan")) is True
        assert database.scanned_camera_ids(run.run_id) == {"cam-1", "cam-2"}
        assert database.scan_counts(run.run_id) == {"offline": 1, "redirected": 1}
        outcomes = list(database.scan_outcomes(run.run_id))
        database.finish_scan_run(run.run_id, AT, "night-scan", database.scan_counts(run.run_id))
        assert database.unfinished_scan_run() is None
        [result] = database.history("cam-2")
    assert [(o.camera_id, o.outcome, o.rechecked) for o in outcomes] == [
        ("cam-1", "offline", False), ("cam-2", "redirected", True),
    ]  # fmt: skip
    assert outcomes[0].result_id is None
    assert outcomes[1].result_id == result.result_id
    assert row_counts(database_location) == {"results": 1, "audit": 4, "scan_runs": 1, "scan_outcomes": 2}
    with pytest.raises(RAW_ERRORS):  # the database itself refuses a second outcome
        raw(
            database_location,
            "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reasons_json, rechecked) "
            "VALUES (?, 'cam-1', 't', 'compliant', '[]', 0)",
            (run.run_id,),
        )


def test_database_at_the_previous_version_is_migrated_keeping_its_rows(database_location: str) -> None:
    location = DatabaseLocation.parse(database_location)
    older = (PostgresConnection if is_postgres(database_location) else SqliteConnection)(
        location, RetryPolicy()
    )
    older.migrate(SCHEMA_VERSION - 1)
    assert older.schema_version() == SCHEMA_VERSION - 1
    older.close()
    raw(
        database_location,
        "INSERT INTO results (camera_id, checked_at, status, reasons_json, source, result_json, fingerprint) "
        "VALUES ('cam-1', ?, 'compliant', '[]', 'src', '{}', ?)",
        (AT, b"\x01\x02"),
    )
    raw(
        database_location,
        "INSERT INTO users (name, password_hash, role, created_at, disabled) "
        "VALUES ('berg', 'h', 'auditor', ?, 0)",
        (AT,),
    )
    with Database(database_location) as database:
        assert database.schema_version() == SCHEMA_VERSION
        [row] = database.history("cam-1")
        run = database.start_scan_run("night-scan", {}, AT)
        database.record_scan_outcome(
            ScanOutcomeRow(run.run_id, "cam-1", AT, "offline", ("refused",), False, None), ScanRecord("n")
        )
        assert database.last_fingerprint("cam-1") == b"\x01\x02"
    assert (row.camera_id, row.status) == ("cam-1", "compliant")
    assert raw(database_location, "SELECT run_id FROM results") == [(None,)]
    assert raw(database_location, "SELECT name, language FROM users") == [("berg", None)], (
        "no language chosen"
    )


def test_newer_schema_is_a_one_line_error_without_the_password(database_location: str) -> None:
    Database(database_location).close()
    if is_postgres(database_location):
        raw(database_location, "UPDATE schema_version SET version = 99")
    else:
        raw(database_location, "PRAGMA user_version = 99")
    with pytest.raises(StoreError) as caught:
        Database(database_location)
    shown = DatabaseLocation.parse(database_location).shown
    assert_one_line(caught.value, f"database {shown} ", "schema version 99", "upgrade fov-monitor")
    assert "s3cret" not in str(caught.value)


def test_databases_opened_at_once_migrate_the_new_schema_once(database_location: str) -> None:
    opened: list[int] = []
    failed: list[BaseException] = []
    start = threading.Barrier(4)

    def open_database() -> None:
        start.wait()
        try:
            with Database(database_location) as database:
                opened.append(database.schema_version())
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=open_database) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert opened == [SCHEMA_VERSION] * 4
