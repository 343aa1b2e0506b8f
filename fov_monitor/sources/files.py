"""Read a frame from an image file, or the newest image in a folder a camera uploads snapshots to."""

from __future__ import annotations

import logging
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from fov_monitor.errors import ImageFileError, SourceError, SourceUnreachable
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.result import Grab, decode_received

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pnm", ".tif", ".tiff", ".webp"}
)
"""File endings (lower case) a folder source takes as snapshots. Partial uploads (``x.jpg.tmp``,
``x.jpg.part``) end otherwise and are passed over, as are hidden (``.x.jpg``) and ``~`` files."""

log = logging.getLogger(__name__)


_CHUNK_BYTES = 1 << 20
"""A file is read this much at a time, the deadline looked at between reads."""
FOLDER_TRIES = 8
"""The newest snapshots of a folder tried, newest first, before a folder source gives up: a newer
file that is empty, truncated or still being written is passed over for the newest complete one."""


def grab_path(path: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read ``path``: the file itself, or the newest snapshot when it is a folder."""
    if path.is_dir():
        return grab_folder(path, deadline, max_bytes)
    return grab_file(path, deadline, max_bytes)


def grab_file(path: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read and decode one image file.

    Only a regular file is read (a device such as ``/dev/zero`` or a FIFO never ends or never
    starts), at most ``max_bytes`` of it, and never past the deadline: the read stops by itself, so
    no thread is left reading after the grab.

    Raises
    ------
    SourceUnreachable
        When the file does not exist.
    SourceTimeout
        When the deadline passes while it is read.
    SourceError
        When it is not a regular file, or larger than ``max_bytes``.
    ImageFileError
        When it is not an image, truncated, corrupt or too large to decode.
    """
    deadline.stage = "reading the file"
    started = time.monotonic()
    try:
        # Not blocking: opening a FIFO would otherwise wait for a writer, for good.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SourceUnreachable(f"{path} does not exist; check the path") from None
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc.strerror}); check its permissions") from None
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise SourceError(f"{path} is a folder; give a file, or folder:{path}")
        if not stat.S_ISREG(status.st_mode):
            raise SourceError(f"{path} is not a regular file ({_kind(status.st_mode)}); give an image file")
        if status.st_size > max_bytes:
            raise SourceError(
                f"{path} is {status.st_size} bytes, over max_bytes={max_bytes}; raise max_bytes"
            )
        data = _read_within(handle, path, deadline, max_bytes)
    deadline.timings["transfer"] = time.monotonic() - started
    captured_at = datetime.fromtimestamp(status.st_mtime, UTC)
    return decode_received(data, f"image file {path}", deadline, captured_at)


def _read_within(handle: BinaryIO, path: Path, deadline: Deadline, max_bytes: int) -> bytes:
    """Read ``handle`` to its end, at most ``max_bytes`` and within the deadline."""
    chunks: list[bytes] = []
    received = 0
    while True:
        deadline.check()
        try:
            chunk = handle.read(min(_CHUNK_BYTES, max_bytes + 1 - received))
        except OSError as exc:
            raise SourceError(f"{path} cannot be read ({exc.strerror}); check the file") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        received += len(chunk)
        if received > max_bytes:  # a file that grew since it was looked at
            raise SourceError(f"{path} is over max_bytes={max_bytes}; raise max_bytes")


def _kind(mode: int) -> str:
    kinds = {stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device", stat.S_ISFIFO: "a FIFO",
             stat.S_ISSOCK: "a socket"}  # fmt: skip
    return next((name for test, name in kinds.items() if test(mode)), "not a file")


def snapshots_newest_first(folder: Path, source: str) -> list[Path]:
    """Return the snapshots in ``folder``, the most recently modified first; empty files are left out.

    Raises
    ------
    SourceUnreachable
        When the folder does not exist.
    SourceError
        When it holds no snapshot.
    """
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        raise SourceUnreachable(f"{source}: folder does not exist; check the path") from None
    except NotADirectoryError:
        raise SourceError(f"{source} is not a folder; give a folder, or the file itself") from None
    except OSError as exc:
        raise SourceError(
            f"{source}: folder cannot be listed ({exc.strerror}); check its permissions"
        ) from None
    found: list[tuple[float, str]] = []
    for entry in entries:
        name = entry.name
        if name.startswith((".", "~")) or os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
            continue
        try:
            if not entry.is_file():
                continue
            status = entry.stat()
        except OSError:
            continue  # removed while we looked
        if status.st_size > 0:  # an upload just begun
            found.append((status.st_mtime, name))
    if not found:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise SourceError(f"{source}: folder holds no snapshot (files ending {suffixes}); check the upload")
    return [folder / name for _, name in sorted(found, reverse=True)]


def grab_folder(folder: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read and decode the newest complete snapshot in ``folder``.

    A newer file that cannot be decoded (truncated, still being written, not an image) is passed
    over for the next newest, up to :data:`FOLDER_TRIES` files; when none decodes, the newest one's
    error is raised.
    """
    deadline.stage = "listing the folder"
    started = time.monotonic()
    candidates = snapshots_newest_first(folder, deadline.source)[:FOLDER_TRIES]
    deadline.timings["list"] = time.monotonic() - started
    first_error: ImageFileError | None = None
    for path in candidates:
        try:
            return grab_file(path, deadline, max_bytes)
        except ImageFileError as exc:
            log.info("%s: %s; trying the next newest snapshot", deadline.source, exc)
            first_error = first_error or exc
        except SourceUnreachable:
            continue  # removed since the folder was listed
    if first_error is None:
        raise SourceError(
            f"{deadline.source}: every snapshot was removed while it was read; check the upload"
        )
    raise first_error
