"""The scan's worker processes: judge one grabbed frame against the camera's own references.

Each task carries the frame, decoded once by the grab, and the camera's id; the worker loads the
settings, permit and (cached) reference features from the store itself, so nothing but frames
crosses the process boundary and memory does not grow with the fleet. Workers never touch the
database: the parent records what they return.
"""

from __future__ import annotations

import ctypes
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

import cv2

from fov_monitor.camera_check import Judgement, judge_grab, load_camera
from fov_monitor.errors import FovMonitorError
from fov_monitor.face_model import use_memory_arena
from fov_monitor.fingerprint import FrameFingerprint
from fov_monitor.privacy import PrivacySettings
from fov_monitor.sources import Grab
from fov_monitor.store import Store

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


@dataclass(frozen=True, slots=True)
class CheckReply:
    """What a worker found: a judgement, or the one-line reason the camera could not be judged."""

    camera_id: str
    judgement: Judgement | None
    error: str | None = None


def start_worker() -> None:
    """Set a worker process up for a long scan.

    One OpenCV thread (the pool is the parallelism), face models without onnxruntime's arena (memory
    flat over the night), and Ctrl-C left to the parent.
    """
    cv2.setNumThreads(1)
    use_memory_arena(False)
    # A worker's warnings (e.g. evidence not written) reach the scan's stderr like the parent's own.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def check_task(task: CheckTask) -> CheckReply:
    """Judge one frame; never raise for a camera's own fault (the scan goes on)."""
    store = Store(task.store_root)
    try:
        camera = load_camera(store, task.camera_id)
        judgement = judge_grab(
            store,
            camera,
            task.frame,
            previous=task.previous,
            evidence="auto" if task.final else "never",
            privacy=PrivacySettings.for_store(store.root),
        )
    except FovMonitorError as exc:
        return CheckReply(task.camera_id, None, str(exc))
    except Exception as exc:  # a bug must cost one camera, not the night's scan
        log.exception("camera %s: unexpected failure of the check", task.camera_id)
        return CheckReply(task.camera_id, None, f"unexpected {type(exc).__name__} in the check: {exc}")
    if judgement.evidence_path is not None:
        _release_freed_memory()
    return CheckReply(task.camera_id, judgement)


def _release_freed_memory() -> None:
    """Hand freed heap back to the system: face blurring's buffers would otherwise stay (~400 MB)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()
