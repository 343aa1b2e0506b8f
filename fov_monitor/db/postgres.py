"""The PostgreSQL connection, for an install where several machines share one results database.

Queries are written once with ``?`` placeholders and turned into psycopg's ``%s`` here. The schema is
migrated under a transaction-level advisory lock, so that two processes opening a new database at once
do not both migrate it. A connection that was lost (a server restart, a network blip) is opened again
on the next try; a scan's session-level advisory lock is taken again with it, or the scan stops.
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from fov_monitor.db.connection import Row, Transaction
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.db.schema import POSTGRES_MIGRATIONS, SCHEMA_VERSION
from fov_monitor.errors import ScanLockedError, StoreError

MIGRATION_LOCK_KEY = 0x666F76_6D6967  # "fov" "mig": held while the schema is migrated
SCAN_LOCK_KEY = 0x666F76_7363616E  # "fov" "scan": held by the scan that runs against the database
_NOT_PASSING = ("authentication failed", "does not exist", "no pg_hba.conf entry", "password")


@functools.lru_cache(maxsize=256)
def to_psycopg(sql: str) -> str:
    """Return ``sql`` with ``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _transaction(cursor: psycopg.Cursor[Any]) -> Transaction:
    """Return the statements of an open transaction on ``cursor``, written with ``?`` placeholders."""
    return Transaction(
        lambda sql, parameters: cursor.execute(to_psycopg(sql), parameters),
        lambda sql, rows: cursor.executemany(to_psycopg(sql), rows),
    )


class PostgresConnection:
    """A PostgreSQL results database.

    Parameters
    ----------
    location : DatabaseLocation
        Of the PostgreSQL dialect: a ``postgresql://`` URL (libpq's ``PGPASSWORD`` and ``~/.pgpass``
        work too).
    retry : RetryPolicy
        Its ``connect_timeout_s`` bounds each connection attempt.
    """

    errors: tuple[type[Exception], ...] = (psycopg.Error,)

    def __init__(self, location: DatabaseLocation, retry: RetryPolicy) -> None:
        self.location = location
        self._connect_timeout_s = max(2, retry.connect_timeout_s)
        self._connection: psycopg.Connection[Any] | None = None
        self._scan_locked = False

    def _connected(self) -> psycopg.Connection[Any]:
        connection = self._connection
        if connection is not None and not connection.closed and not connection.broken:
            return connection
        if connection is not None:
            connection.close()
            self._connection = None
        name = f"fov-monitor on {socket.gethostname()} pid {os.getpid()}"[:63]
        connection = psycopg.connect(
            self.location.target,
            autocommit=True,
            connect_timeout=self._connect_timeout_s,
            application_name=name,
        )
        self._connection = connection
        if self._scan_locked and not self._take(SCAN_LOCK_KEY):
            self._scan_locked = False
            raise ScanLockedError(
                f"the scan lock on the database {self.location.shown} was lost with the connection and "
                f"another scan ({self._holder(SCAN_LOCK_KEY)}) has taken it; that scan goes on, this one "
                "stops"
            )
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Open a write transaction, committed when the block ends and rolled back when it raises."""
        connection = self._connected()
        with connection.transaction(), connection.cursor() as cursor:
            yield _transaction(cursor)

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Run one read-only query and return its rows."""
        with self._connected().cursor() as cursor:
            return [tuple(row) for row in cursor.execute(to_psycopg(sql), tuple(parameters)).fetchall()]

    def schema_version(self) -> int:
        """Return the version in ``schema_version`` (0 when the table does not exist yet)."""
        rows = self.query("SELECT to_regclass('schema_version') IS NOT NULL")
        if not rows[0][0]:
            return 0
        found = self.query("SELECT version FROM schema_version")
        return int(found[0][0]) if found else 0

    def migrate(self, upto: int = SCHEMA_VERSION) -> None:
        """Apply the migrations up to ``upto`` in one transaction, under an advisory lock."""
        current = self.schema_version()
        self._check_not_newer(current)
        if current >= upto:
            return
        connection = self._connected()
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER NOT NULL, "
                "only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row))"
            )
            row = connection.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                connection.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = 0 if row is None else int(row[0])
            self._check_not_newer(version)
            for number in range(version, upto):
                step = POSTGRES_MIGRATIONS[number]
                if isinstance(step, str):
                    connection.execute(step)
                else:
                    with connection.cursor() as cursor:
                        step(_transaction(cursor))
            if upto > version:
                connection.execute("UPDATE schema_version SET version = %s", (upto,))

    def _check_not_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.location.shown} has schema version {version}, newer than this "
                f"fov-monitor ({SCHEMA_VERSION}); upgrade fov-monitor"
            )

    def try_scan_lock(self) -> str | None:
        """Take the session-level advisory scan lock; return None, or who holds it."""
        if self._take(SCAN_LOCK_KEY):
            self._scan_locked = True
            return None
        return self._holder(SCAN_LOCK_KEY)

    def release_scan_lock(self) -> None:
        """Let the scan lock go (a lost connection has let it go already)."""
        if not self._scan_locked:
            return
        self._scan_locked = False
        connection = self._connection
        if connection is not None and not connection.closed and not connection.broken:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SCAN_LOCK_KEY,))

    def _take(self, key: int) -> bool:
        row = self._connected().execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        return bool(row and row[0])

    def _holder(self, key: int) -> str:
        row = (
            self._connected()
            .execute(
                "SELECT a.application_name, a.client_addr::text, l.pid FROM pg_locks l "
                "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s "
                "AND l.objid::bigint = %s AND l.objsubid = 1",
                (key >> 32, key & 0xFFFFFFFF),
            )
            .fetchone()
        )
        if row is None:
            return "a session that has just ended"
        name, address, pid = row
        return f"{name or 'server pid ' + str(pid)}{' from ' + address if address else ''}"

    def is_transient(self, error: Exception) -> bool:
        """Return True for a lost or refused connection, a server shutting down, a deadlock."""
        if not isinstance(error, psycopg.OperationalError):
            return False
        text = str(error).lower()
        return not any(fragment in text for fragment in _NOT_PASSING)

    def unavailable_message(self, error: Exception, attempts: int, waited_s: float, opening: bool) -> str:
        """Name the database (password hidden) and what to do when it stayed unreachable."""
        fix = (
            "check the URL (--db, $FOV_MONITOR_DB or 'database' in the store's settings.json) and that "
            "the server is running and reachable"
            if opening
            else "nothing was half-written; check that the server is running and reachable, then run the "
            "command again"
        )
        return (
            f"database {self.location.shown} stayed unavailable through {attempts} tries over "
            f"{waited_s:.0f} s "
            f"({self.location.scrub(str(error))}); {fix}"
        )

    def refused_message(self, error: Exception, opening: bool) -> str:
        """Name the database (password hidden) and the likely fix."""
        reason = self.location.scrub(str(error))
        if opening:
            return (
                f"cannot use the database {self.location.shown} ({reason}); check the URL (--db, "
                "$FOV_MONITOR_DB or 'database' in the store's settings.json), the user's password and "
                "rights, and that the server is running"
            )
        return (
            f"database {self.location.shown} refused the write ({reason}); nothing was half-written; "
            "check the user's rights and the server's free space"
        )

    def close(self) -> None:
        """Close the connection (which also lets any scan lock go)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._scan_locked = False
