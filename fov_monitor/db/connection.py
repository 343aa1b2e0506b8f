"""What :class:`fov_monitor.db.database.Database` asks of a connection, whatever the server."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from fov_monitor.db.location import DatabaseLocation

Row = tuple[Any, ...]


class Transaction:
    """Statements inside one transaction; queries use ``?`` placeholders in every dialect.

    Parameters
    ----------
    run : callable
        Runs one statement of the dialect (placeholders translated) and returns its cursor.
    run_many : callable
        Runs one statement once per row of parameters (placeholders translated).
    """

    def __init__(
        self,
        run: Callable[[str, tuple[Any, ...]], Any],
        run_many: Callable[[str, list[tuple[Any, ...]]], Any],
    ) -> None:
        self._run = run
        self._run_many = run_many

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self._run(sql, tuple(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters, in one go (a migration's many updates)."""
        self._run_many(sql, [tuple(row) for row in rows])

    def fetchone(self, sql: str, parameters: Sequence[Any] = ()) -> Row | None:
        """Run one query and return its first row, if any."""
        row = self._run(sql, tuple(parameters)).fetchone()
        return None if row is None else tuple(row)

    def fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one query (or a statement ``RETURNING`` rows) and return all its rows."""
        return [tuple(row) for row in self._run(sql, tuple(parameters)).fetchall()]

    def insert(self, sql: str, parameters: Sequence[Any]) -> int:
        """Run an ``INSERT ... RETURNING id`` and return the new row's id."""
        row = self.fetchone(sql, parameters)
        assert row is not None, "an INSERT ... RETURNING returns its row"
        return int(row[0])


class Connection(Protocol):
    """One connection to a results database, reopened when it was lost.

    Methods raise the driver's own errors (one of :attr:`errors`); the caller decides, with
    :meth:`is_transient`, whether to try again.
    """

    location: DatabaseLocation
    errors: tuple[type[Exception], ...]

    def transaction(self) -> AbstractContextManager[Transaction]:
        """Open a write transaction, committed when the block ends and rolled back when it raises."""

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only query and return its rows."""

    def migrate(self, upto: int) -> None:
        """Bring the schema to version ``upto``; raise StoreError when it is newer than this code."""

    def schema_version(self) -> int:
        """Return the schema's version (0 for an empty database)."""

    def try_scan_lock(self) -> str | None:
        """Take the database's scan lock; return None, or who holds it when another session does."""

    def release_scan_lock(self) -> None:
        """Let the scan lock go (closing the connection does too)."""

    def is_transient(self, error: Exception) -> bool:
        """Return True when ``error`` may pass (a lock, a lost connection): try the operation again."""

    def unavailable_message(self, error: Exception, attempts: int, waited_s: float, opening: bool) -> str:
        """Return the one-line error after ``attempts`` tries, ``waited_s`` in all, failed for a passing
        reason."""

    def refused_message(self, error: Exception, opening: bool) -> str:
        """Return the one-line error for a failure that trying again will not mend."""

    def close(self) -> None:
        """Close the connection."""
