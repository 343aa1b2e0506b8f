"""Ports on loopback for the real servers the tests start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a loopback port nothing listens on now (connections to it are refused until one does)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
