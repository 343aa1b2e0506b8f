"""Tell which kind a source is and grab one frame from it within a hard time limit."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from fov_monitor.errors import InvalidSettingsError, SourceError
from fov_monitor.sources.auth import SourceAuth
from fov_monitor.sources.deadline import Deadline, call_within
from fov_monitor.sources.demo import grab_demo
from fov_monitor.sources.files import grab_folder, grab_path
from fov_monitor.sources.http_snapshot import grab_http
from fov_monitor.sources.network import OpenSockets
from fov_monitor.sources.redaction import redact
from fov_monitor.sources.result import Grab
from fov_monitor.sources.rtsp import grab_rtsp

DEFAULT_MAX_BYTES = 32 * 2**20


class SourceKind(enum.StrEnum):
    """The kinds of camera source."""

    PATH = "path"  # an image file, or a folder of snapshots when it is a directory
    FOLDER = "folder"
    HTTP = "http"
    RTSP = "rtsp"
    DEMO = "demo"  # a built-in demo camera (fov-monitor demo)


def source_kind(source: str) -> tuple[SourceKind, str]:
    """Return the kind of ``source`` and where it points (the path or the URL).

    Parameters
    ----------
    source : str
        ``cam.jpg``, ``file:cam.jpg``, ``file:///srv/cam.jpg``, ``folder:/srv/uploads/cam-07``,
        ``http(s)://...``, ``rtsp(s)://...`` or ``demo:cam-01-square`` (a built-in demo camera).

    Raises
    ------
    SourceError
        When the source is empty or has a scheme fov-monitor does not read.
    """
    scheme = source.partition(":")[0].lower()
    if scheme in ("http", "https") and source[len(scheme) :].startswith("://"):
        return SourceKind.HTTP, source
    if scheme in ("rtsp", "rtsps") and source[len(scheme) :].startswith("://"):
        return SourceKind.RTSP, source
    if scheme == "demo":
        return SourceKind.DEMO, source[len("demo:") :]
    if scheme == "folder":
        return SourceKind.FOLDER, source[len("folder:") :]
    if scheme == "file":
        rest = source[len("file:") :]
        return SourceKind.PATH, url2pathname(urlsplit(source).path) if rest.startswith("//") else rest
    if "://" in source or not source.strip():
        raise SourceError(
            f"source {redact(source)!r} is not a path, file:, folder:, http(s):// or rtsp(s):// URL "
            "(or demo:); fix it"
        )
    return SourceKind.PATH, source


def check_source(source: str) -> str:
    """Return ``source`` if it is one fov-monitor can grab from, else raise saying what is wrong.

    Checks the form only (a known kind; for a URL, a host and a valid port): whether the camera
    answers is for the grab to find.

    Raises
    ------
    SourceError
        When the source is empty, of a kind fov-monitor does not read, or a URL that cannot be parsed
        (``http://[::1``) or names no host.
    """
    kind, location = source_kind(source)
    if kind in (SourceKind.HTTP, SourceKind.RTSP):
        try:
            parts = urlsplit(location)
            host, _ = parts.hostname, parts.port
        except ValueError as exc:
            raise SourceError(f"source {redact(source)!r} is not a valid URL ({exc}); fix it") from None
        if not host:
            raise SourceError(f"source {redact(source)!r} names no host; fix the URL")
    return source


def grab(
    source: str,
    *,
    auth: SourceAuth | None = None,
    timeout_s: float = 10.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ca_file: Path | None = None,
) -> Grab:
    """Grab one frame from a camera source, never taking longer than ``timeout_s``.

    Parameters
    ----------
    source : str
        An image file (``cam.jpg`` or ``file:cam.jpg``); a folder a camera uploads snapshots to
        (``folder:uploads/cam-07`` or an existing directory: its newest image, partial uploads and
        hidden files passed over); an ``http(s)://`` snapshot URL (JPEG, PNG; of an MJPEG multipart
        stream the first frame); an ``rtsp(s)://`` stream (its first decodable frame, over TCP); or
        ``demo:NAME``, a built-in demo camera (see :mod:`fov_monitor.workflows.demo`).
    auth : SourceAuth or None
        Credentials for HTTP (basic or digest) and RTSP. A ``user:password@`` in the URL is used when
        ``auth`` is None, but belongs in a secret, not in settings.
    timeout_s : float
        The wall-clock limit for the whole grab (connect, transfer, decode), in seconds.
    max_bytes : int
        The largest image accepted in bytes; a longer body (an endless stream) is cut off.
    ca_file : Path or None
        A CA bundle (PEM) to verify an HTTPS camera's certificate with, instead of the system's.

    Returns
    -------
    Grab
        The decoded frame, the bytes as received, the redacted source and the timings.

    Raises
    ------
    SourceTimeout
        When no frame came within ``timeout_s``.
    SourceUnreachable
        When the host is unknown, refuses the connection, or the file or folder does not exist.
    SourceAuthError
        When the camera refuses the credentials, or the password's variable or file is missing or
        readable by others.
    SourceNotAnImage
        When the camera answers with something other than an image (an HTML page).
    SourceError
        For any other failure of the source (HTTP errors, an empty folder, a stream FFmpeg cannot
        open, more than ``max_bytes``).
    ImageFileError
        When the image received is truncated, corrupt or too large to decode.
    """
    if not timeout_s > 0 or not max_bytes > 0:
        raise InvalidSettingsError(
            f"timeout_s and max_bytes must be positive, got {timeout_s} and {max_bytes}"
        )
    kind, location = source_kind(check_source(source))
    deadline = Deadline(timeout_s, redact(source))
    sockets = OpenSockets()
    work: dict[SourceKind, Callable[[], Grab]] = {
        SourceKind.PATH: lambda: grab_path(Path(location), deadline, max_bytes),
        SourceKind.FOLDER: lambda: grab_folder(Path(location), deadline, max_bytes),
        SourceKind.HTTP: lambda: grab_http(location, auth, deadline, sockets, max_bytes, ca_file),
        SourceKind.RTSP: lambda: grab_rtsp(location, auth, deadline, sockets),
        SourceKind.DEMO: lambda: grab_demo(location, deadline),
    }
    return call_within(deadline, work[kind], abandon=sockets.cut)
