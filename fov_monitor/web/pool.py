"""Database connections for the web app's worker threads: one at a time per thread, reused."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fov_monitor.db.database import Database
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.retry import RetryPolicy


class DatabasePool:
    """Hand out open :class:`Database` connections, opening more as more threads ask at once.

    Parameters
    ----------
    location : DatabaseLocation
        The results database.
    retry : RetryPolicy, optional
        How a locked or briefly unreachable database is waited for (the database's default).
    """

    def __init__(self, location: DatabaseLocation, retry: RetryPolicy | None = None) -> None:
        self.location = location
        self.retry = retry
        self._idle: queue.LifoQueue[Database] = queue.LifoQueue()
        self._every: list[Database] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Database]:
        """Lend a connection for the block; it goes back to the pool afterwards."""
        try:
            database = self._idle.get_nowait()
        except queue.Empty:
            database = Database(self.location, retry=self.retry)
            with self._lock:
                self._every.append(database)
        try:
            yield database
        finally:
            self._idle.put(database)

    def close(self) -> None:
        """Close every connection (when the app stops)."""
        with self._lock:
            for database in self._every:
                database.close()
            self._every.clear()
