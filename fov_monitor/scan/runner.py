"""Run a scan: grab, judge, record each camera as it finishes.

::

    camera ids ──► backend: on this machine, grab threads (--concurrency, each grab within the
                   │ camera's timeout) then worker processes (--workers) that judge the frame; on a
                   │ Dask cluster (--cluster), one task per camera that grabs and judges on a worker
                   │ verdict (no frame)
                   ▼
                   parent: not compliant on a first frame? ──yes──► grab again, judge again (final)
                       │ no / final
                       ▼
                   one transaction: result row + scan outcome (unique per run and camera) + audit

The backend bounds the cameras in flight (on this machine ``concurrency + 2 * workers``, so at most
that many frames exist at once whatever the fleet's size). Only the parent writes to the database.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from fov_monitor.core.result import Outcome, Status
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database, ScanOutcomeRow, ScanRecord, ScanRun
from fov_monitor.errors import FovMonitorError, InvalidSettingsError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.scan.backend import Backend, LocalBackend
from fov_monitor.scan.cluster import DaskBackend
from fov_monitor.scan.worker import CameraTask, CheckReply
from fov_monitor.store.store import Store, now_utc
from fov_monitor.workflows.bank import LearningCandidate, learn_reference
from fov_monitor.workflows.camera_check import (
    Judgement,
    audit_unblurred_copy,
    previous_fingerprint,
    remove_judgement_files,
    write_judgement_files,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanSettings:
    """How a scan runs.

    Attributes
    ----------
    actor : str
        Who runs it, for the audit log.
    concurrency : int
        Grabs at once (threads; grabbing is waiting on the network). On a cluster: cameras in
        flight beyond two per worker thread.
    workers : int
        Worker processes that judge frames (CPU-bound; at most the number of cores helps). Unused
        on a cluster, whose workers are started apart.
    cluster : str or None
        A Dask scheduler's address (``tcp://scheduler:8786``): check on its workers, not here.
    """

    actor: str = "scan"
    concurrency: int = 16
    workers: int = 2
    cluster: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= 1024:
            raise InvalidSettingsError(f"--concurrency must be 1 to 1024, got {self.concurrency}")
        if not 1 <= self.workers <= 256:
            raise InvalidSettingsError(f"--workers must be 1 to 256, got {self.workers}")
        if self.cluster is not None and "://" not in self.cluster:
            raise InvalidSettingsError(
                f"--cluster must be a Dask scheduler address like tcp://scheduler:8786, got {self.cluster!r}"
            )

    def backend(self, store: Store) -> Backend:
        """Return where this scan's checks run."""
        if self.cluster is not None:
            return DaskBackend(store, self.cluster, self.concurrency)
        return LocalBackend(store, self.concurrency, self.workers)


@dataclass(frozen=True, slots=True)
class _Job:
    camera_id: str
    first: Judgement | None = None  # the first frame's verdict, while its re-check runs
    source: str = ""  # as the first grab named it, credentials removed
    first_breach: str | None = None  # the first frame filmed outside the camera's decision: why

    @property
    def final(self) -> bool:
        return self.first is not None


