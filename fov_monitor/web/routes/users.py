"""Users, for admins: list, add, disable, reset a password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.db.database import Database
from fov_monitor.web.accounts import MAX_PASSWORD_LENGTH, add_user, disable_user, reset_password, users
from fov_monitor.web.auth import require
from fov_monitor.web.context import get_database
from fov_monitor.web.limits import require_json
from fov_monitor.web.pages import render
from fov_monitor.web.roles import Permission, Role
from fov_monitor.web.sessions import Session

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
        raise HTTPException(400, "change your own password on /account; it needs your current one")
    reset_password(database, name, password, actor=session.user.name)


def _disable(database: Database, name: str, session: Session) -> None:
    if name == session.user.name:
        raise HTTPException(400, "you cannot disable yourself; ask another admin")
    disable_user(database, name, actor=session.user.name)


@router.get("/users", include_in_schema=False)
def users_page(
    request: Request,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    return render(request, "users.html", session, users=users(database), roles=list(Role), error="")


@router.post("/users", include_in_schema=False)
def add_user_form(
    name: str = Form(max_length=64),
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    role: Role = Form(),
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    add_user(database, name, password, role, actor=session.user.name)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable", include_in_schema=False)
def disable_user_form(
    name: str,
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    _disable(database, name, session)
    return RedirectResponse("/users", status_code=303)


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
    name: str,
    password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    session: Session = Depends(require(Permission.MANAGE_USERS)),
    database: Database = Depends(get_database),
) -> Response:
    _reset(database, name, password, session)
    return RedirectResponse("/users", status_code=303)


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
