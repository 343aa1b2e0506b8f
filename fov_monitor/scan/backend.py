"""Where a scan's checks run: this machine (grab threads + worker processes), or a Dask cluster.

The pipeline (:mod:`fov_monitor.scan.runner`) hands a backend one :class:`CameraTask` per camera
and waits on the concurrent.futures futures it returns; a backend moves a camera through its own
stages (here: grab, then judge) and ends with a :class:`CheckReply`. The pipeline alone writes the
database, whatever the backend.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Protocol

from fov_monitor.errors import ScanError
from fov_monitor.scan.worker import CameraTask, CheckReply, CheckTask, check_task, grab_camera, start_worker
from fov_monitor.store.store import Store

_POOL_DIED = (
    "a scan worker process died (killed or out of memory); run 'fov-monitor scan' again to finish the run"
)


class Backend(Protocol):
    """Runs cameras' checks; used as a context manager around one run."""

    name: str
    """Said in logs and errors, e.g. ``"worker processes"`` or ``"Dask cluster tcp://..."``."""
    write_files: bool
    """False when the backend's judges return evidence for the parent to write."""

    def has_room(self, in_flight: int) -> bool:
        """Tell whether another camera may start while ``in_flight`` are under way."""
        ...

    def start(self, task: CameraTask) -> Future[Any]:
        """Start a camera's first stage."""
        ...

    def wait(self, futures: Collection[Future[Any]]) -> set[Future[Any]]:
        """Block until at least one of ``futures`` is done; return those done."""
        ...

    def advance(self, future: Future[Any]) -> Future[Any] | CheckReply:
        """Take a done future: return the camera's next stage, or its reply when it has none left.

        Raises
        ------
        ScanError
            When the backend itself failed (not a camera): the run stops, to be resumed.
        """
        ...

    def __enter__(self) -> Backend: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...


class LocalBackend:
    """Grab in threads, judge in worker processes on this machine.

    At most ``concurrency + 2 * workers`` cameras are in flight, ``concurrency`` of them grabbing,
    so at most that many frames exist at once whatever the fleet's size.

    Parameters
    ----------
    store : Store
    concurrency : int
        Grabs at once (threads; grabbing is waiting on the network).
    workers : int
        Worker processes that judge frames (CPU-bound).
    """

    write_files = True

    def __init__(self, store: Store, concurrency: int, workers: int) -> None:
        self.name = f"{workers} worker process(es)"
        self.store, self.concurrency, self.workers = store, concurrency, workers
        self.capacity = concurrency + 2 * workers
        self.grabbing: dict[Future[Any], CameraTask] = {}
        self.sources: dict[Future[Any], str] = {}
        self._stack = ExitStack()

    def __enter__(self) -> LocalBackend:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["fov_monitor.scan.worker"])
        # Each worker watches a pipe only this process writes to: when this process dies (SIGKILL,
        # out of memory), the pipe reads end-of-file and the worker ends too, which lets the fork
        # server and the resource tracker end in turn. Closed last, after the pool has shut down.
        watched, held = context.Pipe(duplex=False)
        self._stack.callback(watched.close)
        self._stack.callback(held.close)
        self.grabs = self._stack.enter_context(
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="grab")
        )
        self.checks = self._stack.enter_context(
            ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=start_worker, initargs=(watched,)
            )
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stack.close()

    def has_room(self, in_flight: int) -> bool:
        return in_flight < self.capacity and len(self.grabbing) < self.concurrency

    def start(self, task: CameraTask) -> Future[Any]:
        future = self.grabs.submit(grab_camera, self.store, task, write_files=True)
        self.grabbing[future] = task
        return future

    def wait(self, futures: Collection[Future[Any]]) -> set[Future[Any]]:
        return wait(futures, return_when=FIRST_COMPLETED).done

    def advance(self, future: Future[Any]) -> Future[Any] | CheckReply:
        task = self.grabbing.pop(future, None)
        if task is None:
            source = self.sources.pop(future)
            try:
                reply: CheckReply = future.result()
            except BrokenProcessPool:
                raise ScanError(_POOL_DIED) from None
            return dataclasses.replace(reply, source=source)
        check: CheckTask | CheckReply = future.result()  # grab_camera answers for every camera fault
        if isinstance(check, CheckReply):
            return check
        try:
            checking = self.checks.submit(check_task, check)
        except BrokenProcessPool:
            raise ScanError(_POOL_DIED) from None
        self.sources[checking] = check.frame.source
        return checking
