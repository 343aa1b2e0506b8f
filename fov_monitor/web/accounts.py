"""Users of the web app: names, roles and argon2 password hashes, in the results database.

A user is never deleted, only disabled, so that the names in the audit log keep meaning someone.
Every change to a user is written to the audit log in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.connection import Transaction
from fov_monitor.db.database import Database, append_audit  # one transaction: the change and its audit
from fov_monitor.errors import N_, InvalidSettingsError
from fov_monitor.i18n import Language
from fov_monitor.store.store import now_utc
from fov_monitor.web.roles import Role
from fov_monitor.web.throttle import clear_account

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Longer passwords are refused before hashing: hashing megabytes is a cheap denial of service."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


@dataclass(frozen=True, slots=True)
class User:
    """A user of the web app."""

    name: str
    role: Role
    created_at: str
    disabled: bool
    language: Language | None = None
    """The language they chose for the pages; None: their browser's, else the organisation's."""

    def to_dict(self) -> dict[str, object]:
        """Return the JSON form (never the hash)."""
        return {
            "name": self.name,
            "role": str(self.role),
            "created_at": self.created_at,
            "disabled": self.disabled,
            "language": str(self.language) if self.language else None,
        }


def check_user_name(name: object) -> str:
    """Return ``name`` if it is a valid user name, else raise naming the rule."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidSettingsError(
            f"user name {name!r:.80} is not allowed; use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        ).saying(
            N_(
                "A user name has 1 to 64 letters (a to z), digits, '_', '.', '@' or '-', and starts with "
                "a letter or digit."
            )
        )
    return name


