"""A small HTTP snapshot server on loopback: cameras for the demo, the tests and the benchmarks.

Each camera is a path that answers ``GET`` with its current JPEG or PNG, like the snapshot URL of
an IP camera.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cv2
import numpy as np

from fov_monitor.errors import InvalidImageError


class SnapshotServer:
    """Serve in-memory snapshots over HTTP on ``host`` (loopback by default).

    Use it as a context manager; :meth:`put` sets what a path serves, :meth:`url` says where.

    Parameters
    ----------
    host : str
        Address to listen on.
    port : int
        Port; 0 picks a free one.
    delay_s : float
        Wait this long before each answer, like a slow camera (settable while serving).
    noise_sigma : float
        Add Gaussian sensor noise of this standard deviation to each answer of an image put as an
        array, so that no two grabs are the same picture, as with a real camera (0: the very same
        bytes each time, which a check then calls a frozen feed).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, delay_s: float = 0.0, noise_sigma: float = 0.0
    ) -> None:
        self.delay_s = delay_s
        self.noise_sigma = noise_sigma
        self._snapshots: dict[str, _Snapshot] = {}
        self._once: dict[str, _Snapshot] = {}
        self._noise = np.random.default_rng()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="snapshot-server", daemon=True
        )

    def __enter__(self) -> SnapshotServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        """Return the URL of ``path`` (e.g. ``"/cam-01.jpg"``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{path.lstrip('/')}"

    def put(self, path: str, image: np.ndarray | bytes, content_type: str = "image/jpeg") -> None:
        """Serve ``image`` at ``path``: an array (encoded by the path's suffix, JPEG or PNG) or bytes."""
        body = self._encoded(path, image, content_type)
        with self._lock:
            self._snapshots["/" + path.lstrip("/")] = body

    def put_once(self, path: str, image: np.ndarray | bytes, content_type: str = "image/jpeg") -> None:
        """Serve ``image`` at ``path`` to the next request only, then what :meth:`put` set again.

        A passing bus or bird: a camera whose first frame is odd and whose second is normal.
        """
        body = self._encoded(path, image, content_type)
        with self._lock:
            self._once["/" + path.lstrip("/")] = body

    def _encoded(self, path: str, image: np.ndarray | bytes, content_type: str) -> _Snapshot:
        if isinstance(image, np.ndarray):
            body, content_type = _encode(path, image)
            return _Snapshot(body, content_type, image)
        return _Snapshot(image, content_type, None)

    def _body(self, path: str, snapshot: _Snapshot) -> bytes:
        if self.noise_sigma <= 0 or snapshot.image is None:
            return snapshot.body
        with self._lock:
            noise = self._noise.normal(0.0, self.noise_sigma, snapshot.image.shape)
        return _encode(path, np.clip(snapshot.image + noise, 0, 255).astype(np.uint8))[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.delay_s > 0:
                    time.sleep(server.delay_s)
                with server._lock:
                    path = self.path.split("?")[0]
                    found = server._once.pop(path, None) or server._snapshots.get(path)
                if found is None:
                    self.send_error(404, "no such camera")
                    return
                body = server._body(path, found)
                self.send_response(200)
                self.send_header("Content-Type", found.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


@dataclass(frozen=True, slots=True)
class _Snapshot:
    body: bytes
    content_type: str
    image: np.ndarray | None  # kept to serve it with fresh noise


def _encode(path: str, image: np.ndarray) -> tuple[bytes, str]:
    suffix = ".png" if path.endswith(".png") else ".jpg"
    ok, encoded = cv2.imencode(suffix, image, [cv2.IMWRITE_JPEG_QUALITY, 92] if suffix == ".jpg" else [])
    if not ok:
        raise InvalidImageError(f"snapshot for {path} could not be encoded")
    return encoded.tobytes(), "image/png" if suffix == ".png" else "image/jpeg"
