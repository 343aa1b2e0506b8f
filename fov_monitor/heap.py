"""The C heap of a long-lived worker process, kept flat over a night of frames.

glibc's ``malloc`` raises its mmap threshold each time a block it had mapped is freed, up to 32 MiB:
after the first frames, every frame-sized array (a 640x360 float image is 0.9 MiB) comes from the
heap, where the small blocks allocated between them pin the freed space, which is never given back.
A scan worker grew from 250 to 480 MB (PSS) over 10,000 cameras that way. With a fixed threshold of
1 MiB such arrays are mapped and unmapped whole, and the heap's free top is trimmed past 1 MiB:
measured by ``benchmarks/scan_fleet.py``, the scan's peak memory stayed at 680 MB from 1,000 to 4,000
cameras, at the same cameras per second.
"""

from __future__ import annotations

import ctypes

LARGE_BLOCK_BYTES = 1 << 20
"""Blocks from this size on are mapped apart; the heap keeps no more than this free at its top."""

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_heap_flat() -> bool:
    """Fix glibc's mmap and trim thresholds at :data:`LARGE_BLOCK_BYTES` for this process.

    Call it once when a worker process starts; it affects what is allocated from then on.

    Returns
    -------
    bool
        Whether it took effect: False where the C library is not glibc (musl, macOS), which has its
        own allocator and nothing to set.
    """
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)) and bool(
        _LIBC.mallopt(_M_TRIM_THRESHOLD, LARGE_BLOCK_BYTES)
    )


def release_freed_memory() -> None:
    """Hand the heap's free space back to the system now (after face blurring's large buffers)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    """Return the C library the interpreter runs on when it is glibc, else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc: no malloc_trim
        return None
    return libc


_LIBC = _glibc()
