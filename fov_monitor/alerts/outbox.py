"""The outbox worker: claim due deliveries, send each once, mark it sent, back it off or give it up.

A delivery row is written in the same transaction as its alert event, so nothing is lost between an
alert and its delivery. Sending is *at least once*: a sender that dies after the receiver took a
delivery and before marking it sent leaves it pending, and it is sent again (with the same
idempotency key, so the receiver drops the repeat) once its lease runs out.

Claiming a delivery is one transaction that moves its ``next_attempt_at`` past the lease and counts
the try; on PostgreSQL the row is picked ``FOR UPDATE SKIP LOCKED``, on SQLite the write lock of
``BEGIN IMMEDIATE`` serialises claims. Every exchange with a receiver has a hard time limit shorter
than the lease (:mod:`fov_monitor.alerts.channels.exchange`), so two senders at once never hold the
same delivery, and a try cut short by a crash still counts towards ``max_attempts``. Every mark is
its own transaction with its audit line (``delivery sent``, ``delivery failed``); a mark only lands
while the sender still holds the lease, so a slow sender cannot undo what a later one recorded. A
sender told to stop cuts the exchange in hand after a short grace and leaves that delivery due at
once for the next sender, its try not counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fov_monitor.alerts.channels import Channel, DeliveryError, build_channel
from fov_monitor.alerts.channels.exchange import Budget, StopSignal, exchange_deadline_s
from fov_monitor.alerts.delivery import Delivery, DeliveryState
from fov_monitor.alerts.evidence import EvidenceReader, store_evidence
from fov_monitor.alerts.settings import (
    ALERTS_FILE,
    AlertSettings,
    SmtpChannelSettings,
    WebhookChannelSettings,
)
from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database, append_audit
from fov_monitor.db.location import Dialect
from fov_monitor.errors import FovMonitorError
from fov_monitor.faces.privacy import PrivacySettings, default_privacy

log = logging.getLogger(__name__)

LEASE_MARGIN_S = 60.0
"""Added to the channels' longest time limit: how long a claimed delivery is left to its sender."""

DEFAULT_ACTOR = "fov-monitor alerts"


class OutboxError(FovMonitorError):
    """A delivery asked for by id is not in the outbox, or not in a state that allows the action."""


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one try did: ``sent``, ``retrying`` (backed off), ``failed`` (given up) or ``interrupted``
    (cut by a stop, due again at once), and why."""

    delivery_id: int
    idempotency_key: str
    channel: str
    outcome: str
    attempts: int
    error: str | None = None
    next_attempt_at: str | None = None


@dataclass(slots=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did, one outcome per delivery tried."""

    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """Return how many tries ended in ``outcome``."""
        return sum(1 for item in self.outcomes if item.outcome == outcome)

    @property
    def sent(self) -> int:
        """Deliveries sent."""
        return self.count("sent")

    @property
    def retrying(self) -> int:
        """Deliveries that failed this time and will be tried again."""
        return self.count("retrying")

    @property
    def failed(self) -> int:
        """Deliveries given up."""
        return self.count("failed")

    @property
    def interrupted(self) -> int:
        """Deliveries whose exchange a stop cut short: due again at once, for the next sender."""
        return self.count("interrupted")

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "interrupted": self.interrupted,
            "deliveries": [
                {name: getattr(o, name) for name in o.__dataclass_fields__} for o in self.outcomes
            ],
        }


class _Clock:
    """``now`` (given, or the real time) moving on with the real time, so leases stay honest."""

    def __init__(self, now: datetime | None) -> None:
        self.start = now if now is not None else datetime.now(UTC)
        self._started = time.monotonic()

    def current(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._started)


