"""Capture the references of many cameras at once: ``fov-monitor reference capture --all``.

Each camera goes through the steps of a single capture (:mod:`fov_monitor.workflows.reference_capture`),
run apart so that no step waits on another camera's: the grabs in threads, each within its camera's
own timeout; the development (faces blurred, self-test, features), which is CPU work, in worker
processes; and the storing and the audit line here, in the calling thread, the only one that writes.
At most ``concurrency + 2 * workers`` frames are held at once, whatever the fleet's size. A camera
that cannot be read, does not answer or whose frame cannot serve is a failed capture with its
reason; it never stops the others.
"""

from __future__ import annotations

import enum
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fov_monitor.core.settings import CheckSettings
from fov_monitor.db.database import Database
from fov_monitor.errors import CaptureError, FovMonitorError, InvalidSettingsError
from fov_monitor.faces.privacy import PrivacySettings
from fov_monitor.store.store import CameraState, Store, check_label
from fov_monitor.workflows.reference_capture import (
    CaptureOutcome,
    capture_state,
    develop_reference,
    grab_for_reference,
    keep_reference,
)
from fov_monitor.workflows.worker_process import set_up_worker_process

log = logging.getLogger(__name__)

EXIT_ALL_CAPTURED = 0
EXIT_WARNED = 3
EXIT_FAILED = 4
EXIT_CAPTURE_FAILED = 5

CAPTURE_EXIT_CODES_TEXT = (
    "exit codes (with --all, --group or --missing): 0 every selected camera captured without a warning; "
    "1 bad input (no store, an unknown group); 3 every camera captured, some with a self-test warning; "
    "4 some camera failed (unreachable, unreadable, its frame refused); 5 the capture itself failed "
    "(its worker processes): run it again with --missing."
)


class CaptureResult(enum.StrEnum):
    """What became of one camera of a capture of many."""

    CAPTURED = "captured"
    WARNED = "warned"
    """Captured, but its self-test warns that it may not let fov-monitor see a move (dark, plain)."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not captured: it has a reference of that label already (replacing one is a re-baseline)."""


@dataclass(frozen=True, slots=True)
class CameraCapture:
    """One camera's capture: its result, and the self-test's finding, the warnings or the reason.

    Attributes
    ----------
    camera_id : str
    result : CaptureResult
    detail : str
        Captured: the smallest move it lets fov-monitor detect; warned: the self-test's warnings;
        failed: the reason; skipped: why.
    seconds : float
        From the start of its grab to its audit line.
    outcome : CaptureOutcome or None
        What was stored (captured and warned only).
    """

    camera_id: str
    result: CaptureResult
    detail: str
    seconds: float = 0.0
    outcome: CaptureOutcome | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        test = self.outcome.self_test.to_dict() if self.outcome else None
        permit = self.outcome.permit_line() if self.outcome else None
        return {
            "camera": self.camera_id,
            "result": str(self.result),
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
            "self_test": test,
            "permit": permit,
        }


@dataclass(frozen=True, slots=True)
class FleetCaptureSettings:
    """How a capture of many cameras runs.

    Attributes
    ----------
    actor : str
        Who captures, for the records and the audit log.
    label : str
        The references' label (``day``, ``night``, a preset).
    concurrency : int
        Grabs at once (threads: grabbing is waiting on the network).
    workers : int
        Processes that develop frames (CPU-bound); 1 develops in a thread of this process.
    """

    actor: str
    label: str = "day"
    concurrency: int = 16
    workers: int = os.cpu_count() or 1

    def __post_init__(self) -> None:
        check_label(self.label)
        for name in ("concurrency", "workers"):
            value = getattr(self, name)
            if not 1 <= value <= 256:
                raise InvalidSettingsError(f"--{name} must be 1 to 256, got {value}")


@dataclass(frozen=True, slots=True)
class CaptureSelection:
    """The cameras a capture of many covers, and those it leaves (they have the label's reference)."""

    camera_ids: list[str]
    skipped: list[str]


def select_for_capture(store: Store, *, group: str | None, missing: bool, label: str) -> CaptureSelection:
    """Return the cameras to capture: all, or a group's; those with a ``label`` reference set apart.

    A camera whose ``camera.json`` cannot be read is selected (unless a group is asked for): its
    capture fails with the reason, rather than the camera being passed over unseen.

    Raises
    ------
    FovMonitorError
        When no camera is in ``group``.
    """
    store.require()
    chosen: list[str] = []
    skipped: list[str] = []
    for camera_id in store.camera_ids():
        if group is not None:
            try:
                if store.camera(camera_id).group != group:
                    continue
            except FovMonitorError:
                continue
        (skipped if label in store.enrolment(camera_id).labels else chosen).append(camera_id)
    if group is not None and not chosen and not skipped:
        raise FovMonitorError(
            f"no camera is in group {group!r}; see the groups with 'fov-monitor camera list'"
        )
    return CaptureSelection(chosen, [] if missing else skipped)


def capture_fleet(
    store: Store,
    database: Database,
    camera_ids: Sequence[str],
    settings: FleetCaptureSettings,
    *,
    privacy: PrivacySettings,
    check_settings: CheckSettings | None = None,
    listener: Callable[[CameraCapture], None] | None = None,
) -> list[CameraCapture]:
    """Capture a reference of each camera, in parallel; return each camera's capture as it ended.

    Parameters
    ----------
    store, database : Store, Database
        Where the references go, and the audit log (written from this thread only).
    camera_ids : sequence of str
        The cameras, none of which may have a ``settings.label`` reference yet (see
        :func:`select_for_capture`); one that has is a failed capture.
    settings : FleetCaptureSettings
    privacy : PrivacySettings
        The store's face blurring.
    check_settings : CheckSettings, optional
        For the self-test and the features.
    listener : callable, optional
        Told of each camera as it ends (progress).

    Raises
    ------
    CaptureError
        When the worker processes died: the references stored so far are kept.
    """
    if not camera_ids:
        return []  # no worker process started for nothing
    run = _Run(store, database, settings, privacy, check_settings, listener)
    grabs = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="grab")
    with _shut_down(grabs), _shut_down(_developers(settings.workers)) as developers:
        run.go(deque(camera_ids), grabs, developers)
    return run.done


