"""Sign-in throttling: failed sign-ins lock an account name, and a client address, for a while.

Failures are counted per account name as typed (an unknown name is counted and locked exactly like
a real one, so a lock tells nothing about who exists) and per client address (so that one address
cannot try a few passwords on each of many accounts). ``signin_max_failures`` failures of a name, or
``signin_address_max_failures`` from an address, within ``signin_window_minutes`` lock it for
``signin_lockout_minutes``; each further lock in a row is twice as long, up to
``signin_lockout_max_minutes``. While locked, no password is tried at all, not even the right one.

The counts live in the results database (table ``signin_throttle``), so they survive restarts and
hold across several app processes sharing the database. A successful sign-in clears its account's
count, not its address's: one valid account must not reset the count of an address spraying others.

The same table bounds the audit lines of refused sign-ins: per client address and minute, the first
:data:`AUDITED_REFUSALS_PER_MINUTE` refusals get a line each and the others are counted, the count
going on the address's next line (a refusal that starts a lock always gets its line).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.store.store import iso_utc
from fov_monitor.web.settings import WebSettings

AUDITED_REFUSALS_PER_MINUTE = 5
"""Refused sign-ins from one address in one minute that each get an audit line."""


class Subject(enum.StrEnum):
    """What a count and a lock are about."""

    ACCOUNT = "account"
    ADDRESS = "address"
    AUDIT_LINES = "audit lines"
    """An address's refused sign-ins in the current minute, for the audit log (never locked)."""


@dataclass(frozen=True, slots=True)
class Lock:
    """A sign-in lock in force: until when, and whether it holds the account name, the address or both."""

    until: datetime
    subjects: tuple[Subject, ...]

    def seconds_left(self, now: datetime) -> int:
        """Return the whole seconds until the lock ends (at least 1)."""
        return max(1, math.ceil((self.until - now).total_seconds()))

    def minutes_left(self, now: datetime) -> int:
        """Return the whole minutes until the lock ends (at least 1)."""
        return math.ceil(self.seconds_left(now) / 60)

    def message(self, now: datetime) -> str:
        """Return what the user is told: the same whatever is locked, so it reveals no account."""
        minutes = self.minutes_left(now)
        return f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}."


@dataclass(frozen=True, slots=True)
class Count:
    """One subject's failures: the state of one ``signin_throttle`` row."""

    failures: int
    window_started_at: datetime
    last_failure_at: datetime
    locked_until: datetime | None
    lockouts: int


@dataclass(frozen=True, slots=True)
class Policy:
    """How many failures within what window lock, and for how long (from :class:`WebSettings`)."""

    max_failures: int
    window: timedelta
    first_lock: timedelta
    longest_lock: timedelta

    @classmethod
    def of(cls, settings: WebSettings, subject: Subject) -> Policy:
        """Return the policy of ``subject`` under ``settings``."""
        limit = settings.signin_max_failures
        if subject is Subject.ADDRESS:
            limit = settings.signin_address_max_failures
        return cls(
            limit,
            timedelta(minutes=settings.signin_window_minutes),
            timedelta(minutes=settings.signin_lockout_minutes),
            timedelta(minutes=settings.signin_lockout_max_minutes),
        )


def after_failure(count: Count, now: datetime, policy: Policy) -> Count:
    """Return ``count`` after one more failure at ``now`` (pure: the rule, without the database).

    The window restarts when it has passed; the back-off starts again from the first lock when no
    failure came for ``policy.longest_lock`` after the last lock ended. The failure that reaches
    ``policy.max_failures`` locks for ``first_lock * 2 ** (locks in a row - 1)``, at most
    ``longest_lock``, and starts a new window.
    """
    if count.locked_until is not None and now < count.locked_until:
        return replace(count, last_failure_at=now)  # a race with the lock check: counted in no window
    lockouts = count.lockouts
    quiet_since = max(count.last_failure_at, count.locked_until or count.last_failure_at)
    if lockouts and now - quiet_since >= policy.longest_lock:
        lockouts = 0
    failures, window_started_at = count.failures, count.window_started_at
    if now - window_started_at >= policy.window:
        failures, window_started_at = 0, now
    failures += 1
    if failures < policy.max_failures:
        return Count(failures, window_started_at, now, count.locked_until, lockouts)
    lockouts += 1
    length = min(policy.first_lock * 2 ** min(lockouts - 1, 30), policy.longest_lock)
    return Count(0, now, now, now + length, lockouts)


def current_lock(database: Database, name: str, address: str, now: datetime) -> Lock | None:
    """Return the lock in force at ``now`` on the account name or the client address, if any."""
    rows = database.read(
        "SELECT kind, locked_until FROM signin_throttle "
        "WHERE ((kind = ? AND subject = ?) OR (kind = ? AND subject = ?)) AND locked_until > ?",
        (Subject.ACCOUNT.value, name, Subject.ADDRESS.value, address, iso_utc(now)),
    )
    if not rows:
        return None
    until = max(datetime.fromisoformat(row[1]) for row in rows)
    return Lock(until, tuple(sorted(Subject(row[0]) for row in rows)))


def record_failure(
    transaction: Transaction, name: str, address: str, now: datetime, settings: WebSettings
) -> Lock | None:
    """Count a failed sign-in against the account name and the client address; return a lock it starts.

    Quiet rows (neither counting nor locked any more) are deleted on the way, so that names tried
    once do not pile up.
    """
    policy = Policy.of(settings, Subject.ACCOUNT)
    forgotten = now - max(policy.window, policy.longest_lock)
    transaction.execute(
        "DELETE FROM signin_throttle "
        "WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)",
        (iso_utc(forgotten), iso_utc(forgotten)),
    )
    started = {
        subject: until
        for subject, value in ((Subject.ACCOUNT, name), (Subject.ADDRESS, address))
        if (until := _count_one(transaction, subject, value, now, Policy.of(settings, subject)))
    }
    return Lock(max(started.values()), tuple(started)) if started else None


