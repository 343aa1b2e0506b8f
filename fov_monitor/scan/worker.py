"""The scan's workers: grab a camera's frame, judge it against the camera's own references.

On one machine (:func:`check_task`) the parent grabs in threads and each task carries the frame,
decoded once by the grab, the camera's id, the settings the grab read and the scan's privacy
settings; the worker process loads the permit and (cached) reference features from the store
itself, so nothing but frames crosses the process boundary and memory does not grow with the fleet.
On a Dask cluster (:func:`grab_and_check`) the worker grabs the frame itself, with the settings the
scan's machine read to route the task, so frames never cross the network and a worker inside a
site's network reaches cameras the scan's machine cannot; it returns the evidence image encoded
instead of writing it, so it needs read access to the store only, and that image has its faces
blurred whatever the store's settings say: no unblurred frame or copy travels to or from a worker.
Either way a task reads each of its camera's files once
(:meth:`Store.load_camera <fov_monitor.store.store.Store.load_camera>`) and writes nothing into the
camera's folder. Workers never touch the database: the parent records what
they return.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import cv2

from fov_monitor.core.fingerprint import FrameFingerprint
from fov_monitor.core.result import Outcome
from fov_monitor.errors import FovMonitorError, ImageFileError, SourceError
from fov_monitor.faces.privacy import PrivacySettings, over_the_network
from fov_monitor.heap import keep_heap_flat, release_freed_memory
from fov_monitor.sources import Grab, grab
from fov_monitor.store.camera import CameraConfig
from fov_monitor.store.store import Store
from fov_monitor.workflows.camera_check import EvidencePolicy, Judgement, judge_grab, load_camera
from fov_monitor.workflows.decision import filming_breach
from fov_monitor.workflows.worker_process import set_up_worker_process

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckTask:
    """One frame to judge.

    Attributes
    ----------
    store_root : Path
    camera_id : str
    frame : Grab
        The grabbed frame, without its encoded bytes (the image is decoded already).
    previous : FrameFingerprint or None
        The camera's last recorded fingerprint, to tell a frozen feed.
    final : bool
        True for the re-check (second frame) of a camera: its verdict is final and its evidence is
        written. False for a first frame: a verdict other than compliant asks for a re-check.
    """

    store_root: Path
    camera_id: str
    frame: Grab
    previous: FrameFingerprint | None
    final: bool
    privacy: PrivacySettings
    """The scan's privacy settings (read once by the scan's parent, not by the worker)."""
    write_files: bool = True
    """Write evidence into the store; False returns it in the judgement for the parent to write."""
    config: CameraConfig | None = None
    """The camera's settings as the grab read them (``camera.json`` is not read again); None reads them."""


@dataclass(frozen=True, slots=True)
class CameraTask:
    """One camera to grab and judge where it can be reached (a Dask worker).

    Attributes
    ----------
    store_root : Path
        The store, as the scan's machine sees it; a worker reads it at the same path.
    camera_id : str
    previous : FrameFingerprint or None
        The camera's last recorded fingerprint, to tell a frozen feed.
    final : bool
        As :attr:`CheckTask.final`.
    privacy : PrivacySettings
        The scan's privacy settings (face blurring of the evidence), so that every worker applies
        the scan machine's, whatever its own environment says.
    config : CameraConfig or None
        The camera's settings when the scan's machine read them already (to route the task to a
        worker of the camera's site): the worker does not read ``camera.json`` again.
    """

    store_root: Path
    camera_id: str
    previous: FrameFingerprint | None
    final: bool
    privacy: PrivacySettings
    config: CameraConfig | None = None


@dataclass(frozen=True, slots=True)
class CheckReply:
    """What a worker found: a judgement, or the outcome and one-line reason of a camera not judged.

    Attributes
    ----------
    camera_id : str
    judgement : Judgement or None
    error : str or None
        Why there is no judgement.
    outcome : Outcome
        What a missing judgement counts as: offline (no usable frame) or error.
    source : str
        Where the frame came from, credentials removed ("" when the parent grabbed it).
    worker : str
        The Dask worker that grabbed and judged (its name, else its address; cluster only), for the
        audit log.
    outside_decision : str or None
        Why the frame was filmed when the camera's decision does not allow it (before its first day,
        after its last, outside its permitted hours; the scan's machine's clock); None when allowed.
    """

    camera_id: str
    judgement: Judgement | None
    error: str | None = None
    outcome: Outcome = Outcome.ERROR
    source: str = ""
    worker: str = ""
    outside_decision: str | None = None


def start_worker(parent: Connection | None = None) -> None:
    """Set a worker process up for a long scan.

    One OpenCV thread (the pool is the parallelism), face models without onnxruntime's arena and a C
    heap that gives back what frames free (memory flat over the night), Ctrl-C left to the parent,
    and an end with the parent.

    Parameters
    ----------
    parent : Connection, optional
        The reading end of a pipe that only the scan's process writes to (it never does): it reads
        end-of-file once that process is gone, however it died, and the worker then ends at once. A
        worker's own parent is the fork server, not the scan, so a parent-death signal would not do.
    """
    set_up_worker_process()
    # A worker's warnings (e.g. evidence not written) reach the scan's stderr like the parent's own.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="scan watch", daemon=True).start()