class _Run:
    """The coordinator of one capture of many: starts grabs, hands frames on, stores what comes back."""

    def __init__(
        self,
        store: Store,
        database: Database,
        settings: FleetCaptureSettings,
        privacy: PrivacySettings,
        check_settings: CheckSettings | None,
        listener: Callable[[CameraCapture], None] | None,
    ) -> None:
        self.store, self.database, self.settings = store, database, settings
        self.privacy, self.check_settings, self.listener = privacy, check_settings, listener
        self.done: list[CameraCapture] = []
        self.started: dict[str, float] = {}

    def go(self, queue: deque[str], grabs: Executor, developers: Executor) -> None:
        capacity = self.settings.concurrency + 2 * self.settings.workers
        grabbing: dict[Future[Any], CameraState] = {}
        developing: dict[Future[Any], tuple[CameraState, str]] = {}
        while queue or grabbing or developing:
            while (
                queue
                and len(grabbing) < self.settings.concurrency
                and (len(grabbing) + len(developing) < capacity)
            ):
                state = self._state(queue.popleft())
                if state is not None:
                    grabbing[grabs.submit(grab_for_reference, self.store, state.config)] = state
            if not grabbing and not developing:
                continue
            for future in wait([*grabbing, *developing], return_when=FIRST_COMPLETED).done:
                if future in grabbing:
                    self._develop(grabbing.pop(future), future, developers, developing)
                else:
                    state, source = developing.pop(future)
                    self._keep(state, source, future)

    def _state(self, camera_id: str) -> CameraState | None:
        self.started[camera_id] = time.monotonic()
        try:
            return capture_state(self.store, camera_id, self.settings.label, None)
        except FovMonitorError as exc:
            self._end(CameraCapture(camera_id, CaptureResult.FAILED, str(exc)))
            return None

    def _develop(
        self,
        state: CameraState,
        grabbed: Future[Any],
        developers: Executor,
        developing: dict[Future[Any], tuple[CameraState, str]],
    ) -> None:
        try:
            frame = grabbed.result()
        except Exception as exc:  # a camera's own fault, or a bug: it costs this camera only
            self._failed(state.camera_id, exc, "grab")
            return
        try:
            future = developers.submit(
                develop_reference,
                frame.image,
                self.settings.label,
                hfov_deg=state.config.hfov_deg,
                settings=self.check_settings,
                privacy=self.privacy,
            )
        except BrokenProcessPool:
            raise CaptureError(_POOL_DIED) from None
        developing[future] = (state, frame.source)

    def _keep(self, state: CameraState, source: str, developed: Future[Any]) -> None:
        try:
            outcome = keep_reference(
                self.store,
                self.database,
                state,
                developed.result(),
                source,
                actor=self.settings.actor,
                settings=self.check_settings,
            )
        except BrokenProcessPool:
            raise CaptureError(_POOL_DIED) from None
        except Exception as exc:
            self._failed(state.camera_id, exc, "development")
            return
        warnings = outcome.self_test.warnings
        smallest = outcome.self_test.smallest_shift_fraction
        found = f"detects moves from {smallest:.2%}" if smallest is not None else "no reliable detection"
        result = CaptureResult.WARNED if warnings else CaptureResult.CAPTURED
        self._end(CameraCapture(state.camera_id, result, "; ".join(warnings) or found, outcome=outcome))

    def _failed(self, camera_id: str, exc: Exception, step: str) -> None:
        if not isinstance(exc, FovMonitorError):
            log.error("camera %s: unexpected failure of the %s", camera_id, step, exc_info=exc)
        reason = str(exc) if isinstance(exc, FovMonitorError) else f"unexpected {type(exc).__name__}: {exc}"
        self._end(CameraCapture(camera_id, CaptureResult.FAILED, reason))

    def _end(self, capture: CameraCapture) -> None:
        seconds = time.monotonic() - self.started.get(capture.camera_id, time.monotonic())
        capture = CameraCapture(capture.camera_id, capture.result, capture.detail, seconds, capture.outcome)
        self.done.append(capture)
        if self.listener is not None:
            self.listener(capture)


def capture_exit_code(captures: Sequence[CameraCapture]) -> int:
    """Return the exit code of a finished capture of many (see ``CAPTURE_EXIT_CODES_TEXT``)."""
    results = {capture.result for capture in captures}
    if CaptureResult.FAILED in results:
        return EXIT_FAILED
    if CaptureResult.WARNED in results:
        return EXIT_WARNED
    return EXIT_ALL_CAPTURED


_POOL_DIED = (
    "a worker process that develops the references died (out of memory?); the references stored so far "
    "are kept: run 'fov-monitor reference capture --missing' again, with fewer --workers"
)


def _developers(workers: int) -> Executor:
    """Return where frames are developed: worker processes, or one thread of this process for 1."""
    if workers <= 1:
        return ThreadPoolExecutor(1, thread_name_prefix="develop")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=set_up_worker_process)


@contextmanager
def _shut_down(executor: Executor) -> Iterator[Executor]:
    """Use ``executor``; at the end, or on an error or Ctrl-C, drop what has not started and wait."""
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
