"""How a process of a pool that judges or develops frames is set up (the scan's, a bulk capture's)."""

from __future__ import annotations

import signal

import cv2

from fov_monitor.faces.model import use_memory_arena
from fov_monitor.heap import keep_heap_flat


def set_up_worker_process() -> None:
    """Set this process up as a pool's worker, for as many frames as the night brings.

    One OpenCV thread (the pool is the parallelism); face models without onnxruntime's arena and a
    C heap that gives back what frames free (memory flat however many frames); Ctrl-C left to the
    parent, which stops the pool.
    """
    cv2.setNumThreads(1)
    use_memory_arena(False)
    keep_heap_flat()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
