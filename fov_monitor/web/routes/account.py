"""One's own account: the page, changing one's password (the current one required), choosing a language."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fov_monitor.db.database import Database
from fov_monitor.errors import N_, InvalidSettingsError, PeopleMessage
from fov_monitor.i18n import Language
from fov_monitor.web.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    change_password,
    choose_language,
)
from fov_monitor.web.auth import require
from fov_monitor.web.context import client_address, get_database, web_context
from fov_monitor.web.limits import require_json
from fov_monitor.web.messages import Refusal
from fov_monitor.web.pages import explained, render
from fov_monitor.web.passwords import PasswordChecksBusy
from fov_monitor.web.routes.common import locked_out
from fov_monitor.web.sessions import Session
from fov_monitor.web.signin_attempt import Attempt, Refused, try_password

router = APIRouter()

BROWSER = "browser"
"""The language form's value for no choice: the browser's language, else the organisation's."""


class PasswordChange(BaseModel):
    """One's current password, and the new one."""

    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=MAX_PASSWORD_LENGTH, description="the password now")
    new_password: str = Field(
        max_length=MAX_PASSWORD_LENGTH, description=f"the new password, {MIN_PASSWORD_LENGTH}+ characters"
    )


class LanguageChoice(BaseModel):
    """The language of one's pages."""

    model_config = ConfigDict(extra="forbid")
    language: Language | None = Field(
        description="'en' or 'sv'; null: the browser's (Accept-Language), else the organisation's"
    )


def _busy(busy: PasswordChecksBusy) -> Refusal:
    return Refusal(503, busy.people, detail=str(busy), headers={"Retry-After": str(busy.retry_after_s)})


async def _change(request: Request, session: Session, database: Database, current: str, new: str) -> None:
    """Change the session's user's password; raise HTTPException (400, 429, 503) when refused.

    A wrong current password counts as a failed sign-in (and a lock refuses as at sign-in), so that
    a session left open is no way to guess its user's password. Both the check and the new hash
    run on the password threads.
    """
    context = web_context(request)
    attempt = Attempt(session.user.name, client_address(request), "password change", context.clock())
    try:
        checked = await try_password(context, attempt, current)
    except PasswordChecksBusy as busy:
        raise _busy(busy) from None
    if isinstance(checked, Refused):
        if checked.lock is not None:
            raise locked_out(checked.lock, attempt.now)
        raise Refusal(
            400,
            N_("The current password is wrong; nothing was changed."),
            detail="the current password is wrong; nothing was changed",
        )
    if new == current:
        raise Refusal(
            400,
            N_("The new password is the current one; choose another."),
            detail="the new password is the current one; choose another",
        )
    try:
        async with context.passwords.slot():
            await context.passwords.run(
                lambda: change_password(database, session.user.name, new, keep_session=session.id_hash)
            )
    except InvalidSettingsError as error:
        why = error.people or PeopleMessage(N_("This password is not allowed."))
        raise Refusal(
            400,
            PeopleMessage(N_("%(why)s Nothing was changed."), {"why": why}),
            detail=f"{error}; nothing was changed",
        ) from None
    except PasswordChecksBusy as busy:
        raise _busy(busy) from None


def _account_page(
    request: Request, session: Session, *, status_code: int = 200, error: object = "", **shown: object
) -> Response:
    return render(
        request,
        "account.html",
        session,
        status_code=status_code,
        error=error,
        min_length=MIN_PASSWORD_LENGTH,
        languages=list(Language),
        browser=BROWSER,
        **{"changed": False, "language_chosen": False} | shown,
    )


@router.get("/account", include_in_schema=False)
def account_page(
    request: Request,
    changed: bool = False,
    language_chosen: bool = False,
    session: Session = Depends(require(None)),
) -> Response:
    return _account_page(request, session, changed=changed, language_chosen=language_chosen)


@router.post("/account/password", include_in_schema=False)
async def change_password_form(
    request: Request,
    current_password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    new_password: str = Form(max_length=MAX_PASSWORD_LENGTH),
    new_password_again: str = Form(max_length=MAX_PASSWORD_LENGTH),
    session: Session = Depends(require(None)),
    database: Database = Depends(get_database),
) -> Response:
    try:
        if new_password != new_password_again:
            raise Refusal(
                400,
                N_("The two new passwords differ; nothing was changed."),
                detail="the two new passwords differ; nothing was changed",
            )
        await _change(request, session, database, current_password, new_password)
    except HTTPException as refused:
        response = _account_page(
            request, session, status_code=refused.status_code, error=explained(request, session, refused)
        )
        response.headers.update(refused.headers or {})
        return response
    return RedirectResponse("/account?changed=true", status_code=303)


@router.post("/account/language", include_in_schema=False)
def choose_language_form(
    language: Language | Literal["browser"] = Form(),
    session: Session = Depends(require(None)),
    database: Database = Depends(get_database),
) -> Response:
    choose_language(database, session.user.name, None if language == BROWSER else Language(language))
    return RedirectResponse("/account?language_chosen=true", status_code=303)


@router.post("/api/account/password", status_code=204, dependencies=[Depends(require_json)])
async def api_change_password(
    request: Request,
    change: PasswordChange,
    session: Session = Depends(require(None)),
    database: Database = Depends(get_database),
) -> Response:
    """Change one's own password; one's other sessions end, this one stays.

    400 when the current password is wrong or the new one not allowed; 429 (with ``Retry-After``)
    after too many wrong passwords, as at sign-in; 503 (with ``Retry-After``) when too many password
    checks wait already.
    """
    await _change(request, session, database, change.current_password, change.new_password)
    return Response(status_code=204)


@router.put("/api/account/language", status_code=204, dependencies=[Depends(require_json)])
def api_choose_language(
    choice: LanguageChoice,
    session: Session = Depends(require(None)),
    database: Database = Depends(get_database),
) -> Response:
    """Choose the language of one's pages (``null``: the browser's, else the organisation's); audited."""
    choose_language(database, session.user.name, choice.language)
    return Response(status_code=204)
