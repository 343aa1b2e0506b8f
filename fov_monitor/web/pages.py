"""Rendering pages: the template, the signed-in user, their navigation and CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from fov_monitor.web.auth import CSRF_FIELD
from fov_monitor.web.context import web_context
from fov_monitor.web.roles import Permission, allows
from fov_monitor.web.sessions import Session

NAV: tuple[tuple[str, str, Permission], ...] = (
    ("Fleet", "/", Permission.VIEW_FLEET),
    ("Alerts", "/alerts", Permission.VIEW_ALERTS),
    ("Audit log", "/audit", Permission.VIEW_AUDIT),
    ("Users", "/users", Permission.MANAGE_USERS),
)
"""The main navigation: label, path, and the permission that shows the entry."""


def render(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with the user, the navigation their role may use, and the CSRF token."""
    nav = [
        (label, path)
        for label, path, permission in NAV
        if session is not None and allows(session.user.role, permission)
    ]
    can = {p.name.lower(): session is not None and allows(session.user.role, p) for p in Permission}
    return web_context(request).templates.TemplateResponse(
        request,
        template,
        {
            "user": session.user if session else None,
            "csrf_token": session.csrf_token if session else "",
            "csrf_field": CSRF_FIELD,
            "nav": nav,
            "can": can,
            **context,
        },
        status_code=status_code,
    )
