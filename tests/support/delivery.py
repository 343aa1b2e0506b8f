"""Outbox test data (alert, event and delivery rows written with SQL, per the alerts contract) and
real receivers on loopback: an HTTP webhook receiver that checks signatures and drops repeats, and an
SMTP server (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database

T0 = datetime(2026, 1, 1, 2, 0, 0, tzinfo=UTC)
"""When the test alerts were opened (in the past, so that a real-time sender finds them due)."""
SECRET = "s3cret-signing-key"
SECRET_ENV = "FOV_TEST_WEBHOOK_SECRET"


def payload(
    alert_id: int, event_id: int, channel: str, event: str = "opened", **alert: Any
) -> dict[str, Any]:
    """Return a payload as the contract describes it."""
    return {
        "schema": "fov-monitor.alert-event/1",
        "idempotency_key": f"fov-alert-{alert_id}-{event_id}-{channel}",
        "event": event,
        "at": T0.isoformat(timespec="seconds"),
        "alert": {
            "id": alert_id,
            "camera_id": alert.get("camera_id", f"cam-{alert_id:02d}"),
            "camera_name": "Harbour gate",
            "place": "Quay 3",
            "group": alert.get("group", "north"),
            "problem": "redirected",
            "state": "open",
            "opened_at": T0.isoformat(timespec="seconds"),
            "closed_at": None,
            "occurrences": 1,
            "summary": "11.9% of the view is outside the permit",
            "reasons": ["11.9% of the view is outside the permitted area"],
            "outside_fraction": 0.119,
            "evidence_path": alert.get("evidence_path"),
            "permit_decision": "BN-2025-0412",
        },
        "note": "",
    }


def seed(database: Database, channels: list[str], alerts: int = 1, **alert: Any) -> list[str]:
    """Write opened alerts with one delivery per channel each, in one transaction; return the keys."""
    at = T0.isoformat(timespec="seconds")

    def write(transaction: Transaction) -> list[str]:
        keys = []
        for _ in range(alerts):
            alert_id = transaction.insert(
                "INSERT INTO alerts (camera_id, camera_group, problem, state, opened_at, updated_at, "
                "occurrences, summary) VALUES (?, ?, 'redirected', 'open', ?, ?, 1, 's') RETURNING id",
                (f"cam-{time.monotonic_ns()}", alert.get("group", "north"), at, at),
            )
            event_id = transaction.insert(
                "INSERT INTO alert_events (alert_id, at, actor, event, note, detail_json) "
                "VALUES (?, ?, 'scan', 'opened', '', '{}') RETURNING id",
                (alert_id, at),
            )
            for channel in channels:
                document = payload(alert_id, event_id, channel, **alert)
                keys.append(document["idempotency_key"])
                transaction.execute(
                    "INSERT INTO deliveries (alert_id, event_id, channel, idempotency_key, payload_json, "
                    "state, attempts, next_attempt_at, created_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                    (alert_id, event_id, channel, document["idempotency_key"], json.dumps(document), at, at),
                )
        return keys

    return database.write(write)


def states(database: Database) -> dict[str, str]:
    """Return each delivery's state by idempotency key."""
    return dict(database.read("SELECT idempotency_key, state FROM deliveries"))  # type: ignore[arg-type]


@dataclass
class Receiver:
    """A webhook receiver: checks the HMAC, counts every key it is sent, processes each key once.

    ``fail_first`` requests get a 500, the first ``slow_first`` are answered after ``slow_s``,
    ``status`` (when set) answers every request, and with ``hold`` the handler signals
    ``in_flight`` and waits until ``release`` is set.
    """

    port: int = 0
    secret: str = SECRET
    fail_first: int = 0
    slow_first: int = 0
    slow_s: float = 0.0
    status: int | None = None
    hold: bool = False
    seen: Counter[str] = field(default_factory=Counter)
    processed: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)  # of the processed keys, in order
    bad_signatures: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    tls: ssl.SSLContext | None = None
    """Serve HTTPS with this server context (its certificate), else plain HTTP."""
    _requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(receiver.handle(body, dict(self.headers.items())))
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/hook"

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Fov-Signature", "")):
            self.bad_signatures += 1
            return 401
        key = headers["Idempotency-Key"]
        assert json.loads(body)["idempotency_key"] == key
        with self._lock:
            self._requests += 1
            number = self._requests
            self.headers.append(headers)
        if self.status is not None:
            return self.status
        if number <= self.fail_first:
            return 500
        with self._lock:
            self.seen[key] += 1
            if key not in self.processed:  # the dedupe a receiver does with the idempotency key
                self.processed.append(key)
                self.bodies.append(body)
        if self.hold:
            self.in_flight.set()
            self.release.wait(30)
        if number <= self.fail_first + self.slow_first:
            time.sleep(self.slow_s)
        return 200

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def write_settings(root: Path, channels: list[dict[str, Any]], **retry: float) -> None:
    """Write ``<root>/alerts.json`` with these channels and retry settings."""
    document = {
        "schema_version": 1,
        "retry": {"max_attempts": 5, "first_backoff_s": 1, "max_backoff_s": 60, **retry},
        "channels": channels,
    }
    (root / "alerts.json").write_text(json.dumps(document), encoding="utf-8")


class Drip:
    """A receiver that answers one byte at a time: each wait short, the exchange endless.

    For every connection it reads the request when ``http`` (headers and body), then sends ``head``
    at once and ``drip`` one byte every ``every_s``, and closes. It stops dripping when the client
    goes away; :meth:`close` ends it and waits for its threads.
    """

    def __init__(self, head: bytes, drip: bytes, every_s: float, *, http: bool) -> None:
        self.head, self.drip, self.every_s, self.http = head, drip, every_s, http
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._closing = threading.Event()
        self._threads = [threading.Thread(target=self._accept, name="drip-accept")]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), name="drip-serve")
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            try:
                if self.http:
                    received = b""
                    while b"\r\n\r\n" not in received:
                        received += connection.recv(65536)
                    head, _, body = received.partition(b"\r\n\r\n")
                    length = int(
                        next(
                            line.split(b":")[1]
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length")
                        )
                    )
                    while len(body) < length:
                        body += connection.recv(65536)
                connection.sendall(self.head)
                for byte in self.drip:
                    if self._closing.wait(self.every_s):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return  # the client went away: what a cut exchange does

    def close(self) -> None:
        self._closing.set()
        for thread in self._threads:
            thread.join()
        self._listener.close()
