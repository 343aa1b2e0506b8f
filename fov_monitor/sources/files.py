"""Read a frame from an image file, or the newest image in a folder a camera uploads snapshots to."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from fov_monitor.errors import SourceError, SourceUnreachable
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.result import Grab, decode_received

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pnm", ".tif", ".tiff", ".webp"}
)
"""File endings (lower case) a folder source takes as snapshots. Partial uploads (``x.jpg.tmp``,
``x.jpg.part``) end otherwise and are passed over, as are hidden (``.x.jpg``) and ``~`` files."""


def grab_path(path: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read ``path``: the file itself, or the newest snapshot when it is a folder."""
    if path.is_dir():
        return grab_folder(path, deadline, max_bytes)
    return grab_file(path, deadline, max_bytes)


def grab_file(path: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read and decode one image file.

    Raises
    ------
    SourceUnreachable
        When the file does not exist.
    SourceError
        When it is larger than ``max_bytes``.
    ImageFileError
        When it is not an image, truncated, corrupt or too large to decode.
    """
    deadline.stage = "reading the file"
    started = time.monotonic()
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_size > max_bytes:
                raise SourceError(
                    f"{path} is {status.st_size} bytes, over max_bytes={max_bytes}; raise max_bytes"
                )
            data = handle.read()
    except FileNotFoundError:
        raise SourceUnreachable(f"{path} does not exist; check the path") from None
    except IsADirectoryError:
        raise SourceError(f"{path} is a folder; give a file, or folder:{path}") from None
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc.strerror}); check its permissions") from None
    deadline.timings["transfer"] = time.monotonic() - started
    captured_at = datetime.fromtimestamp(status.st_mtime, UTC)
    return decode_received(data, f"image file {path}", deadline, captured_at)


def newest_image(folder: Path, source: str) -> Path:
    """Return the most recently modified snapshot in ``folder``.

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
    newest: tuple[float, str] | None = None
    for entry in entries:
        name = entry.name
        if name.startswith((".", "~")) or os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
            continue
        try:
            if not entry.is_file():
                continue
            key = (entry.stat().st_mtime, name)
        except OSError:
            continue  # removed while we looked
        newest = key if newest is None or key > newest else newest
    if newest is None:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise SourceError(f"{source}: folder holds no snapshot (files ending {suffixes}); check the upload")
    return folder / newest[1]


def grab_folder(folder: Path, deadline: Deadline, max_bytes: int) -> Grab:
    """Read and decode the newest snapshot in ``folder``; see :func:`newest_image`."""
    deadline.stage = "listing the folder"
    started = time.monotonic()
    path = newest_image(folder, deadline.source)
    deadline.timings["list"] = time.monotonic() - started
    return grab_file(path, deadline, max_bytes)
