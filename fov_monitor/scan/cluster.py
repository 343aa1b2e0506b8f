"""A scan's checks on an existing Dask cluster: each camera grabbed and judged on a worker.

::

    parent (fov-monitor scan --cluster tcp://scheduler:8786)
        │ CameraTask (camera id and settings, previous fingerprint, privacy settings; no frame)
        ▼
    Dask scheduler ──► any worker, or only workers started with --resources site-<site>=1
                          │ grab (the worker reaches the camera), judge (reads the store),
                          │ evidence encoded, not written
                          ▼
    parent: writes the evidence, records the outcome (the database stays on the parent)

Nothing unblurred crosses the network: the worker grabs the frame from the camera itself, blurs the
faces of the evidence image it returns whatever ``privacy.blur_faces`` says, and makes no unblurred
copy (``privacy.keep_unblurred`` keeps copies only of scans on this machine and of ``check``). So
plain ``tcp://`` carries no unblurred picture; ``tls://`` protects the rest (verdicts, settings).

A worker killed mid-scan loses nothing: the scheduler runs its tasks again on other workers, and
the parent records each camera's future once (the database's unique outcome per run and camera
guards the rest). A lost scheduler, or cameras left with no worker able to take them for
:data:`STALL_S`, stop the run with :class:`ScanError`; the next ``scan`` resumes it.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
import uuid
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from types import TracebackType
from typing import Any

from fov_monitor.core.result import Outcome
from fov_monitor.errors import FovMonitorError, ScanError
from fov_monitor.extras import Extra, needs_extra
from fov_monitor.faces.privacy import over_the_network
from fov_monitor.scan.worker import CameraTask, CheckReply, grab_and_check
from fov_monitor.store.store import Store

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
"""How long to wait for the scheduler to answer when the scan starts."""
WATCH_EVERY_S = 5.0
"""While no check finishes, look at the cluster's workers this often."""
STALL_S = 120.0
"""Cameras waiting this long with no worker able to take them (none left, or none of their site)
stop the run: a worker restarted by its service manager is back well within it."""
ANY_WORKER = ""
"""The resource need of a camera without a site."""


def site_resource(site: str) -> str:
    """Return the Dask worker resource that marks a worker inside ``site``'s network."""
    return f"site-{site}"


