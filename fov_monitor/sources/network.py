"""Open a TCP connection to a camera within a grab's deadline, with errors that say what failed."""

from __future__ import annotations

import contextlib
import socket
import threading

from fov_monitor.errors import SourceUnreachable
from fov_monitor.sources.deadline import Deadline


class OpenSockets:
    """The sockets a grab has open, so that a grab abandoned at its deadline can be cut off."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._cut = False

    def add(self, sock: socket.socket) -> None:
        """Track ``sock``; cut it at once if the grab was already abandoned."""
        with self._lock:
            self._sockets.append(sock)
            if not self._cut:
                return
        _shut(sock)

    def cut(self) -> None:
        """Shut every tracked socket down, so a worker blocked on one returns at once."""
        with self._lock:
            self._cut = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected yet, or already closed
        sock.shutdown(socket.SHUT_RDWR)


def open_tcp(host: str, port: int, deadline: Deadline, sockets: OpenSockets) -> socket.socket:
    """Resolve ``host`` and connect to ``port`` before the deadline.

    Raises
    ------
    SourceUnreachable
        When the host is unknown, refuses the connection or cannot be reached.
    SourceTimeout
        When the connection is not made before the deadline.
    """
    deadline.stage = f"connecting to {host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=max(deadline.remaining(), 0.001))
    except socket.gaierror as exc:
        raise SourceUnreachable(
            f"{deadline.source}: host {host} is unknown ({exc.strerror}); check the address"
        ) from None
    except ConnectionRefusedError:
        raise SourceUnreachable(
            f"{deadline.source} refused the connection on port {port}; check the port and the camera"
        ) from None
    except TimeoutError:
        raise deadline.timeout_error() from None
    except OSError as exc:
        raise SourceUnreachable(
            f"{deadline.source} cannot be reached ({exc.strerror or exc}); check the network"
        ) from None
    sockets.add(sock)
    return sock
