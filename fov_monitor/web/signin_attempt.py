"""One attempt at a password: the lock checked first, the password verified, the outcome counted and audited.

Used by the sign-in page, ``POST /api/session`` and the password change (whose current password is a
guess like any other: a stolen session must not make a password-guessing oracle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import anyio.to_thread

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database, append_audit
from fov_monitor.store.store import iso_utc
from fov_monitor.web.accounts import Credentials, User, checked_hash, signed_in_user, stored_credentials
from fov_monitor.web.context import WebContext
from fov_monitor.web.settings import WebSettings
from fov_monitor.web.throttle import (
    Lock,
    audit_allowance,
    clear_account,
    count_refusal,
    current_lock,
    record_failure,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused attempt; tests false. ``lock`` is the lock in force, or None for a wrong password.

    Whether the name exists is deliberately not kept: nothing downstream may tell.
    """

    lock: Lock | None

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who tries, from where, through what, and when.

    Attributes
    ----------
    name : str
        The account name as typed.
    address : str
        The client's address (as the reverse proxy forwarded it).
    via : str
        ``page``, ``api`` or ``password change``: written to the audit line.
    now : datetime
        The app clock's time (UTC).
    """

    name: str
    address: str
    via: str
    now: datetime

    @property
    def at(self) -> str:
        """Return the time as the audit log writes it."""
        return iso_utc(self.now)


async def try_password(context: WebContext, attempt: Attempt, password: str) -> User | Refused:
    """Return the user if ``password`` is theirs and no lock is in force, else why not.

    A place among the password checks is taken first (503 when there is none: nothing is read,
    tried or counted). A lock refuses before the password is tried. The password is checked on the
    password threads, never on the threads that answer the quick requests; the database's part runs
    on those, one short step before and one after. A wrong password (or an unknown or disabled name)
    is counted against the name and the address, and audited as ``sign-in refused`` (at most
    :data:`~fov_monitor.web.throttle.AUDITED_REFUSALS_PER_MINUTE` lines per address and minute, the
    others counted on the next line); the first
    refusal by each lock is audited as ``sign-in locked``, later ones only counted. The password is
    never written anywhere. A right password clears the name's count; the caller audits what it
    then does (``signed in``).

    Raises
    ------
    PasswordChecksBusy
        When too many password checks are in hand already.
    """
    async with context.passwords.slot():
        before = await anyio.to_thread.run_sync(_in_database, context, _before_password, attempt)
        if isinstance(before, Refused):
            return before
        kept_hash = await context.passwords.run(lambda: checked_hash(before.password_hash, password))
        return await anyio.to_thread.run_sync(
            _in_database, context, _after_password, attempt, before, kept_hash, context.settings
        )


def _in_database(context: WebContext, step: Callable[..., T], *arguments: Any) -> T:
    """Run ``step`` with a database connection of the app's pool as its first argument."""
    with context.pool.connection() as database:
        return step(database, *arguments)


def _before_password(database: Database, attempt: Attempt) -> Credentials | Refused:
    """Refuse (counted, the lock's first refusal audited) while a lock is in force; else read the hash."""
    lock = current_lock(database, attempt.name, attempt.address, attempt.now)
    if lock is None:
        return stored_credentials(database, attempt.name)
    detail = {
        "via": attempt.via,
        "address": attempt.address,
        "locked": [str(subject) for subject in lock.subjects],
        "retry_after_s": lock.seconds_left(attempt.now),
    }

    def refuse(transaction: Transaction) -> None:
        if count_refusal(transaction, attempt.name, attempt.address, attempt.now):
            append_audit(transaction, attempt.at, attempt.name, AuditAction.SIGN_IN_LOCKED, None, detail)

    database.write(refuse)
    return Refused(lock)


def _after_password(
    database: Database,
    attempt: Attempt,
    credentials: Credentials,
    kept_hash: str | None,
    settings: WebSettings,
) -> User | Refused:
    """Clear the name's count after a right password; count and audit a wrong one."""
    user = signed_in_user(database, credentials, kept_hash)
    if user is not None:
        database.write(lambda transaction: clear_account(transaction, attempt.name))
        return user

    def count(transaction: Transaction) -> Lock | None:
        started = record_failure(transaction, attempt.name, attempt.address, attempt.now, settings)
        allowance = audit_allowance(transaction, attempt.address, attempt.now, force=started is not None)
        if not allowance.write:
            return started
        detail: dict[str, object] = {"via": attempt.via, "address": attempt.address}
        if started is not None:
            detail["locked"] = [str(subject) for subject in started.subjects]
            detail["locked_for_s"] = started.seconds_left(attempt.now)
        if allowance.unwritten_before:
            detail["refused_unaudited_before"] = allowance.unwritten_before
        append_audit(transaction, attempt.at, attempt.name, AuditAction.SIGN_IN_REFUSED, None, detail)
        return started

    return Refused(database.write(count))


__all__ = ["Attempt", "Refused", "try_password"]
