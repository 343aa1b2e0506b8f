"""Run a scan: grab in threads, judge in processes, record each camera as it finishes.

::

    camera ids ──► grab threads (--concurrency, each grab within the camera's timeout)
                       │ frame (decoded once)
                       ▼
                   worker processes (--workers): load the camera's references, judge
                       │ verdict (no frame)
                       ▼
                   parent: not compliant on a first frame? ──yes──► grab again, judge again (final)
                       │ no / final
                       ▼
                   one transaction: result row + scan outcome (unique per run and camera) + audit

At most ``concurrency + 2 * workers`` cameras are in flight, so at most that many frames exist at
once whatever the fleet's size. Only the parent writes to the database.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fov_monitor.camera_check import Judgement, previous_fingerprint
from fov_monitor.database import Database, ScanOutcomeRow, ScanRecord, ScanRun
from fov_monitor.errors import FovMonitorError, ImageFileError, InvalidSettingsError, ScanError, SourceError
from fov_monitor.result import Status
from fov_monitor.scan.outcome import Outcome
from fov_monitor.scan.worker import CheckReply, CheckTask, check_task, start_worker
from fov_monitor.sources import Grab, grab
from fov_monitor.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """How a scan runs.

    Attributes
    ----------
    actor : str
        Who runs it, for the audit log.
    concurrency : int
        Grabs at once (threads; grabbing is waiting on the network).
    workers : int
        Worker processes that judge frames (CPU-bound; at most the number of cores helps).
    """

    actor: str = "scan"
    concurrency: int = 16
    workers: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= 1024:
            raise InvalidSettingsError(f"--concurrency must be 1 to 1024, got {self.concurrency}")
        if not 1 <= self.workers <= 256:
            raise InvalidSettingsError(f"--workers must be 1 to 256, got {self.workers}")


@dataclass(frozen=True, slots=True)
class _Job:
    camera_id: str
    first: Judgement | None = None  # the first frame's verdict, while its re-check runs
    checking: bool = False
    source: str = ""  # as the last grab named it, credentials removed

    @property
    def final(self) -> bool:
        return self.first is not None


def run_scan(
    store: Store,
    database: Database,
    run: ScanRun,
    camera_ids: Iterable[str],
    settings: ScanSettings,
    on_outcome: Callable[[ScanOutcomeRow], None] = lambda _: None,
) -> None:
    """Check every camera of ``camera_ids`` not yet recorded in ``run``, recording each as it finishes.

    Parameters
    ----------
    store, database : Store, Database
        The cameras, and where outcomes go (written from this thread only).
    run : ScanRun
        The run being done or resumed; cameras it has an outcome for are skipped.
    camera_ids : iterable of str
        The cameras the run covers, consumed lazily.
    settings : ScanSettings
    on_outcome : callable
        Called with each outcome once it is recorded (progress).

    Raises
    ------
    ScanError
        When the worker processes die (the cameras in flight are left for the resumed run).
    StoreError
        When the database refuses a write.
    """
    done = database.scanned_camera_ids(run.run_id)
    todo = (camera_id for camera_id in camera_ids if camera_id not in done)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["fov_monitor.scan.worker"])
    with (
        ThreadPoolExecutor(settings.concurrency, thread_name_prefix="grab") as grabs,
        ProcessPoolExecutor(settings.workers, mp_context=context, initializer=start_worker) as checks,
    ):
        try:
            _Pipeline(store, database, run, settings, grabs, checks, on_outcome).run(todo)
        except BrokenProcessPool:
            raise ScanError(
                "a scan worker process died (killed or out of memory); run 'fov-monitor scan' again to "
                "finish the run"
            ) from None


class _Pipeline:
    """The grab → judge → record loop of one run, driven from the parent's main thread."""

    def __init__(
        self,
        store: Store,
        database: Database,
        run: ScanRun,
        settings: ScanSettings,
        grabs: ThreadPoolExecutor,
        checks: ProcessPoolExecutor,
        on_outcome: Callable[[ScanOutcomeRow], None],
    ) -> None:
        self.store, self.database, self.run_id, self.settings = store, database, run.run_id, settings
        self.grabs, self.checks, self.on_outcome = grabs, checks, on_outcome
        self.capacity = settings.concurrency + 2 * settings.workers
        self.in_flight: dict[Future[Any], _Job] = {}
        self.rechecks: deque[_Job] = deque()

    def run(self, todo: Iterator[str]) -> None:
        grabbing = 0
        while True:
            while len(self.in_flight) < self.capacity and grabbing < self.settings.concurrency:
                job = self.rechecks.popleft() if self.rechecks else _next_job(todo)
                if job is None:
                    break
                self.in_flight[self.grabs.submit(self._grab, job.camera_id)] = job
                grabbing += 1
            if not self.in_flight:
                return
            finished, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                job = self.in_flight.pop(future)
                if job.checking:
                    self._judged(job, future.result())
                else:
                    grabbing -= 1
                    self._grabbed(job, future)

    def _grab(self, camera_id: str) -> Grab:
        config = self.store.camera(camera_id)
        frame = grab(config.source, auth=self.store.source_auth(config), timeout_s=config.timeout_s)
        return dataclasses.replace(frame, encoded=None)  # the worker needs the image only

    def _grabbed(self, job: _Job, future: Future[Grab]) -> None:
        try:
            frame = future.result()
        except (SourceError, ImageFileError) as exc:
            self._no_verdict(job, Outcome.OFFLINE, str(exc))
            return
        except FovMonitorError as exc:
            self._no_verdict(job, Outcome.ERROR, str(exc))
            return
        except Exception as exc:  # a bug must cost one camera, not the night's scan
            log.exception("camera %s: unexpected failure of the grab", job.camera_id)
            self._no_verdict(job, Outcome.ERROR, f"unexpected {type(exc).__name__} in the grab: {exc}")
            return
        task = CheckTask(
            self.store.root,
            job.camera_id,
            frame,
            previous_fingerprint(self.database, job.camera_id),
            final=job.final,
        )
        checking = dataclasses.replace(job, checking=True, source=frame.source)
        self.in_flight[self.checks.submit(check_task, task)] = checking

    def _judged(self, job: _Job, reply: CheckReply) -> None:
        judgement = reply.judgement
        if judgement is None:
            self._no_verdict(job, Outcome.ERROR, reply.error or "the check failed")
        elif not job.final and judgement.result.status is not Status.COMPLIANT:
            # A bird or a passing bus must not raise an alert: a second frame confirms first.
            self.rechecks.append(_Job(job.camera_id, first=judgement, source=job.source))
        else:
            self._verdict(job, judgement)

    def _verdict(self, job: _Job, judgement: Judgement) -> None:
        result = judgement.result
        detail: dict[str, Any] = {}
        if job.first is not None:
            detail["first_status"] = str(job.first.result.status)
        lines: tuple[tuple[str, dict[str, Any]], ...] = ()
        if judgement.unblurred is not None:
            kept, delete_after = judgement.unblurred
            lines = (
                (
                    "unblurred copy kept",
                    {"path": str(kept), "delete_after": delete_after.isoformat(timespec="seconds")},
                ),
            )
        if judgement.evidence_error is not None:
            detail["evidence_error"] = judgement.evidence_error
            lines += (("evidence not written", {"error": judgement.evidence_error}),)
        evidence = str(judgement.evidence_path) if judgement.evidence_path else None
        self._record(
            ScanOutcomeRow(
                self.run_id,
                job.camera_id,
                judgement.checked_at,
                Outcome.of(result.status),
                "; ".join(result.reasons),
                job.final,
                None,
            ),
            ScanRecord(self.settings.actor, result, job.source, evidence, detail, lines),
        )

    def _no_verdict(self, job: _Job, outcome: Outcome, reason: str) -> None:
        first = job.first
        if first is not None:
            # The re-check could not be made: keep the first frame's verdict rather than lose it.
            record = ScanRecord(
                self.settings.actor,
                first.result,
                job.source,
                None,
                {"recheck_failed": f"{outcome}: {reason}"},
            )
            row = ScanOutcomeRow(
                self.run_id,
                job.camera_id,
                first.checked_at,
                Outcome.of(first.result.status),
                "; ".join((*first.result.reasons, f"not confirmed, the re-check got no verdict: {reason}")),
                False,
                None,
            )
            self._record(row, record)
            return
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self._record(
            ScanOutcomeRow(self.run_id, job.camera_id, at, outcome, reason, False, None),
            ScanRecord(self.settings.actor),
        )

    def _record(self, row: ScanOutcomeRow, record: ScanRecord) -> None:
        if self.database.record_scan_outcome(row, record):
            self.on_outcome(row)
        else:
            log.info("camera %s already has an outcome in run %d; kept it", row.camera_id, row.run_id)


def _next_job(todo: Iterator[str]) -> _Job | None:
    camera_id = next(todo, None)
    return None if camera_id is None else _Job(camera_id)


__all__ = ["ScanSettings", "run_scan"]
