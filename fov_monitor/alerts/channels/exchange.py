"""A hard time limit on one whole exchange with a receiver, and a stop that does not wait it out.

A socket timeout bounds each wait, not the exchange: a receiver that sends a byte every 0.8 s, or an
SMTP tarpit, keeps every wait short and the exchange going for minutes, past the delivery's lease,
when another sender may take the same delivery. Here every socket of an exchange is watched by a
thread that shuts it down (the send then fails at once) when the exchange's deadline passes, or
:data:`STOP_GRACE_S` after the sender is told to stop. Only socket objects are shut down, never a
bare descriptor: one closed meanwhile has none left, so nothing another connection reuses is touched.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Protocol

EXCHANGE_WAITS = 4
"""A whole exchange may last this many times the channel's ``timeout_s`` (an SMTP exchange is several
waits); the delivery's lease is longer still."""
STOP_GRACE_S = 3.0
"""How long an exchange in hand may still finish after the sender was told to stop."""
_POLL_S = 0.05
"""How often a stop is looked for while an exchange runs."""


class StopSignal(Protocol):
    """Anything that says whether a sender should stop (a ``threading.Event``, a time budget)."""

    def is_set(self) -> bool:
        """Return True once the sender should stop."""
        ...


class Budget:
    """A stop signal that is set once ``seconds`` have passed, or when ``stop`` (if given) is.

    Parameters
    ----------
    seconds : float
        From now.
    stop : StopSignal, optional
        Another reason to stop (a signal handler's event).
    """

    def __init__(self, seconds: float, stop: StopSignal | None = None) -> None:
        self.ends = time.monotonic() + seconds
        self.stop = stop

    def is_set(self) -> bool:
        """Return True once the budget is spent or the other stop is set."""
        return time.monotonic() >= self.ends or (self.stop is not None and self.stop.is_set())


def exchange_deadline_s(timeout_s: float) -> float:
    """Return the hard limit on a whole exchange of a channel whose waits are ``timeout_s`` each."""
    return EXCHANGE_WAITS * timeout_s


class Exchange:
    """The sockets of one send, shut down when its deadline passes or a stop is asked for.

    Use it as a context manager around the whole exchange; register each socket with :meth:`watch`
    as soon as it exists, and each TLS socket made of it (:meth:`tls_context` does that).

    Parameters
    ----------
    deadline_s : float
        The longest the exchange may take, from entering the block.
    stop : StopSignal, optional
        When it is set, the exchange has :data:`STOP_GRACE_S` more to finish.
    """

    def __init__(self, deadline_s: float, stop: StopSignal | None = None) -> None:
        self.deadline_s = deadline_s
        self.stop = stop
        self.cut: str | None = None
        """Why the exchange was cut (``"deadline"`` or ``"stop"``), None while it was not."""
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="fov-exchange-deadline", daemon=True)

    def __enter__(self) -> Exchange:
        self._watcher.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            self._finished.set()
        self._watcher.join()

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut ``sock`` down with the exchange when it is cut; return it. Cut already: at once."""
        with self._lock:
            self._sockets.append(sock)
            if self.cut is not None:
                _shut(sock)
        return sock

    def tls_context(self, ca_file: Path | None) -> ssl.SSLContext:
        """Return a client TLS context (the system's CAs, or ``ca_file``'s) whose sockets are watched."""
        context = _WatchedContext(ssl.PROTOCOL_TLS_CLIENT)
        context.exchange = self
        if ca_file is not None:
            context.load_verify_locations(cafile=str(ca_file))
        else:
            context.load_default_certs()
        return context

    def _watch(self) -> None:
        ends = time.monotonic() + self.deadline_s
        stopping = False
        while True:
            now = time.monotonic()
            if not stopping and self.stop is not None and self.stop.is_set():
                stopping, ends = True, min(ends, now + STOP_GRACE_S)
            if now >= ends:
                self._cut("stop" if stopping else "deadline")
                return
            wait = ends - now if self.stop is None or stopping else min(_POLL_S, ends - now)
            if self._finished.wait(wait):
                return

    def _cut(self, reason: str) -> None:
        with self._lock:
            if self._finished.is_set():
                return
            self.cut = reason
            for sock in self._sockets:
                _shut(sock)

    def why(self, where: str, timeout_s: float) -> str | None:
        """Return the one line that says why the exchange was cut, None when it was not."""
        if self.cut == "stop":
            return f"{where}: the sender was stopped during the exchange; it is sent again by the next one"
        if self.cut == "deadline":
            return (
                f"{where} did not finish the exchange within {self.deadline_s:g} s "
                f"({EXCHANGE_WAITS} x its timeout_s {timeout_s:g} s)"
            )
        return None


class _WatchedContext(ssl.SSLContext):
    """A TLS context whose sockets join their exchange before the handshake (which may drip too)."""

    exchange: Exchange

    def wrap_socket(  # type: ignore[override]
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        wrapped = super().wrap_socket(
            sock,
            server_side=server_side,
            do_handshake_on_connect=False,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            session=session,
        )
        self.exchange.watch(wrapped)
        if do_handshake_on_connect:
            wrapped.do_handshake()
        return wrapped


def _shut(sock: socket.socket) -> None:
    """Shut a socket down for both directions (its TLS layer bypassed); nothing when it is closed."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


__all__ = ["EXCHANGE_WAITS", "STOP_GRACE_S", "Budget", "Exchange", "StopSignal", "exchange_deadline_s"]
