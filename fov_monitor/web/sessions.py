"""Sign-in sessions: a random token in the browser's cookie, only its SHA-256 in the database.

Each session has its own CSRF token, sent back by forms (hidden field) and scripts (``X-CSRF-Token``).
A session ends at sign-out, when it expires, or when its user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fov_monitor.database import Database
from fov_monitor.db.connection import Transaction
from fov_monitor.web.accounts import User
from fov_monitor.web.roles import Role


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: whose it is, its CSRF token, when it ends."""

    user: User
    csrf_token: str
    expires_at: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def start_session(database: Database, user: User, hours: float) -> tuple[str, Session]:
    """Start a session for ``user``; return the token for the cookie and the session.

    Sessions of anyone that have expired are deleted on the way.
    """
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = _iso(now + timedelta(hours=hours))

    def insert(transaction: Transaction) -> None:
        transaction.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
        transaction.execute(
            "INSERT INTO sessions (id_hash, user_name, created_at, expires_at, csrf_token) "
            "VALUES (?, ?, ?, ?, ?)",
            (_hash(token), user.name, _iso(now), expires_at, csrf_token),
        )

    database.write(insert)
    return token, Session(user, csrf_token, expires_at)


def find_session(database: Database, token: str, now: datetime | None = None) -> Session | None:
    """Return the session of a cookie's token, or None when unknown, expired or its user disabled."""
    if not token or len(token) > 200:
        return None
    rows = database.read(
        "SELECT s.expires_at, s.csrf_token, u.name, u.role, u.created_at, u.disabled "
        "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?",
        (_hash(token),),
    )
    if not rows:
        return None
    expires_at, csrf_token, name, role, created_at, disabled = rows[0]
    if disabled or expires_at <= _iso(now or datetime.now(UTC)):
        return None
    return Session(User(name, Role(role), created_at, False), csrf_token, expires_at)


def end_session(database: Database, token: str) -> None:
    """End the session of a cookie's token (nothing when there is none)."""
    database.write(lambda t: t.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(token),)))


def csrf_matches(expected: str, given: str | None) -> bool:
    """Return True if the CSRF token sent matches the session's, compared in constant time."""
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


__all__ = ["Session", "csrf_matches", "end_session", "find_session", "start_session"]
