"""The SQLite connection: a file beside the store, WAL journal, one writer at a time.

A write takes the file's write lock at once (``BEGIN IMMEDIATE``) and waits up to the retry policy's
``busy_timeout_s`` for another process's lock; ``database is locked`` after that is a passing failure
that :class:`fov_monitor.db.database.Database` tries again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from fov_monitor.db.connection import Row, Transaction
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.db.schema import SCHEMA_VERSION, SQLITE_MIGRATIONS, sqlite_statements
from fov_monitor.errors import StoreError

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
FULL_BELOW_BYTES = 1 << 20
"""A disk with less free space than this, where SQLite failed to write or open its files, is full (a
write-ahead log and its index need some pages)."""


class SqliteConnection:
    """A SQLite results database.

    Parameters
    ----------
    location : DatabaseLocation
        Of the SQLite dialect.
    retry : RetryPolicy
        Its ``busy_timeout_s`` is how long one try waits for another process's lock.
    """

    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, location: DatabaseLocation, retry: RetryPolicy) -> None:
        self.location = location
        self._timeout_s = retry.busy_timeout_s
        self._connection: sqlite3.Connection | None = None

    def _connected(self) -> sqlite3.Connection:
        if self._connection is None:
            # One thread at a time, but not always the same one: the web app hands connections out from a
            # pool to its worker threads.
            connection = sqlite3.connect(
                self.location.path, timeout=self._timeout_s, isolation_level=None, check_same_thread=False
            )
            try:
                connection.execute("PRAGMA journal_mode=WAL").close()
                connection.execute("PRAGMA foreign_keys=ON").close()
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Open a write transaction (``BEGIN IMMEDIATE``), committed when the block ends."""
        connection = self._connected()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield Transaction(connection.execute, connection.executemany)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only query and return its rows."""
        with closing(self._connected().execute(sql, tuple(parameters))) as cursor:
            return [tuple(row) for row in cursor.fetchall()]

    def schema_version(self) -> int:
        """Return ``PRAGMA user_version``."""
        return int(self.query("PRAGMA user_version")[0][0])

    def migrate(self, upto: int = SCHEMA_VERSION) -> None:
        """Apply the migrations up to version ``upto``, each in its own transaction."""
        self._check_not_newer(self.schema_version())
        while self.schema_version() < upto:
            with self.transaction() as transaction:
                row = transaction.fetchone("PRAGMA user_version")
                version = int(row[0]) if row else 0
                self._check_not_newer(version)
                if version >= upto:  # another process migrated meanwhile
                    break
                step = SQLITE_MIGRATIONS[version]
                if isinstance(step, str):
                    for statement in sqlite_statements(step):
                        transaction.execute(statement)
                else:
                    step(transaction)
                transaction.execute(f"PRAGMA user_version = {version + 1}")

    def _check_not_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.location.shown} has schema version {version}, newer than this "
                f"fov-monitor ({SCHEMA_VERSION}); upgrade fov-monitor"
            )

    def try_scan_lock(self) -> str | None:
        """Return None: a SQLite database is the store's own, and the store's flock covers it."""
        return None

    def release_scan_lock(self) -> None:
        """Do nothing (see :meth:`try_scan_lock`)."""

    def is_transient(self, error: Exception) -> bool:
        """Return True for ``database is locked`` or ``busy``: another process holds the write lock."""
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return (code & 0xFF) in _BUSY_CODES
        text = str(error).lower()
        return "locked" in text or "busy" in text

    def unavailable_message(self, error: Exception, attempts: int, waited_s: float, opening: bool) -> str:
        """Name the file and what to do when it stayed locked through every try."""
        return (
            f"database {self.location.shown} stayed locked by another process through {attempts} tries over "
            f"{waited_s:.0f} s "
            f"({error}); nothing was written; find the process holding it (fuser {self.location.shown}) "
            "or try again when it is done"
        )

    def refused_message(self, error: Exception, opening: bool) -> str:
        """Name the file and the likely fix: a full disk is said as such, never taken for damage."""
        if self._disk_full(error):
            return (
                f"database {self.location.shown} cannot be written: the disk holding it is full ({error}); "
                "free some space and run the command again; nothing was written"
            )
        if opening:
            return (
                f"database {self.location.shown} cannot be used ({error}); restore it from backup or move "
                "it away, and check that its folder exists and is writable"
            )
        return (
            f"database {self.location.shown} refused the write ({error}); check that the store is writable "
            "and has free space; nothing was half-written"
        )

    def _disk_full(self, error: Exception) -> bool:
        """Tell whether ``error`` comes of a full disk: SQLite says so, or it failed to write its files
        (an I/O error, a file it could not open) where no space is left."""
        code = getattr(error, "sqlite_errorcode", None)
        if code is None:
            return False
        if code & 0xFF == sqlite3.SQLITE_FULL:
            return True
        if code & 0xFF not in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
            return False
        try:
            space = os.statvfs(Path(self.location.path).parent)
        except OSError:
            return False
        return space.f_bavail * space.f_frsize < FULL_BELOW_BYTES

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