def _count_one(
    transaction: Transaction, subject: Subject, value: str, now: datetime, policy: Policy
) -> datetime | None:
    """Count one failure against one subject; return the end of the lock it starts, if it does."""
    key = (subject.value, value)
    row = _locked_row(
        transaction, key, now, now, "failures, window_started_at, last_failure_at, locked_until, lockouts"
    )
    before = Count(
        int(row[0]),
        datetime.fromisoformat(row[1]),
        datetime.fromisoformat(row[2]),
        datetime.fromisoformat(row[3]) if row[3] else None,
        int(row[4]),
    )
    after = after_failure(before, now, policy)
    started = after.locked_until != before.locked_until
    transaction.execute(
        "UPDATE signin_throttle SET failures = ?, window_started_at = ?, last_failure_at = ?, "
        "locked_until = ?, lockouts = ?, refused_while_locked = CASE WHEN ? = 1 THEN 0 "
        "ELSE refused_while_locked END WHERE kind = ? AND subject = ?",
        (
            after.failures,
            iso_utc(after.window_started_at),
            iso_utc(after.last_failure_at),
            iso_utc(after.locked_until) if after.locked_until else None,
            after.lockouts,
            int(started),
            *key,
        ),
    )
    return after.locked_until if started else None


def count_refusal(transaction: Transaction, name: str, address: str, now: datetime) -> bool:
    """Count an attempt refused by a lock on its locked rows; return whether it is the lock's first.

    Only the first refusal of each lock goes to the audit log: the attempts need no account, and
    a line for each would let anyone bury the auditors' lines under their own.
    """
    rows = transaction.fetchall(
        "UPDATE signin_throttle SET refused_while_locked = refused_while_locked + 1 "
        "WHERE ((kind = ? AND subject = ?) OR (kind = ? AND subject = ?)) AND locked_until > ? "
        "RETURNING refused_while_locked",
        (Subject.ACCOUNT.value, name, Subject.ADDRESS.value, address, iso_utc(now)),
    )
    return any(int(row[0]) == 1 for row in rows)


@dataclass(frozen=True, slots=True)
class AuditAllowance:
    """Whether a refused sign-in gets its audit line, and how many refused before it got none."""

    write: bool
    unwritten_before: int


def audit_allowance(transaction: Transaction, address: str, now: datetime, *, force: bool) -> AuditAllowance:
    """Count a refused sign-in from ``address``; say whether it gets an audit line (``force``: it does).

    Per address and minute, the first :data:`AUDITED_REFUSALS_PER_MINUTE` refusals get a line; the
    others are counted, and the count goes on the address's next line. The row (kind ``audit lines``)
    keeps the minute in ``window_started_at``, its refusals in ``failures`` and the refusals not yet
    told in ``refused_while_locked``; it is deleted with the quiet rows.
    """
    key = (Subject.AUDIT_LINES.value, address)
    minute = now.replace(second=0, microsecond=0)
    row = _locked_row(transaction, key, minute, now, "failures, window_started_at, refused_while_locked")
    refused = int(row[0]) + 1 if datetime.fromisoformat(row[1]) == minute else 1
    unwritten = int(row[2])
    write = force or refused <= AUDITED_REFUSALS_PER_MINUTE
    transaction.execute(
        "UPDATE signin_throttle SET failures = ?, window_started_at = ?, last_failure_at = ?, "
        "refused_while_locked = ? WHERE kind = ? AND subject = ?",
        (refused, iso_utc(minute), iso_utc(now), 0 if write else unwritten + 1, *key),
    )
    return AuditAllowance(write, unwritten if write else 0)


def _locked_row(
    transaction: Transaction, key: tuple[str, str], window_start: datetime, now: datetime, columns: str
) -> tuple[Any, ...]:
    """Return ``columns`` of the throttle row ``key`` (made when missing), locked for this transaction."""
    transaction.execute(
        "INSERT INTO signin_throttle "
        "(kind, subject, failures, window_started_at, last_failure_at, locked_until, lockouts) "
        "VALUES (?, ?, 0, ?, ?, NULL, 0) ON CONFLICT (kind, subject) DO NOTHING",
        (*key, iso_utc(window_start), iso_utc(now)),
    )
    # Lock the row before reading it (PostgreSQL holds an updated row until commit; SQLite's write
    # transactions run one at a time), so that failures in other processes count one after another.
    transaction.execute("UPDATE signin_throttle SET failures = failures WHERE kind = ? AND subject = ?", key)
    row = transaction.fetchone(f"SELECT {columns} FROM signin_throttle WHERE kind = ? AND subject = ?", key)
    assert row is not None, "the row was just inserted"
    return tuple(row)


def clear_account(transaction: Transaction, name: str) -> None:
    """Forget the failures and lock of account ``name`` (after a right password, or a reset)."""
    transaction.execute(
        "DELETE FROM signin_throttle WHERE kind = ? AND subject = ?", (Subject.ACCOUNT.value, name)
    )


__all__ = [
    "AUDITED_REFUSALS_PER_MINUTE",
    "AuditAllowance",
    "Count",
    "Lock",
    "Policy",
    "Subject",
    "after_failure",
    "audit_allowance",
    "clear_account",
    "current_lock",
    "record_failure",
]
