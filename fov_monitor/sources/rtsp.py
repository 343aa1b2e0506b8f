"""Take the first frame of an RTSP stream through OpenCV's FFmpeg backend, over TCP."""

from __future__ import annotations

import os
import time
from urllib.parse import quote, urlsplit, urlunsplit

import cv2

from fov_monitor.errors import SourceError
from fov_monitor.sources.auth import SourceAuth
from fov_monitor.sources.deadline import Deadline
from fov_monitor.sources.network import OpenSockets, open_tcp
from fov_monitor.sources.result import Grab, finish

FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_FAILED_READS_ALLOWED = 5


FFMPEG_DEFAULTS = {"rtsp_transport": "tcp", "analyzeduration": "500000"}
"""FFmpeg options for a one-frame grab: TCP (no lost UDP packets, passes NAT and firewalls), and half
a second of stream analysis instead of FFmpeg's 5 s, which made opening a stream take ~3 s while one
frame needs only the codec's parameters."""


def _set_ffmpeg_defaults() -> None:
    """Add :data:`FFMPEG_DEFAULTS` to ``OPENCV_FFMPEG_CAPTURE_OPTIONS``, keeping what the user set.

    FFmpeg's backend reads this variable with getenv() on every open, and setenv() races with a
    getenv() in another thread, so it is set once, here, when the module is imported (before any grab
    thread exists), and never per grab.
    """
    options = os.environ.get(FFMPEG_OPTIONS_ENV, "")
    given = {item.partition(";")[0] for item in options.split("|")}
    added = [f"{key};{value}" for key, value in FFMPEG_DEFAULTS.items() if key not in given]
    if added:
        os.environ[FFMPEG_OPTIONS_ENV] = "|".join(filter(None, [options, *added]))


_set_ffmpeg_defaults()


def grab_rtsp(url: str, auth: SourceAuth | None, deadline: Deadline, sockets: OpenSockets) -> Grab:
    """Return the first decodable frame of an ``rtsp://`` or ``rtsps://`` stream.

    FFmpeg is given the time left as its open and read timeouts, but this function is meant to run
    under :func:`~fov_monitor.sources.deadline.call_within`: some FFmpeg versions and cameras stall
    past those timeouts, and only the worker thread guarantees the caller its deadline.
    """
    parts = urlsplit(url)
    try:
        host, port = parts.hostname or "", parts.port or (322 if parts.scheme.lower() == "rtsps" else 554)
    except ValueError:
        raise SourceError(f"{deadline.source} has an invalid port; fix the URL") from None
    # A plain TCP connect first: FFmpeg says only "could not open", this tells a refused port or an
    # unknown host apart, at the cost of one short extra connection.
    started = time.monotonic()
    open_tcp(host, port, deadline, sockets).close()
    deadline.stage = "opening the RTSP stream"
    budget_ms = max(int(deadline.remaining() * 1000), 1)
    capture = cv2.VideoCapture(
        _with_password(url, auth, deadline.source),
        cv2.CAP_FFMPEG,
        [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, budget_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, budget_ms],
    )
    try:
        if not capture.isOpened():
            deadline.check()
            raise SourceError(
                f"{deadline.source}: FFmpeg could not open the stream (wrong path, credentials or codec); "
                "check the URL with ffprobe"
            )
        opened = time.monotonic()
        deadline.timings["connect"] = opened - started
        deadline.stage = "waiting for the first frame"
        for _ in range(_FAILED_READS_ALLOWED):
            deadline.check()
            ok, frame = capture.read()
            if ok and frame is not None and frame.size:
                deadline.timings["transfer"] = time.monotonic() - opened
                return finish(deadline, frame, None)
        deadline.check()
        raise SourceError(f"{deadline.source} sent no decodable frame; check the stream's codec with ffprobe")
    finally:
        capture.release()


def _with_password(url: str, auth: SourceAuth | None, source: str) -> str:
    """Return ``url`` with the user and password of ``auth`` in it, as FFmpeg expects them."""
    if auth is None:
        return url
    parts = urlsplit(url)
    password = auth.password(source)
    host = parts.netloc.rpartition("@")[2]
    userinfo = f"{quote(auth.username, safe='')}:{quote(password, safe='')}"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", parts.path, parts.query, parts.fragment))
