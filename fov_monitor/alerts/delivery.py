"""One row of the outbox: an alert event on its way to one channel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class DeliveryState(StrEnum):
    """Where a delivery stands: waiting (or between tries), done, or given up."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of an alert event to one channel.

    Attributes
    ----------
    payload_json : str
        The payload exactly as stored: the webhook's body, byte for byte.
    attempts : int
        Tries started so far (counted when a try is claimed, so a try cut short by a crash counts).
    idempotency_key : str
        ``fov-alert-<alert>-<event>-<channel>``: the same on every try, so a receiver can drop repeats.
    """

    delivery_id: int
    alert_id: int
    event_id: int
    channel: str
    idempotency_key: str
    payload_json: str
    state: DeliveryState
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None

    COLUMNS = (
        "id, alert_id, event_id, channel, idempotency_key, payload_json, state, attempts, "
        "next_attempt_at, last_error, created_at, sent_at"
    )
    """The SELECT list that :meth:`from_row` reads."""

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Delivery:
        """Build a delivery from a row selected with :attr:`COLUMNS`."""
        return cls(
            int(row[0]),
            int(row[1]),
            int(row[2]),
            row[3],
            row[4],
            row[5],
            DeliveryState(row[6]),
            int(row[7]),
            row[8],
            row[9],
            row[10],
            row[11],
        )

    @property
    def payload(self) -> dict[str, Any]:
        """The payload as a dict (see docs/alerts.md, "Delivery")."""
        document = json.loads(self.payload_json)
        assert isinstance(document, dict)
        return document

    def to_dict(self) -> dict[str, Any]:
        """Return the delivery as a JSON-ready dict (the payload parsed)."""
        fields = (name for name in self.__dataclass_fields__ if name != "payload_json")
        return {name: getattr(self, name) for name in fields} | {"payload": self.payload}