class DaskBackend:
    """Send each camera to a Dask cluster as one grab-and-judge task (see the module's notes).

    Parameters
    ----------
    store : Store
        The store, read here for each camera's site; workers read it at the same path.
    address : str
        The scheduler, e.g. ``"tcp://scheduler:8786"``.
    concurrency : int
        Cameras in flight beyond two per worker thread (the scheduler's queue stays short, so a
        killed run loses little queued work).
    connect_timeout_s, stall_s : float
        See :data:`CONNECT_TIMEOUT_S` and :data:`STALL_S`.
    """

    write_files = False

    def __init__(
        self,
        store: Store,
        address: str,
        concurrency: int,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        stall_s: float = STALL_S,
    ) -> None:
        self.name = f"Dask cluster {address}"
        self.store, self.address, self.concurrency = store, address, concurrency
        self.connect_timeout_s, self.stall_s = connect_timeout_s, stall_s
        self.waiting: dict[Future[Any], tuple[str, str]] = {}  # future -> (camera id, resource need)
        self.threads = 0
        self.offered: set[str] = set()  # resources some worker offers; ANY_WORKER when any worker is up
        self.starved_since: float | None = None

    def __enter__(self) -> DaskBackend:
        with needs_extra(Extra.CLUSTER, "fov-monitor scan --cluster"):
            from distributed import Client

        self._reachable()

        try:
            self.client = Client(self.address, timeout=self.connect_timeout_s, set_as_default=False)
        except (OSError, ValueError) as exc:
            raise ScanError(self._unreachable(str(exc))) from None
        self.executor = self.client.get_executor(pure=False)
        self._refresh()
        log.info("scan on %s: %d worker thread(s)", self.address, self.threads)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        # Closing the client releases its futures: the scheduler drops the checks still queued.
        self.client.close()

    def has_room(self, in_flight: int) -> bool:
        return in_flight < self.concurrency + 2 * max(self.threads, 1)

    def start(self, task: CameraTask) -> Future[Any]:
        try:
            config = self.store.camera(task.camera_id)
        except FovMonitorError as exc:
            return _done(CheckReply(task.camera_id, None, str(exc), Outcome.ERROR))
        site = config.site
        need = site_resource(site) if site else ANY_WORKER
        if need not in self.offered:
            self._refresh()
        if site and need not in self.offered:
            return _done(
                CheckReply(
                    task.camera_id,
                    None,
                    f"no Dask worker serves site {site!r}; start one in that network with "
                    f"'dask worker {self.address} --resources {need}=1'",
                    Outcome.OFFLINE,
                )
            )
        future = self.executor.submit(
            grab_and_check,
            # The worker does not read camera.json again; what it returns is blurred (over the network).
            dataclasses.replace(task, config=config, privacy=over_the_network(task.privacy)),
            key=f"check-{task.camera_id}-{uuid.uuid4().hex[:12]}",
            resources={need: 1} if site else None,
        )
        self.waiting[future] = (task.camera_id, need)
        return future

    def wait(self, futures: Collection[Future[Any]]) -> set[Future[Any]]:
        while True:
            done = wait(futures, timeout=WATCH_EVERY_S, return_when=FIRST_COMPLETED).done
            if done:
                self.starved_since = None
                return done
            self._watch(futures)

    def advance(self, future: Future[Any]) -> Future[Any] | CheckReply:
        camera_id, _ = self.waiting.pop(future, ("", ANY_WORKER))
        try:
            reply: CheckReply = future.result()
        except CancelledError:
            raise ScanError(
                f"lost the Dask scheduler {self.address}; run 'fov-monitor scan' again to finish the run"
            ) from None
        except Exception as exc:
            from distributed import KilledWorker

            if isinstance(exc, KilledWorker):
                # The same camera took down worker after worker: it costs that camera, not the run.
                return CheckReply(
                    camera_id, None, "its check killed Dask workers one after another (out of memory?)"
                )
            raise ScanError(
                f"the Dask cluster {self.address} could not run the check of {camera_id} "
                f"({type(exc).__name__}: {exc}); every worker needs fov-monitor installed and the store "
                "readable at the same path"
            ) from None
        return reply

    def _watch(self, futures: Collection[Future[Any]]) -> None:
        """Stop the run when cameras have had no worker able to take them for ``stall_s``."""
        self._refresh()
        needs = {self.waiting[future][1] for future in futures if future in self.waiting}
        starved = sorted("any worker" if need == ANY_WORKER else need for need in needs - self.offered)
        if not starved:
            self.starved_since = None
            return
        now = time.monotonic()
        self.starved_since = self.starved_since or now
        if now - self.starved_since >= self.stall_s:
            raise ScanError(
                f"the Dask cluster {self.address} has had no worker with {', '.join(starved)} for "
                f"{now - self.starved_since:.0f} s; start workers ('dask worker {self.address}', with "
                "--resources site-NAME=1 inside a site) and run 'fov-monitor scan' again to finish the run"
            )

    def _refresh(self) -> None:
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        self.threads = sum(int(worker.get("nthreads", 0)) for worker in workers.values())
        self.offered = {name for worker in workers.values() for name in worker.get("resources") or {}}
        if workers:
            self.offered.add(ANY_WORKER)

    def _reachable(self) -> None:
        """Fail in one line, fast, when nothing listens at the scheduler's address."""
        from distributed.comm import get_address_host_port

        try:
            host, port = get_address_host_port(self.address)
        except ValueError as exc:
            raise ScanError(self._unreachable(str(exc))) from None
        try:
            socket.create_connection((host, port), timeout=self.connect_timeout_s).close()
        except OSError as exc:
            raise ScanError(self._unreachable(exc.strerror or str(exc))) from None

    def _unreachable(self, why: str) -> str:
        return (
            f"cannot reach the Dask scheduler at {self.address} ({why}); start one with 'dask scheduler' "
            "on that machine, or fix --cluster / FOV_MONITOR_CLUSTER (e.g. tcp://scheduler:8786)"
        )


def _done(reply: CheckReply) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(reply)
    return future
