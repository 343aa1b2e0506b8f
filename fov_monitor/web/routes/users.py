"""Users, for admins: list, add, disable, reset a password."""

from __future__ import annotations

import enum
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.db.database import Database
from fov_monitor.errors import N_, InvalidSettingsError
from fov_monitor.i18n import Language, translations
from fov_monitor.web.accounts import (
    MAX_PASSWORD_LENGTH,
    User,
    add_user,
    disable_user,
    find_user,
    reset_password,
    users,
)
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database
from fov_monitor.web.limits import require_json
from fov_monitor.web.messages import Refusal
from fov_monitor.web.pages import explained, language_of_page, render
from fov_monitor.web.roles import Permission, Role
from fov_monitor.web.sessions import Session
from fov_monitor.web.words import ROLE_WORDS, word

router = APIRouter()


class NewUser(BaseModel):
    """A user to add."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    role: Role


class NewPassword(BaseModel):
    """A password an admin sets for another user."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


def _reset(database: Database, name: str, password: str, session: Session) -> None:
    if name == session.user.name:
        raise Refusal(
            400,
            N_("Change your own password on your account page; it needs your current one."),
            detail="change your own password on /account; it needs your current one",
        )
    reset_password(database, name, password, actor=session.user.name)


def _disable(database: Database, name: str, session: Session) -> None:
    if name == session.user.name:
        raise Refusal(
            400,
            N_("You cannot disable yourself; ask another admin."),
            detail="you cannot disable yourself; ask another admin",
        )
    disable_user(database, name, actor=session.user.name)


class UserChange(enum.StrEnum):
    """What an admin just did on the users page, told after the redirect (``/users?done=added&user=berg``)."""

    ADDED = "added"
    DISABLED = "disabled"
    RESET = "reset"

    def message(self, user: User, language: Language) -> str:
        """Return the line that tells what was done to ``user``, in ``language``."""
        _ = translations(language).gettext
        match self:
            case UserChange.ADDED:
                role = word(ROLE_WORDS, user.role, language)
                return _("User %(name)s added as %(role)s.") % {"name": user.name, "role": role}
            case UserChange.DISABLED:
                return _("User %(name)s disabled; their sessions have ended.") % {"name": user.name}
            case UserChange.RESET:
                return _("Password of %(name)s reset; their sessions ended and any sign-in lock lifted.") % {
                    "name": user.name
                }


def _users_page(
    request: Request,
    session: Session,
    database: Database,
    *,
    done: str = "",
    error: object = "",
    status_code: int = 200,
    name: str = "",
    role: str = "",
) -> Response:
    """Render the users page with a message (what was done) or an error, and the add form's values."""
    return render(
        request,
        "users.html",
        session,
        status_code=status_code,
        users=users(database),
        roles=list(Role),
        done=done,
        error=error,
        name=name,
        role=role,
    )


def _done(change: UserChange, name: str) -> Response:
    return RedirectResponse(f"/users?{urlencode({'done': change.value, 'user': name})}", status_code=303)


@router.get("/users", include_in_schema=False)
def users_page(
    request: Request,
    done: UserChange | None = None,
    user: str | None = Query(None, max_length=64),
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    changed = find_user(database, user) if done is not None and user else None
    language = language_of_page(request, session).language
    message = done.message(changed, language) if done is not None and changed is not None else ""
    return _users_page(request, session, database, done=message)


@router.post("/users", include_in_schema=False)
def add_user_form(
    request: Request,
    name: str = Form(max_length=64),
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    role: str = Form("", max_length=32),
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    try:
        if not role:
            raise InvalidSettingsError("choose the new user's role; nothing was stored").saying(
                N_("Choose the new user's role; nothing was stored.")
            )
        add_user(database, name, password, Role.parse(role), actor=session.user.name)
    except InvalidSettingsError as refused:
        # The page again with the reason and what was typed (never the password).
        return _users_page(
            request,
            session,
            database,
            error=explained(request, session, refused),
            status_code=400,
            name=name,
            role=role,
        )
    return _done(UserChange.ADDED, name)


@router.post("/users/{name}/disable", include_in_schema=False)
def disable_user_form(
    request: Request,
    name: str,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    try:
        _disable(database, name, session)
    except (HTTPException, InvalidSettingsError) as refused:
        return _refused_on_page(request, session, database, refused)
    return _done(UserChange.DISABLED, name)


def _refused_on_page(
    request: Request, session: Session, database: Database, refused: HTTPException | InvalidSettingsError
) -> Response:
    return _users_page(
        request, session, database, error=explained(request, session, refused), status_code=400
    )


@router.get("/api/users")
def api_users(
    _: Session = Depends(require(Permission.MANAGE_USERS)), database: Database = Depends(get_database)
) -> list[dict[str, Any]]:
    """Return every user (never a password hash)."""
    return [user.to_dict() for user in users(database)]


@router.post("/api/users", status_code=201, dependencies=[Depends(require_json)])
def api_add_user(
    new: NewUser,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> dict[str, Any]:
    """Add a user; 400 when the name is taken or the password too short."""
    return add_user(database, new.name, new.password, new.role, actor=session.user.name).to_dict()


@router.post("/api/users/{name}/disable", status_code=204)
def api_disable_user(
    name: str,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    """Disable a user and end their sessions (users are never deleted: the audit log names them)."""
    _disable(database, name, session)
    return Response(status_code=204)


@router.post("/users/{name}/password", include_in_schema=False)
def reset_password_form(
    request: Request,
    name: str,
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    try:
        _reset(database, name, password, session)
    except (HTTPException, InvalidSettingsError) as refused:
        return _refused_on_page(request, session, database, refused)
    return _done(UserChange.RESET, name)


@router.post("/api/users/{name}/password", status_code=204, dependencies=[Depends(require_json)])
def api_reset_password(
    name: str,
    new: NewPassword,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    """Set another user's password; all their sessions end and their sign-in lock is lifted.

    400 when the password is not allowed, the user does not exist, or it is one's own (use
    ``POST /api/account/password``, which needs the current one).
    """
    _reset(database, name, new.password, session)
    return Response(status_code=204)
