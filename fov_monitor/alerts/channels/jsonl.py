"""The JSON-lines channel: one line per delivery appended to a file, on disk before it counts as sent."""

from __future__ import annotations

import json
import os

from fov_monitor.alerts.channels.base import DeliveryError
from fov_monitor.alerts.channels.exchange import StopSignal
from fov_monitor.alerts.delivery import Delivery
from fov_monitor.alerts.settings import JsonlChannelSettings


class JsonlChannel:
    """Append each delivery's payload (which holds its idempotency key) as one JSON line, fsynced.

    A line is written with one ``write`` on a file opened for appending, so lines from two senders
    do not interleave; a delivery re-sent after a crash appears again with the same key.
    """

    def __init__(self, settings: JsonlChannelSettings) -> None:
        self.name = settings.name
        self.settings = settings

    def send(self, delivery: Delivery, stop: StopSignal | None = None) -> None:
        """Append the delivery's line and fsync the file (a local write: nothing to cut short)."""
        line = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        path = self.settings.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(descriptor, (line + "\n").encode("utf-8"))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as exc:
            raise DeliveryError(f"cannot append to {path} ({exc.strerror})", permanent=False) from None
