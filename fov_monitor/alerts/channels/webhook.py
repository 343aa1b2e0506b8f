"""The webhook channel: the payload POSTed verbatim as JSON, signed with HMAC-SHA256 of the raw body.

Headers: ``Content-Type: application/json``, ``Idempotency-Key`` (the same on every try),
``X-Fov-Signature: sha256=<hex>`` and ``X-Fov-Timestamp`` (when this try was sent, Unix seconds).
A 2xx answer is a delivery; 408, 429 and 5xx, a timeout or a refused connection are tried again;
any other answer is final (the receiver will not take this payload).
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from fov_monitor.alerts.channels.base import DeliveryError
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:
        return None  # a redirected POST would drop its body or change method; say so instead


class WebhookChannel:
    """POST deliveries to one URL."""

    def __init__(self, settings: WebhookChannelSettings) -> None:
        self.name = settings.name
        self.settings = settings
        context = None
        if settings.url.startswith("https:"):
            cafile = str(settings.ca_file) if settings.ca_file is not None else None
            context = ssl.create_default_context(cafile=cafile)
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), _NoRedirect()
        )

    def request(self, delivery: Delivery, secret: str) -> urllib.request.Request:
        """Return the signed POST of a delivery."""
        body = delivery.payload_json.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: delivery.idempotency_key,
            SIGNATURE_HEADER: signature(body, secret),
            TIMESTAMP_HEADER: str(int(time.time())),
            "User-Agent": "fov-monitor",
        }
        return urllib.request.Request(self.settings.url, data=body, headers=headers, method="POST")

    def send(self, delivery: Delivery) -> None:
        """POST the delivery; return on a 2xx answer.

        Raises
        ------
        DeliveryError
            Permanent for an answer other than 2xx, 408, 429 or 5xx; passing otherwise.
        """
        where = f"webhook {self.name} ({_origin(self.settings.url)})"
        try:
            secret = self.settings.secret.read()
        except InvalidSettingsError as exc:
            raise DeliveryError(f"{where}: {exc}", permanent=False) from None
        try:
            with self._opener.open(self.request(delivery, secret), timeout=self.settings.timeout_s) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            permanent = not (status >= 500 or status in _PASSING_STATUSES)
            raise DeliveryError(f"{where} answered {status} {exc.reason}", permanent=permanent) from None
        except TimeoutError:
            raise DeliveryError(
                f"{where} did not answer within {self.settings.timeout_s:g} s", permanent=False
            ) from None
        except urllib.error.URLError as exc:
            raise DeliveryError(f"{where} unreachable ({exc.reason})", permanent=False) from None
        except OSError as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}", permanent=False) from None


def _origin(url: str) -> str:
    """Return the URL's scheme and host only: webhook paths and queries often are the secret."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/..."
