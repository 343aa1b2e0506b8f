"""What a grab returns: the frame decoded once, the bytes as received, and what it cost."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from fov_monitor.files.images import decode_image_bytes
from fov_monitor.sources.deadline import Deadline


@dataclass(frozen=True, eq=False)
class Grab:
    """One frame from a camera source.

    Attributes
    ----------
    image : (H, W, 3) uint8 array
        The frame, BGR, decoded exactly once.
    encoded : bytes or None
        The bytes as received when the source delivered an encoded image (file, folder, HTTP);
        None for RTSP, whose frames come decoded from FFmpeg.
    source : str
        The source with credentials and secret query values masked: safe to log.
    grabbed_at : datetime
        When the frame arrived (UTC).
    timings : dict of str to float
        Seconds per stage: ``connect`` (DNS, TCP, TLS, RTSP set-up; ``list`` for a folder),
        ``transfer`` (request to last byte; for RTSP the first frame, decoded inside FFmpeg),
        ``decode`` (file, folder and HTTP only) and ``total``.
    captured_at : datetime or None
        The file's modification time (UTC) for file and folder sources, so a stale upload shows;
        None when the source does not say.
    """

    image: NDArray[np.uint8] = field(repr=False)
    encoded: bytes | None = field(repr=False)
    source: str
    grabbed_at: datetime
    timings: dict[str, float]
    captured_at: datetime | None = None


def finish(
    deadline: Deadline, image: NDArray[np.uint8], encoded: bytes | None, captured_at: datetime | None = None
) -> Grab:
    """Return the :class:`Grab` of a frame that has just arrived, with its total time."""
    deadline.timings["total"] = time.monotonic() - deadline.started
    return Grab(image, encoded, deadline.source, datetime.now(UTC), dict(deadline.timings), captured_at)


def decode_received(data: bytes, name: str, deadline: Deadline, captured_at: datetime | None = None) -> Grab:
    """Decode received bytes once (through :func:`decode_image_bytes`) and return the :class:`Grab`.

    Raises
    ------
    ImageFileError
        When the bytes are truncated, corrupt or too large.
    """
    deadline.stage = "decoding"
    started = time.monotonic()
    image = decode_image_bytes(data, name)
    deadline.timings["decode"] = time.monotonic() - started
    return finish(deadline, image, data, captured_at)
