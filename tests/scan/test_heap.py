"""A worker's C heap gives back what frame-sized arrays free, however many frames it has seen."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# Run in a child of its own: the thresholds hold for the whole process, and its RSS is its own.
PROBE = """
import sys
import numpy as np
from fov_monitor.heap import keep_heap_flat

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))

if sys.argv[1] == "flat":
    assert keep_heap_flat()
big = np.ones(8 << 20, np.uint8)  # a large frame, freed: glibc raises its mmap threshold past 8 MB
del big
before = rss_mb()
frames, kept = [], []
for _ in range(60):
    frames.append(np.ones(3 << 19, np.uint8))  # 1.5 MB, a frame's working copy
    kept.append(np.ones(2000))  # a small block allocated after it, kept
del frames
print(rss_mb() - before)
"""


def _growth_mb(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc on Linux only"
)
def test_frames_freed_by_a_worker_go_back_to_the_system() -> None:
    default, flat = _growth_mb("default"), _growth_mb("flat")
    # 60 frames of 1.5 MB freed: glibc's own thresholds keep about 90 MB of them, fixed ones none.
    assert default > 45, default
    assert flat < 10, flat
