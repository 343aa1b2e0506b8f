"""Results and the audit log, in SQLite beside the store.

The schema is versioned (``PRAGMA user_version``) and migrated forward on open. Each write is one
transaction: a crash leaves either the whole row or none. The audit log is append-only: nothing in
fov-monitor updates or deletes its rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fov_monitor.errors import StoreError
from fov_monitor.result import CheckResult

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        outside_fraction REAL,
        shift_fraction REAL,
        confidence REAL,
        reference_label TEXT,
        source TEXT NOT NULL,
        evidence_path TEXT,
        result_json TEXT NOT NULL
    );
    CREATE INDEX results_by_camera ON results (camera_id, checked_at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        camera_id TEXT,
        detail_json TEXT NOT NULL
    );
    CREATE INDEX audit_by_camera ON audit (camera_id, at);
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: each result keeps its frame's fingerprint, so the next check can tell a frozen feed.
    """
    ALTER TABLE results ADD COLUMN fingerprint BLOB;
    """,
    # 3: scan runs. Each camera's outcome in a run is one row, unique per (run, camera), written in the
    # same transaction as its result: a scan killed at any moment resumes without duplicates.
    """
    CREATE TABLE scan_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        actor TEXT NOT NULL,
        selection_json TEXT NOT NULL
    );
    ALTER TABLE results ADD COLUMN run_id INTEGER REFERENCES scan_runs (id);
    CREATE TABLE scan_outcomes (
        run_id INTEGER NOT NULL REFERENCES scan_runs (id),
        camera_id TEXT NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        rechecked INTEGER NOT NULL,
        result_id INTEGER REFERENCES results (id),
        UNIQUE (run_id, camera_id)
    );
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored check result."""

    result_id: int
    camera_id: str
    checked_at: str
    status: str
    summary: str
    outside_fraction: float | None
    shift_fraction: float | None
    confidence: float | None
    reference_label: str | None
    source: str
    evidence_path: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class ScanRun:
    """One scan run: when it started and ended (None while unfinished), who ran it, what it covers."""

    run_id: int
    started_at: str
    finished_at: str | None
    actor: str
    selection: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScanOutcomeRow:
    """What one scan run recorded for one camera: a verdict, ``offline`` or ``error``, with its reason."""

    run_id: int
    camera_id: str
    at: str
    outcome: str
    reason: str
    rechecked: bool
    result_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who did what, when, to which camera."""

    entry_id: int
    at: str
    actor: str
    action: str
    camera_id: str | None
    detail: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {
            "detail": dict(self.detail)
        }


