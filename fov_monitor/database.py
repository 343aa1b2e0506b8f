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
from dataclasses import dataclass
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
        document = result.to_dict()
        with self._transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO results (camera_id, checked_at, status, summary, outside_fraction, "
                "shift_fraction, confidence, reference_label, source, evidence_path, result_json, "
                "fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    json.dumps(document),
                    result.fingerprint.to_bytes() if result.fingerprint is not None else None,
                ),
            )
            result_id = int(cursor.lastrowid or 0)
            _append_audit(
                connection,
                checked_at,
                actor,
                "check",
                camera_id,
                {"result_id": result_id, "status": str(result.status), "evidence": evidence_path},
            )
        return result_id

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
