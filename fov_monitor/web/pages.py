"""Rendering pages: the template in the page's language, the user, their navigation and CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from fov_monitor.errors import N_
from fov_monitor.web.auth import CSRF_FIELD
from fov_monitor.web.context import web_context
from fov_monitor.web.language import PageLanguage, page_language, say_language
from fov_monitor.web.messages import explain
from fov_monitor.web.roles import Permission, allows
from fov_monitor.web.sessions import Session

NAV: tuple[tuple[str, str, Permission], ...] = (
    (N_("Fleet"), "/", Permission.VIEW_FLEET),
    (N_("Alerts"), "/alerts", Permission.VIEW_ALERTS),
    (N_("Audit log"), "/audit", Permission.VIEW_AUDIT),
    (N_("Users"), "/users", Permission.MANAGE_USERS),
)
"""The main navigation: label (translated on the page), path, and the permission that shows the entry."""


def language_of_page(request: Request, session: Session | None) -> PageLanguage:
    """Return the language of the page answering ``request`` for ``session``'s user (or nobody)."""
    chosen: PageLanguage | None = getattr(request.state, "page_language", None)
    if chosen is None:
        chosen = page_language(request, session.user.language if session else None)
        request.state.page_language = chosen
    return chosen


def render(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in the page's language, with the user, their navigation and the CSRF token.

    The answer says its language (``Content-Language``) and, when the browser chose it, that it
    varies with ``Accept-Language``.
    """
    page = language_of_page(request, session)
    nav = [
        (label, path)
        for label, path, permission in NAV
        if session is not None and allows(session.user.role, permission)
    ]
    can = {p.name.lower(): session is not None and allows(session.user.role, p) for p in Permission}
    response = (
        web_context(request)
        .templates[page.language]
        .TemplateResponse(
            request,
            template,
            {
                "user": session.user if session else None,
                "csrf_token": session.csrf_token if session else "",
                "csrf_field": CSRF_FIELD,
                "nav": nav,
                "can": can,
                "typed_in": page.organisation,
                **context,
            },
            status_code=status_code,
        )
    )
    say_language(response, page)
    return response


def explained(request: Request, session: Session | None, error: BaseException) -> Markup:
    """Return what ``error`` tells people, in the language of the page answering ``request``."""
    language = language_of_page(request, session).language
    return explain(error, language, web_context(request).store).html(language)
