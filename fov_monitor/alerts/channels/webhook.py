"""The webhook channel: the payload POSTed verbatim as JSON, signed with HMAC-SHA256 of the raw body.

Headers: ``Content-Type: application/json``, ``Idempotency-Key`` (the same on every try),
``X-Fov-Signature: sha256=<hex>`` and ``X-Fov-Timestamp`` (when this try was sent, Unix seconds).
A 2xx answer is a delivery; 408, 429 and 5xx, a timeout or a refused connection are tried again;
any other answer is final (the receiver will not take this payload). The whole exchange has a hard
time limit (:mod:`fov_monitor.alerts.channels.exchange`), however slowly the receiver answers.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import time
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from fov_monitor.alerts.channels.base import DeliveryError
from fov_monitor.alerts.channels.exchange import Exchange, StopSignal, exchange_deadline_s
from fov_monitor.alerts.delivery import Delivery
from fov_monitor.alerts.settings import WebhookChannelSettings
from fov_monitor.errors import InvalidSettingsError

SIGNATURE_HEADER = "X-Fov-Signature"
TIMESTAMP_HEADER = "X-Fov-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_PASSING_STATUSES = {408, 429}


def signature(body: bytes, secret: str) -> str:
    """Return the ``X-Fov-Signature`` value of a body: ``sha256=`` and the hex HMAC-SHA256 with the secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _Connection(http.client.HTTPConnection):
    """An HTTP(S) connection whose sockets are watched by the exchange from the moment they exist.

    Redirects are not followed (``http.client`` never does): a redirected POST would drop its body
    or change method, so a 3xx answer is reported as it is.
    """

    def __init__(self, url: SplitResult, timeout_s: float, exchange: Exchange, ca_file: Path | None) -> None:
        secure = url.scheme == "https"
        port = url.port or (443 if secure else 80)
        super().__init__(url.hostname or "", port, timeout=timeout_s)
        self.default_port = 443 if secure else 80
        self.exchange = exchange
        self.tls = exchange.tls_context(ca_file) if secure else None

    def connect(self) -> None:
        sock = self.exchange.watch(socket.create_connection((self.host, self.port), self.timeout))
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host) if self.tls is not None else sock


class WebhookChannel:
    """POST deliveries to one URL."""

    def __init__(self, settings: WebhookChannelSettings) -> None:
        self.name = settings.name
        self.settings = settings

    def headers(self, delivery: Delivery, secret: str) -> dict[str, str]:
        """Return the headers of a delivery's POST, signed with ``secret``."""
        return {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: delivery.idempotency_key,
            SIGNATURE_HEADER: signature(delivery.payload_json.encode("utf-8"), secret),
            TIMESTAMP_HEADER: str(int(time.time())),
            "User-Agent": "fov-monitor",
        }

    def send(self, delivery: Delivery, stop: StopSignal | None = None) -> None:
        """POST the delivery; return on a 2xx answer.

        The whole exchange (connection, TLS, request and answer) is cut at
        :func:`~fov_monitor.alerts.channels.exchange.exchange_deadline_s` of ``timeout_s``, or soon
        after ``stop`` is set.

        Raises
        ------
        DeliveryError
            Permanent for an answer other than 2xx, 408, 429 or 5xx; passing otherwise.
        """
        settings = self.settings
        where = f"webhook {self.name} ({_origin(settings.url)})"
        try:
            secret = settings.secret.read()
        except InvalidSettingsError as exc:
            raise DeliveryError(f"{where}: {exc}", permanent=False) from None
        url = urlsplit(settings.url)
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        with Exchange(exchange_deadline_s(settings.timeout_s), stop) as exchange:
            connection = _Connection(url, settings.timeout_s, exchange, settings.ca_file)
            try:
                connection.request(
                    "POST", target, delivery.payload_json.encode("utf-8"), self.headers(delivery, secret)
                )
                answer = connection.getresponse()
                answer.read()
            except Exception as exc:  # every failure of the exchange, named; a cut one says so
                raise _failure(exchange, where, settings.timeout_s, exc) from None
            finally:
                connection.close()
        status = answer.status
        if not 200 <= status < 300:
            permanent = not (status >= 500 or status in _PASSING_STATUSES)
            raise DeliveryError(f"{where} answered {status} {answer.reason}", permanent=permanent)


def _failure(exchange: Exchange, where: str, timeout_s: float, exc: Exception) -> DeliveryError:
    """Return the delivery error of a failed exchange: cut (deadline, stop), timed out, unreachable."""
    cut = exchange.why(where, timeout_s)
    if cut is not None:
        return DeliveryError(cut, permanent=False, interrupted=exchange.cut == "stop")
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"{where} did not answer within {timeout_s:g} s", permanent=False)
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return DeliveryError(f"{where} unreachable ({exc})", permanent=False)
    return DeliveryError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)


def _origin(url: str) -> str:
    """Return the URL's scheme and host only: webhook paths and queries often are the secret."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/..."
