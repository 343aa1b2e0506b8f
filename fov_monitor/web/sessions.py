"""Sign-in sessions: a random token in the browser's cookie, only its SHA-256 in the database.

Each session has its own CSRF token, sent back by forms (hidden field) and scripts (``X-CSRF-Token``).
A session ends at sign-out, when it expires (``session_hours`` after sign-in), when it has not been
used for ``session_idle_minutes``, when its user is disabled, or when their password is changed or
reset (all their sessions but the one that changed it).

The time of last use is written at most every :data:`TOUCH_EVERY` (or a tenth of the idle timeout, if
shorter), not at every request: a write per request would cost the app its speed under load. So a
session may end up to that much before its full idle timeout.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database
from fov_monitor.store.store import iso_utc
from fov_monitor.web.accounts import User, stored_language
from fov_monitor.web.roles import Role
from fov_monitor.web.settings import WebSettings

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: whose it is, its CSRF token, when it ends, and its id (the token's SHA-256)."""

    user: User
    csrf_token: str
    expires_at: str
    id_hash: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_id_hash(token: str) -> str:
    """Return the id a session's token is stored under (its SHA-256, hex)."""
    return _hash(token)


def start_session(
    database: Database, user: User, settings: WebSettings, now: datetime
) -> tuple[str, Session]:
    """Start a session for ``user`` at ``now``; return the token for the cookie and the session.

    Sessions of anyone that have expired or gone idle are deleted on the way.
    """
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = iso_utc(now + timedelta(hours=settings.session_hours))
    idle_since = iso_utc(now - timedelta(minutes=settings.session_idle_minutes))

    def insert(transaction: Transaction) -> None:
        transaction.execute(
            "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", (iso_utc(now), idle_since)
        )
        transaction.execute(
            "INSERT INTO sessions (id_hash, user_name, created_at, expires_at, csrf_token, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (_hash(token), user.name, iso_utc(now), expires_at, csrf_token, iso_utc(now)),
        )

    database.write(insert)
    return token, Session(user, csrf_token, expires_at, _hash(token))


def resume_session(database: Database, token: str, settings: WebSettings, now: datetime) -> Session | None:
    """Return the session of a cookie's token and note its use; None when it is over.

    Over: unknown, expired, idle for ``settings.session_idle_minutes`` (the row is deleted then), or
    its user disabled.
    """
    if not token or len(token) > 200:
        return None
    id_hash = _hash(token)
    rows = database.read(
        "SELECT s.expires_at, s.csrf_token, s.last_seen_at, s.created_at, "
        "u.name, u.role, u.created_at, u.disabled, u.language "
        "FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?",
        (id_hash,),
    )
    if not rows:
        return None
    expires_at, csrf_token, last_seen_at, started_at, name, role, created_at, disabled, language = rows[0]
    if disabled or expires_at <= iso_utc(now):
        return None
    idle = timedelta(minutes=settings.session_idle_minutes)
    unused = now - datetime.fromisoformat(last_seen_at or started_at)
    if unused >= idle:
        end_session(database, token)
        return None
    if unused >= min(TOUCH_EVERY, idle / 10):
        database.write(
            lambda t: t.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (iso_utc(now), id_hash)
            )
        )
    user = User(name, Role(role), created_at, False, stored_language(language))
    return Session(user, csrf_token, expires_at, id_hash)


def end_session(database: Database, token: str) -> None:
    """End the session of a cookie's token (nothing when there is none)."""
    database.write(lambda t: t.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(token),)))


def csrf_matches(expected: str, given: str | None) -> bool:
    """Return True if the CSRF token sent matches the session's, compared in constant time."""
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


__all__ = [
    "TOUCH_EVERY",
    "Session",
    "csrf_matches",
    "end_session",
    "resume_session",
    "session_id_hash",
    "start_session",
]