def check_password(password: str) -> str:
    """Return ``password`` if it is long enough and not absurdly long, else raise."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidSettingsError(
            f"a password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, "
            f"got {len(password)}"
        ).saying(
            N_("A password must have %(least)s to %(most)s characters; this one has %(length)s."),
            least=MIN_PASSWORD_LENGTH,
            most=MAX_PASSWORD_LENGTH,
            length=len(password),
        )
    return password


def add_user(database: Database, name: str, password: str, role: Role, *, actor: str) -> User:
    """Create a user; refuse a name that is taken (also by a disabled user).

    Raises
    ------
    InvalidSettingsError
        When the name, password or role is not allowed, or the name is taken.
    """
    check_user_name(name)
    password_hash = _HASHER.hash(check_password(password))
    user = User(name, Role.parse(role), now_utc(), False)

    def insert(transaction: Transaction) -> bool:
        if transaction.fetchone("SELECT 1 FROM users WHERE name = ?", (name,)):
            return False
        transaction.execute(
            "INSERT INTO users (name, password_hash, role, created_at, disabled) VALUES (?, ?, ?, ?, 0)",
            (name, password_hash, str(user.role), user.created_at),
        )
        append_audit(
            transaction, user.created_at, actor, AuditAction.USER_ADDED, None, {"user": name, "role": role}
        )
        return True

    if not database.write(insert):
        raise InvalidSettingsError(f"user {name!r} already exists; choose another name").saying(
            N_("There is a user called %(name)s already; choose another name."), name=name
        )
    return user


_USER_COLUMNS = "name, role, created_at, disabled, language"


def _user(row: Sequence[Any]) -> User:
    """Return the user of a row that starts with :data:`_USER_COLUMNS`."""
    return User(row[0], Role(row[1]), row[2], bool(row[3]), stored_language(row[4]))


def stored_language(value: object) -> Language | None:
    """Return the language stored for a user (None: none chosen, or one this version does not write)."""
    try:
        return Language(str(value)) if value else None
    except ValueError:
        return None


def users(database: Database) -> list[User]:
    """Return every user, by name."""
    return [_user(row) for row in database.read(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]


def find_user(database: Database, name: str) -> User | None:
    """Return the user called ``name``, or None."""
    rows = database.read(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,))
    return _user(rows[0]) if rows else None


def disable_user(database: Database, name: str, *, actor: str) -> None:
    """Disable a user and end their sessions.

    Raises
    ------
    InvalidSettingsError
        When there is no such user.
    """
    at = now_utc()

    def disable(transaction: Transaction) -> bool:
        if not transaction.fetchone("SELECT 1 FROM users WHERE name = ?", (name,)):
            return False
        transaction.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
        transaction.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        append_audit(transaction, at, actor, AuditAction.USER_DISABLED, None, {"user": name})
        return True

    if not database.write(disable):
        raise _no_such_user(name)


def _no_such_user(name: str) -> InvalidSettingsError:
    return InvalidSettingsError(f"user {name!r} does not exist; see 'fov-monitor user list'").saying(
        N_("There is no user called %(name)s."), name=name
    )


def choose_language(database: Database, name: str, language: Language | None) -> None:
    """Store the language user ``name`` chose for the pages (None: their browser's); audited.

    Raises
    ------
    InvalidSettingsError
        When there is no such user.
    """
    at = now_utc()

    def store(transaction: Transaction) -> bool:
        row = transaction.fetchone("SELECT language FROM users WHERE name = ?", (name,))
        if row is None:
            return False
        chosen = str(language) if language else None
        transaction.execute("UPDATE users SET language = ? WHERE name = ?", (chosen, name))
        detail = {"user": name, "language": chosen, "previous": row[0]}
        append_audit(transaction, at, name, AuditAction.LANGUAGE_CHOSEN, None, detail)
        return True

    if not database.write(store):
        raise _no_such_user(name)


def change_password(database: Database, name: str, new_password: str, *, keep_session: str) -> int:
    """Give user ``name`` a new password, chosen by themselves; end their other sessions.

    The caller has checked the current password. ``keep_session`` is the id hash of the session that
    made the change, which stays. Returns how many sessions ended.

    Raises
    ------
    InvalidSettingsError
        When the new password is not allowed, or there is no such user.
    """
    return _store_password(database, name, new_password, actor=name, keep_session=keep_session)


def reset_password(database: Database, name: str, new_password: str, *, actor: str) -> int:
    """Set the password of user ``name`` for them (an admin's reset); end all their sessions.

    Their sign-in lock, if any, is lifted too. Returns how many sessions ended.

    Raises
    ------
    InvalidSettingsError
        When the new password is not allowed, or there is no such user.
    """
    return _store_password(database, name, new_password, actor=actor, keep_session=None)


def _store_password(
    database: Database, name: str, new_password: str, *, actor: str, keep_session: str | None
) -> int:
    password_hash = _HASHER.hash(check_password(new_password))
    at = now_utc()

    def store(transaction: Transaction) -> int | None:
        if not transaction.fetchone("SELECT 1 FROM users WHERE name = ?", (name,)):
            return None
        transaction.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))
        row = transaction.fetchone(
            "SELECT COUNT(*) FROM sessions WHERE user_name = ? AND id_hash <> ?", (name, keep_session or "")
        )
        ended = int(row[0]) if row else 0
        transaction.execute(
            "DELETE FROM sessions WHERE user_name = ? AND id_hash <> ?", (name, keep_session or "")
        )
        action = AuditAction.PASSWORD_CHANGED if keep_session is not None else AuditAction.PASSWORD_RESET
        if keep_session is None:
            clear_account(transaction, name)
        append_audit(transaction, at, actor, action, None, {"user": name, "sessions_ended": ended})
        return ended

    ended = database.write(store)
    if ended is None:
        raise _no_such_user(name)
    return ended


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a password is checked against: the user of a name (None: no such user) and a hash.

    An unknown name gets a dummy hash, so that checking it takes as long as a real one.
    """

    user: User | None
    password_hash: str


def stored_credentials(database: Database, name: str) -> Credentials:
    """Return the user called ``name`` with their password hash (a dummy hash for an unknown name)."""
    rows = database.read(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE name = ?", (name,))
    if not rows:
        return Credentials(None, _DUMMY_HASH)
    return Credentials(_user(rows[0]), str(rows[0][5]))


def checked_hash(password_hash: str, password: str) -> str | None:
    """Return the hash to keep when ``password`` matches ``password_hash``, else None.

    Slow on purpose (argon2): run it where it holds up nobody (:mod:`fov_monitor.web.passwords`).
    The hash to keep is a new one when the stored hash's parameters are outdated.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    try:
        _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _HASHER.hash(password) if _HASHER.check_needs_rehash(password_hash) else password_hash


def signed_in_user(database: Database, credentials: Credentials, kept_hash: str | None) -> User | None:
    """Return the enabled user whose password matched (``kept_hash`` from :func:`checked_hash`), or None.

    Deliberately without a reason: the sign-in page does not tell an unknown name from a wrong
    password or a disabled user. A renewed hash is stored.
    """
    user = credentials.user
    if kept_hash is None or user is None or user.disabled:
        return None
    if kept_hash != credentials.password_hash:
        database.write(
            lambda t: t.execute("UPDATE users SET password_hash = ? WHERE name = ?", (kept_hash, user.name))
        )
    return user


def verify_password(database: Database, name: str, password: str) -> User | None:
    """Return the enabled user whose name and password these are, or None (all in the calling thread)."""
    credentials = stored_credentials(database, name)
    return signed_in_user(database, credentials, checked_hash(credentials.password_hash, password))


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Credentials",
    "User",
    "add_user",
    "change_password",
    "check_password",
    "check_user_name",
    "checked_hash",
    "choose_language",
    "disable_user",
    "find_user",
    "reset_password",
    "signed_in_user",
    "stored_credentials",
    "stored_language",
    "users",
    "verify_password",
]
