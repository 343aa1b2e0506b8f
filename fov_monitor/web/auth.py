"""Who is asking, and may they: the session cookie, CSRF tokens and role checks as FastAPI dependencies.

An anonymous request (no cookie, an unknown, expired or idle session, a disabled user) raises
:class:`SignInRequired`: pages answer with a redirect to the sign-in page, the JSON API with 401.
A signed-in request without the right gets 403. Every request that changes something (any method
but GET and HEAD) must carry the session's CSRF token, in the form field ``csrf_token`` or the
``X-CSRF-Token`` header, or it gets 403 before anything is done.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from fov_monitor.db.database import Database
from fov_monitor.errors import N_, PeopleMessage
from fov_monitor.web.context import get_database, web_context
from fov_monitor.web.messages import Refusal
from fov_monitor.web.roles import Permission, Role, allows
from fov_monitor.web.sessions import Session, csrf_matches, resume_session
from fov_monitor.web.words import PERMISSION_WORDS, ROLE_WORDS

SESSION_COOKIE = "fov_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class SignInRequired(Exception):  # noqa: N818 (a condition, not a failure)
    """The request has no live session; answered by the sign-in redirect or 401."""


async def csrf_token_sent(request: Request) -> str | None:
    """Return the CSRF token a request carries: its header, else its form field, else None."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method not in SAFE_METHODS and content_type in _FORM_TYPES:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def optional_session(request: Request, database: Database = Depends(get_database)) -> Session | None:
    """Return the request's live session, or None."""
    return _live_session(request, database)


def _live_session(request: Request, database: Database) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    context = web_context(request)
    return resume_session(database, token, context.settings, context.clock())


def require(permission: Permission | None) -> Callable[..., Session]:
    """Return a dependency that gives the session of a signed-in user whose role has ``permission``.

    ``None``: any signed-in user (signing out).

    Checked in this order: signed in (else :class:`SignInRequired`), the CSRF token for a request
    that changes something (else 403), the role (else 403).
    """

    def dependency(
        request: Request,
        database: Database = Depends(get_database),
        sent: str | None = Depends(csrf_token_sent),
    ) -> Session:
        # The session is looked up here, not by depending on optional_session: each sync dependency is
        # one more hop through the thread pool, which costs under load.
        session = _live_session(request, database)
        if session is None:
            raise SignInRequired()
        request.state.session = session  # for an error page, which keeps the navigation and Sign out
        if request.method not in SAFE_METHODS and not csrf_matches(session.csrf_token, sent):
            raise Refusal(
                403,
                N_(
                    "The form has expired or was not sent from this site (its CSRF token); reload the page "
                    "and try again."
                ),
                detail=f"missing or wrong CSRF token (form field {CSRF_FIELD!r} or header {CSRF_HEADER}); "
                "reload the page and try again",
            )
        if permission is not None and not allows(session.user.role, permission):
            raise not_allowed(session.user.role, permission)
        return session

    return dependency


def not_allowed(role: Role, permission: Permission) -> Refusal:
    """Return the 403 answer to a role that may not do ``permission``."""
    return Refusal(
        403,
        N_("Your role (%(role)s) may not %(permission)s."),
        detail=f"the {role} role may not {permission}",
        role=PeopleMessage(ROLE_WORDS[role]),
        permission=PeopleMessage(PERMISSION_WORDS[permission]),
    )


__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SignInRequired",
    "csrf_token_sent",
    "not_allowed",
    "optional_session",
    "require",
]
