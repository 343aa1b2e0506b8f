"""What an alert is: its problem, its state, its events, and the payload a channel delivers."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from fov_monitor.core.result import Outcome
from fov_monitor.db.audit import AuditAction

PAYLOAD_SCHEMA = "fov-monitor.alert-event/1"


class Problem(enum.StrEnum):
    """What is wrong with a camera: an :class:`Outcome` other than ``compliant``, or its decision ending
    soon; one active alert per camera and problem.

    An enum of its own, with :class:`Outcome`'s values (not spelt again), so that an alert's problem
    can never be ``compliant``: the type says it, and reading an alert row checks it.
    """

    REDIRECTED = Outcome.REDIRECTED.value
    ZONE_EXPOSED = Outcome.ZONE_EXPOSED.value
    TAMPERED = Outcome.TAMPERED.value
    UNVERIFIABLE = Outcome.UNVERIFIABLE.value
    OFFLINE = Outcome.OFFLINE.value
    ERROR = Outcome.ERROR.value
    OUTSIDE_DECISION = Outcome.OUTSIDE_DECISION.value
    DECISION_ENDING = "decision_ending"
    """The camera's decision ends within :data:`~fov_monitor.workflows.decision.NOTICE_DAYS` days: an
    announcement to the reviewers before filming becomes ``outside_decision`` (no scan outcome)."""

    @classmethod
    def of(cls, outcome: Outcome) -> Problem | None:
        """Return the problem of a scan outcome, None for ``compliant``."""
        return None if outcome is Outcome.COMPLIANT else cls(outcome.value)

    @property
    def outcome(self) -> Outcome | None:
        """The scan outcome this problem is; None for ``decision_ending``, which no scan records."""
        return None if self is Problem.DECISION_ENDING else Outcome(self.value)

    @property
    def seen(self) -> bool:
        """True for a finding that the camera breaks its permit (not: no frame, no verdict possible)."""
        outcome = self.outcome
        return outcome is not None and outcome.non_compliant


class State(enum.StrEnum):
    """Where an alert is in its life; ``resolved`` and ``closed`` have ``closed_at`` set."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def active(self) -> bool:
        """True while the alert is not closed."""
        return self not in (State.RESOLVED, State.CLOSED)


class Event(enum.StrEnum):
    """What happened to an alert (one ``alert_events`` row each)."""

    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"
    REBASELINE_PROPOSED = "rebaseline_proposed"
    REBASELINE_APPROVED = "rebaseline_approved"
    REBASELINE_REJECTED = "rebaseline_rejected"
    REBASELINE_APPLIED = "rebaseline_applied"
    """The approved re-baseline is done: the new reference is in place."""
    REBASELINE_FAILED = "rebaseline_failed"
    """The approved re-baseline could not be done (no frame, a refused reference): proposed again."""

    @property
    def delivered(self) -> bool:
        """True for the events the channels announce; repeats and other review steps stay quiet."""
        return self in (Event.OPENED, Event.CLOSED, Event.RESOLVED)

    @property
    def audit_action(self) -> AuditAction:
        """The audit line's action for this event: ``alert`` and the event in words."""
        return AuditAction(f"alert {self.value.replace('_', ' ')}")


ALERT_COLUMNS = (
    "id, camera_id, camera_group, problem, state, opened_at, updated_at, closed_at, occurrences, summary, "
    "first_result_id, last_result_id, last_run_id, evidence_path"
)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: a camera's problem from when it was opened until it was closed or resolved."""

    alert_id: int
    camera_id: str
    camera_group: str
    problem: Problem
    state: State
    opened_at: str
    updated_at: str
    closed_at: str | None
    occurrences: int
    summary: str
    first_result_id: int | None
    last_result_id: int | None
    last_run_id: int | None
    evidence_path: str | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Alert:
        """Build an alert from a row of :data:`ALERT_COLUMNS`."""
        return cls(
            int(row[0]),
            row[1],
            row[2],
            Problem(row[3]),
            State(row[4]),
            row[5],
            row[6],
            row[7],
            int(row[8]),
            row[9],
            row[10],
            row[11],
            row[12],
            row[13],
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the alert as a JSON-ready dict (``id`` for ``alert_id``)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {"id": fields.pop("alert_id"), **fields}


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One event of an alert: who, when, what, and why."""

    event_id: int
    alert_id: int
    at: str
    actor: str
    event: Event
    note: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """Where one delivery of an event to a channel stands (the outbox sends it)."""

    delivery_id: int
    event_id: int
    channel: str
    state: str
    attempts: int
    last_error: str | None
    sent_at: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the delivery as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class CameraFacts:
    """What a payload tells about the camera beyond its id: read from the store when delivered."""

    name: str = ""
    place: str = ""
    permit_decision: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """The evidence behind an event: the reasons of the outcome, the share outside and the image."""

    reasons: tuple[str, ...]
    outside_fraction: float | None
    evidence_path: str | None


def idempotency_key(alert_id: int, event_id: int, channel: str) -> str:
    """Return the delivery's key, stable across retries and restarts."""
    return f"fov-alert-{alert_id}-{event_id}-{channel}"


def build_payload(
    alert: Alert,
    event: Event,
    event_id: int,
    at: str,
    channel: str,
    camera: CameraFacts,
    finding: Finding,
    note: str = "",
) -> dict[str, Any]:
    """Return the payload of one delivery (the webhook body verbatim; mails are rendered from it).

    Parameters
    ----------
    alert : Alert
        The alert as it is after the event.
    event : Event
        ``opened``, ``closed`` or ``resolved``.
    event_id, at : int, str
        The event's row id and time.
    channel : str
        The channel's name (part of the idempotency key).
    camera, finding : CameraFacts, Finding
    note : str
        The reviewer's note (for ``resolved``).
    """
    key = idempotency_key(alert.alert_id, event_id, channel)
    return {
        "schema": PAYLOAD_SCHEMA,
        "idempotency_key": key,
        "event": str(event),
        "at": at,
        "alert": {
            "id": alert.alert_id,
            "camera_id": alert.camera_id,
            "camera_name": camera.name,
            "place": camera.place,
            "group": alert.camera_group,
            "problem": str(alert.problem),
            "state": str(alert.state),
            "opened_at": alert.opened_at,
            "closed_at": alert.closed_at,
            "occurrences": alert.occurrences,
            "summary": alert.summary,
            "reasons": list(finding.reasons),
            "outside_fraction": finding.outside_fraction,
            "evidence_path": finding.evidence_path,
            "permit_decision": camera.permit_decision,
        },
        "note": note,
    }


@dataclass(frozen=True, slots=True)
class AlertChanges:
    """What one pass of the engine over a scan run changed."""

    opened: int = 0
    updated: int = 0
    closed: int = 0
    deliveries: int = 0

    def __add__(self, other: AlertChanges) -> AlertChanges:
        return AlertChanges(
            self.opened + other.opened,
            self.updated + other.updated,
            self.closed + other.closed,
            self.deliveries + other.deliveries,
        )

    def to_dict(self) -> dict[str, int]:
        """Return the counts as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}
