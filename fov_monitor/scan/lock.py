"""The store's scan lock: one scan at a time, released by the operating system when its process dies."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO

from fov_monitor.errors import ScanError, ScanLockedError

LOCK_NAME = ".scan.lock"


class ScanLock:
    """An exclusive ``flock`` on ``<store>/.scan.lock``, holding the pid of the scan that has it.

    A lock file left by a killed scan is harmless: ``flock`` locks die with their process, so no
    stale-lock clean-up is ever needed. Use it as a context manager.

    Parameters
    ----------
    store_root : Path
        The store folder.
    """

    def __init__(self, store_root: Path) -> None:
        self.path = Path(store_root) / LOCK_NAME
        self._file: IO[str] | None = None

    def __enter__(self) -> ScanLock:
        try:
            handle = open(self.path, "a+", encoding="ascii")
        except OSError as exc:
            raise ScanError(
                f"cannot open the scan lock {self.path} ({exc.strerror}); check the store"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ScanLockedError(
                f"another scan (pid {holder}) is running on this store ({self.path}); wait for it to "
                "finish, or stop that process"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