class Database:
    """The results and audit-log database.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created with its schema on first use.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open the database {self.path} ({exc}); check the store folder"
            ) from None
        self._connection.row_factory = sqlite3.Row
        try:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._connection.close()
            raise StoreError(
                f"database {self.path} cannot be used ({exc}); restore it from backup or move it away"
            ) from None

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"database {self.path} refused the write ({exc}); check that the store is writable "
                    "and has free space; nothing was half-written"
                ) from None
            raise

    def _migrate(self) -> None:
        version = int(self._connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {version}, newer than this fov-monitor "
                f"({SCHEMA_VERSION}); upgrade fov-monitor"
            )
        for number in range(version, SCHEMA_VERSION):
            with self._transaction() as connection:
                for statement in _MIGRATIONS[number].split(";\n"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")

    def record_result(
        self,
        camera_id: str,
        result: CheckResult,
        *,
        checked_at: str,
        source: str,
        evidence_path: str | None,
        actor: str,
    ) -> int:
        """Store a check result and its audit line in one transaction; return the result's id."""
        with self._transaction() as connection:
            return _insert_result(
                connection, camera_id, result, checked_at, source, evidence_path, actor, None, {}
            )

    def start_scan_run(self, actor: str, selection: Mapping[str, Any], at: str) -> ScanRun:
        """Open a new scan run covering ``selection`` (the scan's options) and return it."""
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO scan_runs (started_at, actor, selection_json) VALUES (?, ?, ?)",
                (at, actor, json.dumps(dict(selection), sort_keys=True)),
            )
            run_id = int(cursor.lastrowid or 0)
            _append_audit(connection, at, actor, "scan started", None, {"run_id": run_id, **selection})
        return ScanRun(run_id, at, None, actor, dict(selection))

    def unfinished_scan_run(self) -> ScanRun | None:
        """Return the latest scan run that has not finished, if any."""
        row = self._connection.execute(
            "SELECT id, started_at, finished_at, actor, selection_json FROM scan_runs "
            "WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else ScanRun(row[0], row[1], row[2], row[3], json.loads(row[4]))

    def finish_scan_run(self, run_id: int, at: str, actor: str, counts: Mapping[str, int]) -> None:
        """Mark a scan run finished and write its counts to the audit log."""
        with self._transaction() as connection:
            connection.execute("UPDATE scan_runs SET finished_at = ? WHERE id = ?", (at, run_id))
            _append_audit(connection, at, actor, "scan finished", None, {"run_id": run_id, **counts})

    def scanned_camera_ids(self, run_id: int) -> set[str]:
        """Return the cameras that already have an outcome in the run."""
        rows = self._connection.execute("SELECT camera_id FROM scan_outcomes WHERE run_id = ?", (run_id,))
        with closing(rows):
            return {row[0] for row in rows}

    def record_scan_outcome(self, outcome: ScanOutcomeRow, record: ScanRecord) -> bool:
        """Store one camera's outcome in a scan run, with its result and audit lines, in one transaction.

        Parameters
        ----------
        outcome : ScanOutcomeRow
            Its ``result_id`` is ignored: the id of the result written here is stored.
        record : ScanRecord
            The verdict to store in ``results`` (None for ``offline``/``error``) and what goes with it.

        Returns
        -------
        bool
            False when the run already has an outcome for the camera (nothing is written).
        """
        with self._transaction() as connection:
            exists = connection.execute(
                "SELECT 1 FROM scan_outcomes WHERE run_id = ? AND camera_id = ?",
                (outcome.run_id, outcome.camera_id),
            ).fetchone()
            if exists:
                return False
            detail = {"run_id": outcome.run_id, "rechecked": outcome.rechecked, **record.audit_detail}
            for action, extra in record.audit_lines:
                _append_audit(connection, outcome.at, record.actor, action, outcome.camera_id, extra)
            result_id = None
            if record.result is not None:
                result_id = _insert_result(
                    connection,
                    outcome.camera_id,
                    record.result,
                    outcome.at,
                    record.source,
                    record.evidence_path,
                    record.actor,
                    outcome.run_id,
                    detail,
                )
            else:
                _append_audit(
                    connection,
                    outcome.at,
                    record.actor,
                    "check",
                    outcome.camera_id,
                    detail | {"status": outcome.outcome, "reason": outcome.reason},
                )
            connection.execute(
                "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reason, rechecked, result_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    outcome.run_id,
                    outcome.camera_id,
                    outcome.at,
                    outcome.outcome,
                    outcome.reason,
                    int(outcome.rechecked),
                    result_id,
                ),
            )
        return True

    def scan_outcomes(self, run_id: int) -> Iterator[ScanOutcomeRow]:
        """Yield the outcomes of a scan run by camera id, streaming (the run may cover a large fleet)."""
        rows = self._connection.execute(
            "SELECT run_id, camera_id, at, outcome, reason, rechecked, result_id FROM scan_outcomes "
            "WHERE run_id = ? ORDER BY camera_id",
            (run_id,),
        )
        with closing(rows):
            for row in rows:
                yield ScanOutcomeRow(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])

    def scan_counts(self, run_id: int) -> dict[str, int]:
        """Return how many cameras of the run ended in each outcome."""
        rows = self._connection.execute(
            "SELECT outcome, COUNT(*) FROM scan_outcomes WHERE run_id = ? GROUP BY outcome", (run_id,)
        ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    def history(self, camera_id: str, limit: int = 20) -> list[ResultRow]:
        """Return the camera's latest results, newest first."""
        rows = self._connection.execute(
            "SELECT id, camera_id, checked_at, status, summary, outside_fraction, shift_fraction, "
            "confidence, reference_label, source, evidence_path FROM results WHERE camera_id = ? "
            "ORDER BY checked_at DESC, id DESC LIMIT ?",
            (camera_id, limit),
        ).fetchall()
        return [ResultRow(*row) for row in rows]

    def last_fingerprint(self, camera_id: str) -> bytes | None:
        """Return the frame fingerprint stored with the camera's latest result, if any."""
        row = self._connection.execute(
            "SELECT fingerprint FROM results WHERE camera_id = ? AND fingerprint IS NOT NULL "
            "ORDER BY checked_at DESC, id DESC LIMIT 1",
            (camera_id,),
        ).fetchone()
        return bytes(row[0]) if row else None

    def result_document(self, result_id: int) -> dict[str, Any] | None:
        """Return the full stored result (``CheckResult.to_dict()``) of one row."""
        row = self._connection.execute(
            "SELECT result_json FROM results WHERE id = ?", (result_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def audit(
        self, actor: str, action: str, camera_id: str | None, detail: Mapping[str, Any], at: str
    ) -> None:
        """Append one line to the audit log."""
        with self._transaction() as connection:
            _append_audit(connection, at, actor, action, camera_id, detail)

    def audit_entries(self, camera_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Return audit lines, newest first, of one camera or all."""
        query = "SELECT id, at, actor, action, camera_id, detail_json FROM audit"
        parameters: tuple[Any, ...] = ()
        if camera_id is not None:
            query += " WHERE camera_id = ?"
            parameters = (camera_id,)
        rows = self._connection.execute(query + " ORDER BY id DESC LIMIT ?", (*parameters, limit))
        with closing(rows):
            return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows.fetchall()]


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """What is written with a scan outcome: the verdict (None when there is none) and its audit."""

    actor: str
    result: CheckResult | None = None
    source: str = ""
    evidence_path: str | None = None
    audit_detail: Mapping[str, Any] = field(default_factory=dict)
    audit_lines: tuple[tuple[str, Mapping[str, Any]], ...] = ()


def _insert_result(
    connection: sqlite3.Connection,
    camera_id: str,
    result: CheckResult,
    checked_at: str,
    source: str,
    evidence_path: str | None,
    actor: str,
    run_id: int | None,
    audit_detail: Mapping[str, Any],
) -> int:
    cursor = connection.execute(
        "INSERT INTO results (camera_id, checked_at, status, summary, outside_fraction, "
        "shift_fraction, confidence, reference_label, source, evidence_path, result_json, "
        "fingerprint, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            camera_id,
            checked_at,
            str(result.status),
            "; ".join(result.reasons),
            result.outside_fraction,
            _largest(result.shift_fraction),
            result.confidence,
            result.reference_label,
            source,
            evidence_path,
            json.dumps(result.to_dict()),
            result.fingerprint.to_bytes() if result.fingerprint is not None else None,
            run_id,
        ),
    )
    result_id = int(cursor.lastrowid or 0)
    _append_audit(
        connection,
        checked_at,
        actor,
        "check",
        camera_id,
        {"result_id": result_id, "status": str(result.status), "evidence": evidence_path, **audit_detail},
    )
    return result_id


def _append_audit(
    connection: sqlite3.Connection,
    at: str,
    actor: str,
    action: str,
    camera_id: str | None,
    detail: Mapping[str, Any],
) -> None:
    connection.execute(
        "INSERT INTO audit (at, actor, action, camera_id, detail_json) VALUES (?, ?, ?, ?, ?)",
        (at, actor, action, camera_id, json.dumps(dict(detail), default=str)),
    )


def _largest(pair: tuple[float, float] | None) -> float | None:
    return None if pair is None else float(max(abs(pair[0]), abs(pair[1])))
