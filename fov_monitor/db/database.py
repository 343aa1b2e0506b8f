"""Results and the audit log: in SQLite beside the store, or in a shared PostgreSQL database.

The schema is versioned and migrated forward on open (:mod:`fov_monitor.db.schema`). Each write is
one transaction: a crash leaves either the whole row or none. A write that meets a locked or briefly
unreachable database is tried again, whole, as :class:`~fov_monitor.db.retry.RetryPolicy` says, then
fails with one clear line. The audit log is append-only: nothing in fov-monitor updates or deletes
its rows, and the database's triggers refuse it to anyone else.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fov_monitor.core.result import CheckResult, Outcome, Status
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Connection, Transaction
from fov_monitor.db.location import DatabaseLocation, Dialect
from fov_monitor.db.reasons import joined, read_reasons, reasons_json
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.db.schema import SCHEMA_VERSION
from fov_monitor.errors import N_, DatabaseUnavailableError, ScanLockedError, StoreError
from fov_monitor.extras import Extra, needs_extra

log = logging.getLogger(__name__)

T = TypeVar("T")
OnRetry = Callable[[int, Exception], None]
"""Called before each further try with the number of the try that failed and its error."""


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored check result; ``reasons`` as the check gave them, most important first."""

    result_id: int
    camera_id: str
    checked_at: str
    status: Status
    reasons: tuple[str, ...]
    outside_fraction: float | None
    shift_fraction: float | None
    confidence: float | None
    reference_label: str | None
    source: str
    evidence_path: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ResultRow:
        """Build a row from the columns of :data:`RESULT_COLUMNS`."""
        return cls(row[0], row[1], row[2], Status(row[3]), read_reasons(row[4]), *row[5:])

    @property
    def summary(self) -> str:
        """The reasons in one line, to show."""
        return joined(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready dict: the reasons as a list, and in one line (``summary``)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return fields | {"reasons": list(self.reasons), "summary": self.summary}


RESULT_COLUMNS = (
    "id, camera_id, checked_at, status, reasons_json, outside_fraction, shift_fraction, confidence, "
    "reference_label, source, evidence_path"
)
"""The ``results`` columns a :class:`ResultRow` is read from, in its order."""


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
    """What one scan run recorded for one camera: a verdict, ``offline`` or ``error``, with its reasons.

    A verdict's reasons are its result's (a re-check that got no verdict adds why); ``offline`` and
    ``error`` have one, the message of what failed.
    """

    run_id: int
    camera_id: str
    at: str
    outcome: Outcome
    reasons: tuple[str, ...]
    rechecked: bool
    result_id: int | None

    @property
    def reason(self) -> str:
        """The reasons in one line, to show."""
        return joined(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """Return the row as a JSON-ready dict: the reasons as a list, and in one line (``reason``)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return fields | {"reasons": list(self.reasons), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: who did what, when, to which camera.

    ``action`` is the text stored: an :class:`~fov_monitor.db.audit.AuditAction` value for every line
    fov-monitor writes (compare it with the members), kept as text so that any line can be read.
    """

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
    location : DatabaseLocation, str or Path
        A SQLite file (created with its schema on first use), or a ``postgresql://`` URL of an
        existing database (its schema is created on first use). A str is read as by ``--db``.
    retry : RetryPolicy
        How a write that meets a locked or briefly unreachable database is tried again.
    on_retry : callable, optional
        Called before each further try with the failed try's number and its error (logged anyway).

    Raises
    ------
    StoreError
        When the database cannot be opened or reached, or its schema is newer than this code; one line
        naming the database (a URL's password hidden) and the fix. A database that stayed locked or
        unreachable through every try is a :class:`~fov_monitor.errors.DatabaseUnavailableError`.
    """

    def __init__(
        self,
        location: DatabaseLocation | str | Path,
        *,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        if not isinstance(location, DatabaseLocation):
            location = DatabaseLocation.parse(location)
        self.location = location
        self.retry = retry or RetryPolicy()
        self._on_retry = on_retry
        self._connection = _connect(location, self.retry)
        try:
            self._retrying(lambda: self._connection.migrate(SCHEMA_VERSION), opening=True)
        except BaseException:
            self._connection.close()
            raise

    @property
    def dialect(self) -> Dialect:
        """The kind of database: SQLite or PostgreSQL."""
        return self.location.dialect

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _retrying(self, action: Callable[[], T], *, opening: bool = False) -> T:
        """Run ``action`` (one whole transaction or query), again after a passing failure."""
        delays = self.retry.delays_s()
        attempt, started = 1, time.monotonic()
        while True:
            try:
                return action()
            except self._connection.errors as exc:
                if not self._connection.is_transient(exc):
                    raise StoreError(self._connection.refused_message(exc, opening)) from None
                delay = next(delays, None)
                if delay is None:
                    waited_s = time.monotonic() - started
                    message = self._connection.unavailable_message(exc, attempt, waited_s, opening)
                    raise DatabaseUnavailableError(message).saying(
                        N_("The database is busy or cannot be reached just now; try again in a moment.")
                    ) from None
                reason = self.location.scrub(str(exc))
                log.info(
                    "database %s: try %d failed (%s); again in %.2f s", self.location, attempt, reason, delay
                )
                if self._on_retry is not None:
                    self._on_retry(attempt, exc)
                time.sleep(delay)
                attempt += 1

    def write(self, body: Callable[[Transaction], T]) -> T:
        """Run ``body`` in one transaction, all or nothing, tried again whole after a passing failure.

        ``body`` may run more than once (each try from the start), so it must not act outside the
        database. Statements use ``?`` placeholders in every dialect.
        """

        def attempt() -> T:
            with self._connection.transaction() as transaction:
                return body(transaction)

        return self._retrying(attempt)

    def read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only query (``?`` placeholders), tried again after a passing failure."""
        return self._retrying(lambda: self._connection.query(sql, parameters))

    def schema_version(self) -> int:
        """Return the schema's version (:data:`fov_monitor.db.schema.SCHEMA_VERSION` once open)."""
        return self._retrying(self._connection.schema_version)

    @contextmanager
    def scan_lock(self) -> Iterator[None]:
        """Hold the database's scan lock for the block: one scan at a time against a shared database.

        On PostgreSQL this is a session-level advisory lock, so that scans on different machines
        sharing the database do not both run; it dies with the session. On SQLite the store's own
        ``flock`` (:class:`fov_monitor.scan.ScanLock`) covers it and this does nothing.

        Raises
        ------
        ScanLockedError
            When another session holds it, naming that session.
        """
        holder = self._retrying(self._connection.try_scan_lock)
        if holder is not None:
            raise ScanLockedError(
                f"another scan ({holder}) is running against the database {self.location}; wait for it "
                "to finish, or stop that process"
            )
        try:
            yield
        finally:
            try:
                self._connection.release_scan_lock()
            except self._connection.errors as exc:  # the session is gone, and its lock with it
                log.info("database %s: scan lock not released (%s)", self.location, exc)

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
        return self.write(
            lambda transaction: _insert_result(
                transaction, camera_id, result, checked_at, source, evidence_path, actor, None, {}
            )
        )

    def start_scan_run(self, actor: str, selection: Mapping[str, Any], at: str) -> ScanRun:
        """Open a new scan run covering ``selection`` (the scan's options) and return it."""

        def start(transaction: Transaction) -> int:
            run_id = transaction.insert(
                "INSERT INTO scan_runs (started_at, actor, selection_json) VALUES (?, ?, ?) RETURNING id",
                (at, actor, json.dumps(dict(selection), sort_keys=True)),
            )
            append_audit(
                transaction, at, actor, AuditAction.SCAN_STARTED, None, {"run_id": run_id, **selection}
            )
            return run_id

        return ScanRun(self.write(start), at, None, actor, dict(selection))

    def unfinished_scan_run(self) -> ScanRun | None:
        """Return the latest scan run that has not finished, if any."""
        rows = self.read(
            "SELECT id, started_at, finished_at, actor, selection_json FROM scan_runs "
            "WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1"
        )
        if not rows:
            return None
        run_id, started_at, finished_at, actor, selection_json = rows[0]
        return ScanRun(run_id, started_at, finished_at, actor, json.loads(selection_json))

    def finish_scan_run(self, run_id: int, at: str, actor: str, counts: Mapping[Outcome, int]) -> None:
        """Mark a scan run finished and write its counts to the audit log."""

        def finish(transaction: Transaction) -> None:
            transaction.execute("UPDATE scan_runs SET finished_at = ? WHERE id = ?", (at, run_id))
            by_outcome = {str(outcome): count for outcome, count in counts.items()}
            append_audit(
                transaction, at, actor, AuditAction.SCAN_FINISHED, None, {"run_id": run_id, **by_outcome}
            )

        self.write(finish)

    def scanned_camera_ids(self, run_id: int) -> set[str]:
        """Return the cameras that already have an outcome in the run."""
        return {
            row[0] for row in self.read("SELECT camera_id FROM scan_outcomes WHERE run_id = ?", (run_id,))
        }

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
        return self.write(lambda transaction: _insert_scan_outcome(transaction, outcome, record))

    def scan_outcomes(self, run_id: int) -> Iterator[ScanOutcomeRow]:
        """Yield the outcomes of a scan run by camera id."""
        rows = self.read(
            "SELECT run_id, camera_id, at, outcome, reasons_json, rechecked, result_id FROM scan_outcomes "
            "WHERE run_id = ? ORDER BY camera_id",
            (run_id,),
        )
        for row in rows:
            yield ScanOutcomeRow(
                row[0], row[1], row[2], Outcome(row[3]), read_reasons(row[4]), bool(row[5]), row[6]
            )

    def scan_counts(self, run_id: int) -> dict[Outcome, int]:
        """Return how many cameras of the run ended in each outcome."""
        rows = self.read(
            "SELECT outcome, COUNT(*) FROM scan_outcomes WHERE run_id = ? GROUP BY outcome", (run_id,)
        )
        return {Outcome(row[0]): int(row[1]) for row in rows}

    def history(self, camera_id: str, limit: int = 20) -> list[ResultRow]:
        """Return the camera's latest results, newest first."""
        rows = self.read(
            f"SELECT {RESULT_COLUMNS} FROM results WHERE camera_id = ? "
            "ORDER BY checked_at DESC, id DESC LIMIT ?",
            (camera_id, limit),
        )
        return [ResultRow.from_row(row) for row in rows]

    def last_fingerprint(self, camera_id: str) -> bytes | None:
        """Return the frame fingerprint stored with the camera's latest result, if any."""
        rows = self.read(
            "SELECT fingerprint FROM results WHERE camera_id = ? AND fingerprint IS NOT NULL "
            "ORDER BY checked_at DESC, id DESC LIMIT 1",
            (camera_id,),
        )
        return bytes(rows[0][0]) if rows else None

    def result_document(self, result_id: int) -> dict[str, Any] | None:
        """Return the full stored result (``CheckResult.to_dict()``) of one row."""
        rows = self.read("SELECT result_json FROM results WHERE id = ?", (result_id,))
        return json.loads(rows[0][0]) if rows else None

    def audit(
        self, actor: str, action: AuditAction, camera_id: str | None, detail: Mapping[str, Any], at: str
    ) -> None:
        """Append one line to the audit log."""
        self.write(lambda transaction: append_audit(transaction, at, actor, action, camera_id, detail))

    @contextmanager
    def audited_change(
        self, actor: str, action: AuditAction, camera_id: str | None, detail: Mapping[str, Any], at: str
    ) -> Iterator[None]:
        """Append the audit line of a change to the store, then let the block make the change.

        The line goes first: when the database refuses it (locked, full disk, unreachable), the block
        never runs, and nothing was changed. When the block fails, having undone what it wrote (the
        store's writes are all or nothing), a :attr:`~AuditAction.STORE_CHANGE_FAILED` line names the
        action and the error; the block's error is raised.
        """
        self.audit(actor, action, camera_id, detail, at)
        try:
            yield
        except BaseException as exc:
            failed = {"action": str(action), "error": str(exc) or type(exc).__name__}
            try:
                self.audit(actor, AuditAction.STORE_CHANGE_FAILED, camera_id, failed, at)
            except StoreError as second:
                log.error("audit log: %r not marked failed (%s)", str(action), second)
            raise

    def audit_entries(
        self,
        camera_id: str | None = None,
        limit: int = 100,
        *,
        action: AuditAction | str | None = None,
        actor: str | None = None,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Return audit lines, newest first.

        Parameters
        ----------
        camera_id, actor : str, optional
            Only the lines about this camera, by this actor.
        action : AuditAction or str, optional
            Only the lines of this action (text as asked for, e.g. on the web app's audit page).
        limit : int
            How many lines at most.
        before_id : int, optional
            Only lines older than this one (the next page after a page whose last line it is).
        """
        text = None if action is None else str(action)
        filters = {"camera_id = ?": camera_id, "action = ?": text, "actor = ?": actor, "id < ?": before_id}
        kept = {clause: value for clause, value in filters.items() if value is not None}
        query = "SELECT id, at, actor, action, camera_id, detail_json FROM audit"
        if kept:
            query += " WHERE " + " AND ".join(kept)
        rows = self.read(query + " ORDER BY id DESC LIMIT ?", (*kept.values(), limit))
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """What is written with a scan outcome: the verdict (None when there is none) and its audit."""

    actor: str
    result: CheckResult | None = None
    source: str = ""
    evidence_path: str | None = None
    audit_detail: Mapping[str, Any] = field(default_factory=dict)
    audit_lines: tuple[tuple[AuditAction, Mapping[str, Any]], ...] = ()


def _connect(location: DatabaseLocation, retry: RetryPolicy) -> Connection:
    """Return the connection of the location's dialect (psycopg is imported only for PostgreSQL)."""
    if location.dialect is Dialect.POSTGRESQL:
        with needs_extra(Extra.POSTGRES, "a PostgreSQL results database"):
            from fov_monitor.db.postgres import PostgresConnection

        return PostgresConnection(location, retry)
    from fov_monitor.db.sqlite import SqliteConnection

    return SqliteConnection(location, retry)


def _insert_scan_outcome(transaction: Transaction, outcome: ScanOutcomeRow, record: ScanRecord) -> bool:
    exists = transaction.fetchone(
        "SELECT 1 FROM scan_outcomes WHERE run_id = ? AND camera_id = ?", (outcome.run_id, outcome.camera_id)
    )
    if exists:
        return False
    detail = {"run_id": outcome.run_id, "rechecked": outcome.rechecked, **record.audit_detail}
    for action, extra in record.audit_lines:
        append_audit(transaction, outcome.at, record.actor, action, outcome.camera_id, extra)
    result_id = None
    if record.result is not None:
        result_id = _insert_result(
            transaction,
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
        append_audit(
            transaction,
            outcome.at,
            record.actor,
            AuditAction.CHECK,
            outcome.camera_id,
            detail | {"status": outcome.outcome, "reason": outcome.reason},
        )
    transaction.execute(
        "INSERT INTO scan_outcomes (run_id, camera_id, at, outcome, reasons_json, rechecked, result_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            outcome.run_id,
            outcome.camera_id,
            outcome.at,
            str(outcome.outcome),
            reasons_json(outcome.reasons),
            int(outcome.rechecked),
            result_id,
        ),
    )
    return True


def _insert_result(
    transaction: Transaction,
    camera_id: str,
    result: CheckResult,
    checked_at: str,
    source: str,
    evidence_path: str | None,
    actor: str,
    run_id: int | None,
    audit_detail: Mapping[str, Any],
) -> int:
    result_id = transaction.insert(
        "INSERT INTO results (camera_id, checked_at, status, reasons_json, outside_fraction, "
        "shift_fraction, confidence, reference_label, source, evidence_path, result_json, "
        "fingerprint, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            camera_id,
            checked_at,
            str(result.status),
            reasons_json(result.reasons),
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
    append_audit(
        transaction,
        checked_at,
        actor,
        AuditAction.CHECK,
        camera_id,
        {"result_id": result_id, "status": str(result.status), "evidence": evidence_path, **audit_detail},
    )
    return result_id


def append_audit(
    transaction: Transaction,
    at: str,
    actor: str,
    action: AuditAction,
    camera_id: str | None,
    detail: Mapping[str, Any],
) -> None:
    """Append an audit line inside ``transaction``, so that a change and its line land together."""
    transaction.execute(
        "INSERT INTO audit (at, actor, action, camera_id, detail_json) VALUES (?, ?, ?, ?, ?)",
        (at, actor, str(action), camera_id, json.dumps(dict(detail), default=str)),
    )


def _largest(pair: tuple[float, float] | None) -> float | None:
    return None if pair is None else float(max(abs(pair[0]), abs(pair[1])))


__all__ = [
    "RESULT_COLUMNS",
    "SCHEMA_VERSION",
    "AuditEntry",
    "Database",
    "DatabaseLocation",
    "Dialect",
    "ResultRow",
    "RetryPolicy",
    "ScanOutcomeRow",
    "ScanRecord",
    "ScanRun",
]