def _end_with(parent: Connection) -> None:
    """Block until the scan's process is gone, then end this worker (it has no one to answer)."""
    try:
        parent.recv_bytes()
    except (EOFError, OSError):
        pass
    else:  # nothing is ever sent: a message means the pipe is not what it should be
        log.error("scan worker %d: unexpected message from the scan's process", os.getpid())
    os._exit(EXIT_PARENT_GONE)


EXIT_PARENT_GONE = 70
"""A worker's exit status when it ended because the scan's process was gone."""


def grab_camera(store: Store, task: CameraTask, *, write_files: bool) -> CheckTask | CheckReply:
    """Grab a camera's frame: the check to run on it, or a reply saying why there is none.

    Parameters
    ----------
    store : Store
    task : CameraTask
        The camera; its settings are read from the store unless the task carries them.
    write_files : bool
        As :attr:`CheckTask.write_files`.

    Returns
    -------
    CheckTask or CheckReply
        The frame (without its encoded bytes) with the settings the grab used, or why there is none.
    """
    camera_id = task.camera_id
    try:
        config = task.config or store.camera(camera_id)
        frame = grab(config.source, auth=store.source_auth(config), timeout_s=config.timeout_s)
    except (SourceError, ImageFileError) as exc:
        return CheckReply(camera_id, None, str(exc), Outcome.OFFLINE)
    except FovMonitorError as exc:
        return CheckReply(camera_id, None, str(exc), Outcome.ERROR)
    except Exception as exc:  # a bug must cost one camera, not the night's scan
        log.exception("camera %s: unexpected failure of the grab", camera_id)
        return CheckReply(camera_id, None, f"unexpected {type(exc).__name__} in the grab: {exc}")
    frame = dataclasses.replace(frame, encoded=None)  # the judge needs the image only
    return CheckTask(
        task.store_root, camera_id, frame, task.previous, task.final, task.privacy, write_files, config
    )


def grab_and_check(task: CameraTask) -> CheckReply:
    """Grab a camera's frame and judge it here; never raise for a camera's own fault.

    The task of a scan on a Dask cluster: it runs on a worker that can reach the camera and read
    the store, and returns the evidence image encoded (the worker writes nothing). What it returns
    crosses the network: faces are blurred and no unblurred copy is made, whatever the task's
    privacy settings say (:func:`~fov_monitor.faces.privacy.over_the_network`).
    """
    _set_up_dask_worker()
    task = dataclasses.replace(task, privacy=over_the_network(task.privacy))
    store = Store(task.store_root)
    grabbed = grab_camera(store, task, write_files=False)
    if isinstance(grabbed, CheckReply):
        reply = grabbed
    else:
        reply = dataclasses.replace(_check(store, grabbed), source=grabbed.frame.source)
    return dataclasses.replace(reply, worker=_dask_worker_name())


def check_task(task: CheckTask) -> CheckReply:
    """Judge one frame; never raise for a camera's own fault (the scan goes on)."""
    return _check(Store(task.store_root), task)


def _check(store: Store, task: CheckTask) -> CheckReply:
    try:
        camera = load_camera(store, task.camera_id, config=task.config)
        judgement = judge_grab(
            store,
            camera,
            task.frame,
            previous=task.previous,
            evidence=EvidencePolicy.AUTO if task.final else EvidencePolicy.NEVER,
            privacy=task.privacy,
            write_files=task.write_files,
            learn=True,
        )
    except FovMonitorError as exc:
        return CheckReply(task.camera_id, None, str(exc))
    except Exception as exc:  # a bug must cost one camera, not the night's scan
        log.exception("camera %s: unexpected failure of the check", task.camera_id)
        return CheckReply(task.camera_id, None, f"unexpected {type(exc).__name__} in the check: {exc}")
    if judgement.evidence_path is not None:
        release_freed_memory()
    decision = camera.stored_permit.permit.decision if camera.stored_permit is not None else None
    breach = filming_breach(decision, task.frame.grabbed_at)
    return CheckReply(task.camera_id, judgement, outside_decision=breach)


def _set_up_dask_worker() -> None:
    """One OpenCV thread per task (a Dask worker's threads are the parallelism), a flat C heap; once."""
    global _DASK_WORKER_READY
    if not _DASK_WORKER_READY:
        cv2.setNumThreads(1)
        keep_heap_flat()
        _DASK_WORKER_READY = True


def _dask_worker_name() -> str:
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # called outside a Dask worker
        return socket.gethostname()
    # An unnamed worker's name is a number the scheduler gave: its address says more.
    return str(worker.name) if isinstance(worker.name, str) else str(worker.address)


_DASK_WORKER_READY = False
