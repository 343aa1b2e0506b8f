"""The processes a scan starts, found in ``/proc``: to prove that none outlives its test.

A scan on this machine starts a fork server, worker processes forked from it and a resource
tracker (``multiprocessing``'s helpers), and a test may run the scan itself as a subprocess. Every
process started under this test run carries :data:`RUN_MARKER` in its environment (set here, at
import, for the test process and so inherited by all it starts), so that the scans of other test
runs on the same machine are never counted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RUN_MARKER = "FOV_MONITOR_TEST_RUN"
os.environ.setdefault(RUN_MARKER, uuid.uuid4().hex)
_MARK = f"{RUN_MARKER}={os.environ[RUN_MARKER]}".encode()

_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
_SCANNING = {"scan", "demo"}


@dataclass(frozen=True)
class Process:
    """A live process as ``/proc`` shows it."""

    pid: int
    parent: int
    session: int
    command: str


def processes() -> list[Process]:
    """Return every live process (zombies, which have ended, left out)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # ended while we looked
        fields = status.rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            continue
        shown = command.replace(b"\0", b" ").decode(errors="replace").strip()
        found.append(Process(int(entry), int(fields[1]), int(fields[3]), shown))
    return found


def in_session(session: int) -> list[Process]:
    """Return the live processes of a session (a subprocess started with ``start_new_session=True``)."""
    return [process for process in processes() if process.session == session]


def scan_processes_left() -> list[Process]:
    """Return the scan processes of this test run that should not be alive between tests.

    Those are a ``fov-monitor scan`` (or ``demo``) process (a test waits for the scans it starts), a
    scan worker (a process forked from a fork server: a scan's pool ends with it), and a fork server
    or resource tracker whose process is gone (orphaned). The test process's own fork server and
    resource tracker serve its in-process scans and end with it; those of other live processes of the
    run (a Dask worker's) are theirs.
    """
    me = os.getpid()
    every = {process.pid: process for process in processes()}
    left = []
    for process in every.values():
        if process.pid == me or not _is_scan_machinery(process.command) or not _carries_our_mark(process.pid):
            continue
        if not any(helper in process.command for helper in _HELPERS):
            left.append(process)  # a scan command
            continue
        parent = every.get(process.parent)
        if parent is None or (parent.pid != me and not _carries_our_mark(parent.pid)):
            left.append(process)  # orphaned: the scan that started it is gone
        elif _HELPERS[0] in parent.command:
            left.append(process)  # a worker: a scan's pool ends with the scan
    return left


def wait_until_gone(find: Callable[[], list[Process]], timeout_s: float) -> list[Process]:
    """Call ``find`` until it returns no process or ``timeout_s`` passes; return what it returned last."""
    give_up = time.monotonic() + timeout_s
    while True:
        left = find()
        if not left or time.monotonic() > give_up:
            return left
        time.sleep(0.05)


def kill(left: list[Process]) -> None:
    """SIGKILL each process (it outlived its test: the test fails, the next one starts clean)."""
    for process in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)


def _is_scan_machinery(command: str) -> bool:
    if any(helper in command for helper in _HELPERS):
        return True
    parts = command.split(" ")
    runs_us = any(os.path.basename(part) in ("fov_monitor", "fov-monitor") for part in parts)
    return runs_us and bool(_SCANNING & set(parts))


def _carries_our_mark(pid: int) -> bool:
    try:
        return _MARK in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