def _stamp(moment: datetime) -> str:
    """ISO 8601 UTC with seconds, rounded down (for "due by")."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat(timespec="seconds")


def _stamp_after(moment: datetime) -> str:
    """ISO 8601 UTC with seconds, rounded up: a moment never earlier than ``moment``."""
    moment = moment.astimezone(UTC)
    whole = moment.replace(microsecond=0)
    return (whole + timedelta(seconds=1) if moment > whole else whole).isoformat(timespec="seconds")


def lease_s(settings: AlertSettings) -> float:
    """Return how long a claimed delivery stays with its sender before another may take it.

    The longest exchange any channel may have (cut there, however slowly its receiver answers),
    plus :data:`LEASE_MARGIN_S` for claiming and marking.
    """
    limits = [
        exchange_deadline_s(channel.timeout_s)
        for channel in settings.channels
        if isinstance(channel, SmtpChannelSettings | WebhookChannelSettings)
    ]
    return LEASE_MARGIN_S + max(limits, default=0.0)


def deliver_due(
    database: Database,
    store_root: Path,
    settings: AlertSettings,
    now: datetime | None = None,
    limit: int = 1000,
    *,
    actor: str = DEFAULT_ACTOR,
    stop: StopSignal | None = None,
    within_s: float | None = None,
    newer_than: int | None = None,
    privacy: PrivacySettings | None = None,
) -> DeliveryReport:
    """Send the deliveries that are due, each at most once per call.

    Parameters
    ----------
    database : Database
        The results database holding the outbox.
    store_root : Path
        The store, whose ``alerts.json`` is named when a delivery's channel is no longer configured.
    settings : AlertSettings
        The channels and the retry policy.
    now : datetime, optional
        The time to act at (default: the real time); it moves on with the real time during the call.
        Deliveries due by ``now`` are tried; one that fails is not tried again in the same call.
    limit : int
        The most deliveries tried in this call.
    actor : str
        Who is named in the audit lines.
    stop : StopSignal, optional
        When set, no further delivery is claimed, and the one in hand has
        :data:`~fov_monitor.alerts.channels.exchange.STOP_GRACE_S` to finish: then its exchange is
        cut and it is due again at once, its try not counted.
    within_s : float, optional
        A time budget for the whole call, spent as ``stop`` would be: the call returns at most
        ``STOP_GRACE_S`` after it.
    newer_than : int, optional
        Only deliveries whose id is greater (those a scan's own pass wrote); the others wait for the
        delivery worker.
    privacy : PrivacySettings, optional
        The store's face model and threshold, with which a mail's evidence image is blurred again
        (the defaults when not given); blurring is on whatever ``blur_faces`` says.

    Returns
    -------
    DeliveryReport
        One outcome per delivery tried.
    """
    if within_s is not None:
        stop = Budget(within_s, stop)
    clock = _Clock(now)
    due_by = _stamp(clock.start)
    lease = timedelta(seconds=lease_s(settings))
    channels: dict[str, Channel] = {}
    evidence = store_evidence(database, store_root, privacy or default_privacy())
    report = DeliveryReport()
    while len(report.outcomes) < limit and not (stop is not None and stop.is_set()):
        lease_until = _stamp_after(clock.current() + lease)
        delivery = _claim(database, due_by, lease_until, newer_than)
        if delivery is None:
            break
        report.outcomes.append(
            _deliver(database, store_root, settings, channels, delivery, clock, actor, stop, evidence)
        )
    return report


def _deliver(
    database: Database,
    store_root: Path,
    settings: AlertSettings,
    channels: dict[str, Channel],
    delivery: Delivery,
    clock: _Clock,
    actor: str,
    stop: StopSignal | None,
    evidence: EvidenceReader,
) -> DeliveryOutcome:
    """Send one claimed delivery and mark what came of it."""
    configured = settings.channel(delivery.channel)
    if configured is None:
        where = settings.source or Path(store_root) / ALERTS_FILE
        error = f"channel '{delivery.channel}' is not configured in {where} any more"
        return _mark_failed(database, delivery, error, clock, actor)
    channel = channels.get(delivery.channel)
    if channel is None:
        channel = channels[delivery.channel] = build_channel(configured, evidence)
    try:
        channel.send(delivery, stop)
    except DeliveryError as exc:
        if exc.interrupted:
            return _mark_interrupted(database, delivery, str(exc), clock)
        if exc.permanent:
            return _mark_failed(database, delivery, f"refused: {exc}", clock, actor)
        if delivery.attempts >= settings.retry.max_attempts:
            return _mark_failed(
                database, delivery, f"gave up after {delivery.attempts} tries: {exc}", clock, actor
            )
        return _mark_retry(database, delivery, str(exc), clock, settings)
    except Exception as exc:  # a fault in a channel must not stop the worker or lose the delivery
        log.exception(
            "delivery %s: unexpected error in channel %s", delivery.idempotency_key, delivery.channel
        )
        if delivery.attempts >= settings.retry.max_attempts:
            return _mark_failed(database, delivery, f"{type(exc).__name__}: {exc}", clock, actor)
        return _mark_retry(database, delivery, f"{type(exc).__name__}: {exc}", clock, settings)
    return _mark_sent(database, delivery, clock, actor)


def _claim(
    database: Database, due_by: str, lease_until: str, newer_than: int | None = None
) -> Delivery | None:
    """Take the next due delivery for this sender: count the try and hold it until ``lease_until``."""
    skip_locked = " FOR UPDATE SKIP LOCKED" if database.dialect is Dialect.POSTGRESQL else ""

    def claim(transaction: Transaction) -> Delivery | None:
        row = transaction.fetchone(
            f"SELECT {Delivery.COLUMNS} FROM deliveries WHERE state = ? AND next_attempt_at <= ? "
            f"AND id > ? ORDER BY next_attempt_at, id LIMIT 1{skip_locked}",
            (DeliveryState.PENDING.value, due_by, newer_than or 0),
        )
        if row is None:
            return None
        transaction.execute(
            "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
            (lease_until, row[0]),
        )
        claimed = Delivery.from_row(row)
        return Delivery.from_row((*row[:7], claimed.attempts + 1, lease_until, *row[9:]))

    return database.write(claim)


def _mark_sent(database: Database, delivery: Delivery, clock: _Clock, actor: str) -> DeliveryOutcome:
    at = _stamp(clock.current())

    def mark(transaction: Transaction) -> None:
        # Sent is sent, even when the lease ran out meanwhile: only a row still pending changes. An
        # error of an earlier try is history now (the audit log keeps it), not the delivery's state.
        row = transaction.fetchone(
            "UPDATE deliveries SET state = ?, sent_at = ?, last_error = NULL WHERE id = ? AND state = ? "
            "RETURNING id",
            (DeliveryState.SENT.value, at, delivery.delivery_id, DeliveryState.PENDING.value),
        )
        if row is not None:
            _audit(transaction, at, actor, AuditAction.DELIVERY_SENT, delivery, {})

    database.write(mark)
    log.info("delivery %s sent through %s", delivery.idempotency_key, delivery.channel)
    return DeliveryOutcome(
        delivery.delivery_id, delivery.idempotency_key, delivery.channel, "sent", delivery.attempts
    )


def _mark_retry(
    database: Database, delivery: Delivery, error: str, clock: _Clock, settings: AlertSettings
) -> DeliveryOutcome:
    wait = timedelta(seconds=settings.retry.backoff_s(delivery.attempts))
    # From the whole second, so the waits are the settings' own; still later than this call's "due by".
    next_at = _stamp_after(clock.current().replace(microsecond=0) + wait)
    database.write(
        lambda transaction: transaction.execute(
            "UPDATE deliveries SET next_attempt_at = ?, last_error = ? "
            "WHERE id = ? AND state = ? AND next_attempt_at = ?",
            (next_at, error, delivery.delivery_id, DeliveryState.PENDING.value, delivery.next_attempt_at),
        )
    )
    log.info(
        "delivery %s: try %d failed (%s); again at %s",
        delivery.idempotency_key,
        delivery.attempts,
        error,
        next_at,
    )
    return DeliveryOutcome(
        delivery.delivery_id,
        delivery.idempotency_key,
        delivery.channel,
        "retrying",
        delivery.attempts,
        error,
        next_at,
    )


def _mark_interrupted(database: Database, delivery: Delivery, error: str, clock: _Clock) -> DeliveryOutcome:
    """Leave a delivery whose exchange a stop cut due at once for the next sender, its try uncounted."""
    next_at = _stamp(clock.current())
    database.write(
        lambda transaction: transaction.execute(
            "UPDATE deliveries SET next_attempt_at = ?, last_error = ?, attempts = attempts - 1 "
            "WHERE id = ? AND state = ? AND next_attempt_at = ?",
            (next_at, error, delivery.delivery_id, DeliveryState.PENDING.value, delivery.next_attempt_at),
        )
    )
    log.info("delivery %s: %s", delivery.idempotency_key, error)
    return DeliveryOutcome(
        delivery.delivery_id,
        delivery.idempotency_key,
        delivery.channel,
        "interrupted",
        delivery.attempts - 1,
        error,
        next_at,
    )


def _mark_failed(
    database: Database, delivery: Delivery, error: str, clock: _Clock, actor: str
) -> DeliveryOutcome:
    at = _stamp(clock.current())

    def mark(transaction: Transaction) -> None:
        row = transaction.fetchone(
            "UPDATE deliveries SET state = ?, last_error = ? "
            "WHERE id = ? AND state = ? AND next_attempt_at = ? RETURNING id",
            (
                DeliveryState.FAILED.value,
                error,
                delivery.delivery_id,
                DeliveryState.PENDING.value,
                delivery.next_attempt_at,
            ),
        )
        if row is not None:
            _audit(transaction, at, actor, AuditAction.DELIVERY_FAILED, delivery, {"error": error})

    database.write(mark)
    log.warning("delivery %s through %s failed: %s", delivery.idempotency_key, delivery.channel, error)
    return DeliveryOutcome(
        delivery.delivery_id, delivery.idempotency_key, delivery.channel, "failed", delivery.attempts, error
    )


def _audit(
    transaction: Transaction,
    at: str,
    actor: str,
    action: AuditAction,
    delivery: Delivery,
    extra: Mapping[str, Any],
) -> None:
    alert = delivery.payload.get("alert") or {}
    detail = {
        "delivery_id": delivery.delivery_id,
        "alert_id": delivery.alert_id,
        "event_id": delivery.event_id,
        "channel": delivery.channel,
        "idempotency_key": delivery.idempotency_key,
        "attempts": delivery.attempts,
        **extra,
    }
    append_audit(transaction, at, actor, action, alert.get("camera_id"), detail)


def outbox_rows(
    database: Database, state: DeliveryState | str | None = None, limit: int | None = None
) -> list[Delivery]:
    """Return the outbox's deliveries, newest first: all, or those in ``state``."""
    query = f"SELECT {Delivery.COLUMNS} FROM deliveries"
    parameters: tuple[Any, ...] = ()
    if state is not None:
        query += " WHERE state = ?"
        parameters = (DeliveryState(state).value,)
    query += " ORDER BY id DESC"
    if limit is not None:
        query += " LIMIT ?"
        parameters = (*parameters, limit)
    return [Delivery.from_row(row) for row in database.read(query, parameters)]


def retry_failed(database: Database, delivery_id: int, actor: str, now: datetime | None = None) -> Delivery:
    """Put a given-up delivery back in the outbox, due at once with its tries counted from zero.

    Raises
    ------
    OutboxError
        When there is no such delivery, or it is not ``failed``.
    """
    at = _stamp(now if now is not None else datetime.now(UTC))

    def retry(transaction: Transaction) -> Delivery:
        row = transaction.fetchone(f"SELECT {Delivery.COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,))
        if row is None:
            raise OutboxError(f"no delivery {delivery_id} in the outbox; see 'fov-monitor alerts outbox'")
        delivery = Delivery.from_row(row)
        if delivery.state is not DeliveryState.FAILED:
            raise OutboxError(
                f"delivery {delivery_id} is {delivery.state}, not failed; only a failed one is retried"
            )
        transaction.execute(
            "UPDATE deliveries SET state = ?, attempts = 0, next_attempt_at = ? WHERE id = ?",
            (DeliveryState.PENDING.value, at, delivery_id),
        )
        _audit(
            transaction,
            at,
            actor,
            AuditAction.DELIVERY_RETRIED,
            delivery,
            {"last_error": delivery.last_error},
        )
        return Delivery.from_row((*row[:6], DeliveryState.PENDING.value, 0, at, *row[9:]))

    return database.write(retry)


def newest_delivery_id(database: Database) -> int:
    """Return the id of the newest delivery in the outbox (0 when empty): those written later are newer."""
    rows = database.read("SELECT MAX(id) FROM deliveries")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def seconds_until_due(database: Database, now: datetime | None = None) -> float | None:
    """Return how long until the next pending delivery is due (0 when one is), or None when none waits."""
    rows = database.read(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE state = ?", (DeliveryState.PENDING.value,)
    )
    if not rows or rows[0][0] is None:
        return None
    due = datetime.fromisoformat(rows[0][0])
    return max(0.0, (due - (now or datetime.now(UTC))).total_seconds())