def run_scan(
    store: Store,
    database: Database,
    run: ScanRun,
    camera_ids: Iterable[str],
    settings: ScanSettings,
    privacy: PrivacySettings,
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
    privacy : PrivacySettings
        The store's privacy settings, given to every check (worker processes and Dask workers read
        no settings file).
    on_outcome : callable
        Called with each outcome once it is recorded (progress).

    Raises
    ------
    ScanError
        When the worker processes die, or the Dask cluster cannot be reached or is lost (the cameras
        in flight are left for the resumed run).
    StoreError
        When the database refuses a write.
    """
    done = database.scanned_camera_ids(run.run_id)
    todo = (camera_id for camera_id in camera_ids if camera_id not in done)
    with settings.backend(store) as backend:
        _Pipeline(store, database, run, settings, backend, privacy, on_outcome).run(todo)


class _Pipeline:
    """The start → judge → record loop of one run, driven from the parent's main thread."""

    def __init__(
        self,
        store: Store,
        database: Database,
        run: ScanRun,
        settings: ScanSettings,
        backend: Backend,
        privacy: PrivacySettings,
        on_outcome: Callable[[ScanOutcomeRow], None],
    ) -> None:
        self.store, self.database, self.run_id, self.settings = store, database, run.run_id, settings
        self.backend, self.privacy, self.on_outcome = backend, privacy, on_outcome
        self.in_flight: dict[Future[Any], _Job] = {}
        self.rechecks: deque[_Job] = deque()

    def run(self, todo: Iterator[str]) -> None:
        while True:
            while self.backend.has_room(len(self.in_flight)):
                job = self.rechecks.popleft() if self.rechecks else _next_job(todo)
                if job is None:
                    break
                self.in_flight[self.backend.start(self._task(job))] = job
            if not self.in_flight:
                return
            for future in self.backend.wait(self.in_flight):
                job = self.in_flight.pop(future)
                step = self.backend.advance(future)
                if isinstance(step, CheckReply):
                    self._judged(job, step)
                else:
                    self.in_flight[step] = job

    def _task(self, job: _Job) -> CameraTask:
        previous = previous_fingerprint(self.database, job.camera_id)
        return CameraTask(self.store.root, job.camera_id, previous, job.final, self.privacy)

    def _judged(self, job: _Job, reply: CheckReply) -> None:
        judgement = reply.judgement
        if judgement is None:
            self._no_verdict(job, reply.outcome, reply.error or "the check failed", reply.worker)
        elif not job.final and judgement.result.status is not Status.COMPLIANT:
            # A bird or a passing bus must not raise an alert: a second frame confirms first.
            self.rechecks.append(
                _Job(job.camera_id, first=judgement, source=reply.source, first_breach=reply.outside_decision)
            )
        else:
            self._verdict(job, judgement, reply)

    def _verdict(self, job: _Job, judgement: Judgement, reply: CheckReply) -> None:
        """Record a final verdict: the unblurred copy's audit line first, then the files, then the outcome.

        What was written for it (by a worker, or here) is removed again when the outcome is not
        recorded (the database failed, or the camera has an outcome in this run already).
        """
        try:
            audit_unblurred_copy(self.database, self.settings.actor, job.camera_id, judgement)
            # Files a Dask worker rendered but could not write (it reads the store only); the copy.
            judgement = write_judgement_files(judgement)
            row, record = self._verdict_rows(job, judgement, reply)
            recorded = self.database.record_scan_outcome(row, record)
        except BaseException:
            remove_judgement_files(judgement)
            raise
        if recorded:
            self.on_outcome(row)
        else:
            remove_judgement_files(judgement)
            log.info("camera %s already has an outcome in run %d; kept it", row.camera_id, row.run_id)
        if judgement.learning is not None:
            self._learn(job.camera_id, judgement.learning)

    def _verdict_rows(
        self, job: _Job, judgement: Judgement, reply: CheckReply
    ) -> tuple[ScanOutcomeRow, ScanRecord]:
        result = judgement.result
        detail: dict[str, Any] = {}
        if job.first is not None:
            detail["first_status"] = str(job.first.result.status)
        if reply.worker:
            detail["worker"] = reply.worker
        if reply.outside_decision is not None:
            detail["outside_decision"] = reply.outside_decision
        lines: tuple[tuple[AuditAction, dict[str, Any]], ...] = ()
        if judgement.evidence_error is not None:
            detail["evidence_error"] = judgement.evidence_error
            lines += ((AuditAction.EVIDENCE_NOT_WRITTEN, {"error": judgement.evidence_error}),)
        evidence = str(judgement.evidence_path) if judgement.evidence_path else None
        outcome, reasons = _outcome(result.status, result.reasons, reply.outside_decision)
        return (
            ScanOutcomeRow(
                self.run_id, job.camera_id, judgement.checked_at, outcome, reasons, job.final, None
            ),
            ScanRecord(self.settings.actor, result, reply.source or job.source, evidence, detail, lines),
        )

    def _learn(self, camera_id: str, candidate: LearningCandidate) -> None:
        """Keep a compliant frame in new conditions in the camera's reference bank; never fail the scan."""
        try:
            learned = learn_reference(
                self.store,
                self.database,
                camera_id,
                candidate,
                actor=self.settings.actor,
                scan_run=self.run_id,
            )
        except (FovMonitorError, OSError) as exc:
            log.warning("camera %s: a frame in new conditions was not learned: %s", camera_id, exc)
            return
        if learned is not None:
            log.info("camera %s: learned reference %s", camera_id, learned.label)

    def _no_verdict(self, job: _Job, outcome: Outcome, reason: str, worker: str = "") -> None:
        first = job.first
        if first is not None:
            # The re-check could not be made: keep the first frame's verdict rather than lose it.
            detail = {"recheck_failed": f"{outcome}: {reason}"} | ({"worker": worker} if worker else {})
            record = ScanRecord(self.settings.actor, first.result, job.source, None, detail)
            outcome, reasons = _outcome(
                first.result.status,
                (*first.result.reasons, f"not confirmed, the re-check got no verdict: {reason}"),
                job.first_breach,
            )
            row = ScanOutcomeRow(self.run_id, job.camera_id, first.checked_at, outcome, reasons, False, None)
            self._record(row, record)
            return
        at = now_utc()
        self._record(
            ScanOutcomeRow(self.run_id, job.camera_id, at, outcome, (reason,), False, None),
            ScanRecord(self.settings.actor, audit_detail={"worker": worker} if worker else {}),
        )

    def _record(self, row: ScanOutcomeRow, record: ScanRecord) -> None:
        if self.database.record_scan_outcome(row, record):
            self.on_outcome(row)
        else:
            log.info("camera %s already has an outcome in run %d; kept it", row.camera_id, row.run_id)


def _outcome(
    status: Status, reasons: tuple[str, ...], outside_decision: str | None
) -> tuple[Outcome, tuple[str, ...]]:
    """Return a verdict's outcome and reasons: ``outside_decision`` first when the camera filmed then."""
    if outside_decision is None:
        return Outcome.of(status), reasons
    return Outcome.OUTSIDE_DECISION, (outside_decision, f"the view was judged {status}", *reasons)


def _next_job(todo: Iterator[str]) -> _Job | None:
    camera_id = next(todo, None)
    return None if camera_id is None else _Job(camera_id)


__all__ = ["ScanSettings", "run_scan"]
