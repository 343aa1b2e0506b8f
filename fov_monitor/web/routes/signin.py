"""Signing in and out: the page and form, and the same for API clients (``/api/session``)."""

from __future__ import annotations

import secrets

import anyio.to_thread
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.db.audit import AuditAction
from fov_monitor.db.database import Database
from fov_monitor.errors import N_
from fov_monitor.store.store import now_utc
from fov_monitor.web.accounts import MAX_PASSWORD_LENGTH, User
from fov_monitor.web.auth import SESSION_COOKIE, optional_session, require
from fov_monitor.web.context import WebContext, client_address, get_database, web_context
from fov_monitor.web.limits import require_json
from fov_monitor.web.messages import Refusal
from fov_monitor.web.pages import explained, render
from fov_monitor.web.passwords import PasswordChecksBusy
from fov_monitor.web.routes.common import locked_out, set_session_cookie
from fov_monitor.web.sessions import Session, end_session, start_session
from fov_monitor.web.signin_attempt import Attempt, Refused, try_password

router = APIRouter()

SIGNIN_COOKIE = "fov_signin"
"""Before there is a session, the sign-in form's CSRF token is checked against this cookie."""


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after sign-in; anything else (another site) goes to the fleet."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


WRONG = N_("Wrong name or password.")


def _signin_form(
    request: Request, next: str | None, refused: Exception | None = None, status_code: int = 200
) -> Response:
    """Render the sign-in form, with why the last try was refused, and a new CSRF token in its cookie."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "signin.html",
        None,
        status_code=status_code,
        signin_token=token,
        next=_safe_next(next),
        error=explained(request, None, refused) if refused is not None else "",
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=3600,
        path="/signin",
        secure=web_context(request).settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )
    return response


def _attempt(request: Request, name: str, via: str) -> Attempt:
    return Attempt(name, client_address(request), via, web_context(request).clock())


def _start_session(context: WebContext, user: User, attempt: Attempt) -> tuple[str, Session]:
    """Start the session of a user whose password was right, and audit the sign-in."""
    with context.pool.connection() as database:
        token, session = start_session(database, user, context.settings, attempt.now)
        detail = {"via": attempt.via, "address": attempt.address}
        database.audit(user.name, AuditAction.SIGNED_IN, None, detail, at=attempt.at)
    return token, session


@router.get("/signin", include_in_schema=False)
def signin_page(request: Request, next: str | None = None) -> Response:
    return _signin_form(request, next)


@router.post("/signin", include_in_schema=False)
async def signin(
    request: Request,
    name: str = Form(max_length=64),
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    csrf_token: str = Form(""),
    next: str = Form("/"),
) -> Response:
    cookie = request.cookies.get(SIGNIN_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        raise Refusal(
            403,
            N_("The sign-in form has expired or was not sent from this site; reload it."),
            detail="the sign-in form has expired or was not sent from this site; reload it",
        )
    context = web_context(request)
    attempt = _attempt(request, name, "page")
    try:
        user = await try_password(context, attempt, password)
    except PasswordChecksBusy as busy:
        response = _signin_form(request, next, busy, 503)
        response.headers["Retry-After"] = str(busy.retry_after_s)
        return response
    if isinstance(user, Refused):
        if user.lock is not None:
            locked = locked_out(user.lock, attempt.now)
            response = _signin_form(request, next, locked, 429)
            response.headers.update(locked.headers or {})
            return response
        return _signin_form(request, next, Refusal(401, WRONG), 401)
    token, _ = await anyio.to_thread.run_sync(_start_session, context, user, attempt)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(redirect, token, context.settings)
    redirect.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return redirect


@router.post("/signout", include_in_schema=False)
def signout(
    request: Request, session: Session = Depends(require(None)), database: Database = Depends(get_database)
) -> Response:
    end_session(database, request.cookies.get(SESSION_COOKIE, ""))
    database.audit(session.user.name, AuditAction.SIGNED_OUT, None, {}, at=now_utc())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class Credentials(BaseModel):
    """A user's name and password."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64, description="the user's name")
    password: str = Field(max_length=MAX_PASSWORD_LENGTH, description="the user's password")


class SessionInfo(BaseModel):
    """The signed-in user and the CSRF token to send as ``X-CSRF-Token`` with every change."""

    name: str
    role: str
    csrf_token: str
    expires_at: str

    @classmethod
    def of(cls, session: Session) -> SessionInfo:
        """Return what the API tells of ``session``."""
        return cls(
            name=session.user.name,
            role=str(session.user.role),
            csrf_token=session.csrf_token,
            expires_at=session.expires_at,
        )


@router.post("/api/session", dependencies=[Depends(require_json)], response_model=SessionInfo)
async def api_signin(request: Request, credentials: Credentials) -> Response:
    """Sign in; the session cookie is set, and the CSRF token returned.

    401 for a wrong name or password; 429 (with ``Retry-After``) after too many failed sign-ins of
    the name or from the address, whatever the password; 503 (with ``Retry-After``) when too many
    other sign-ins wait for their password check (nothing tried, nothing counted).
    """
    context = web_context(request)
    attempt = _attempt(request, credentials.name, "api")
    user = await try_password(context, attempt, credentials.password)
    if isinstance(user, Refused):
        if user.lock is not None:
            raise locked_out(user.lock, attempt.now)
        raise Refusal(401, WRONG, detail="wrong name or password")
    token, session = await anyio.to_thread.run_sync(_start_session, context, user, attempt)
    response = Response(SessionInfo.of(session).model_dump_json(), media_type="application/json")
    set_session_cookie(response, token, context.settings)
    return response


@router.get("/api/session", response_model=SessionInfo)
def api_session(session: Session | None = Depends(optional_session)) -> SessionInfo:
    """Return the signed-in user and their CSRF token (401 when not signed in)."""
    if session is None:
        raise Refusal(401, N_("Sign in first."), detail="sign in first (POST /api/session)")
    return SessionInfo.of(session)


@router.delete("/api/session", status_code=204)
def api_signout(
    request: Request, session: Session = Depends(require(None)), database: Database = Depends(get_database)
) -> Response:
    """Sign out: the session ends at once."""
    end_session(database, request.cookies.get(SESSION_COOKIE, ""))
    database.audit(session.user.name, AuditAction.SIGNED_OUT, None, {}, at=now_utc())
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
