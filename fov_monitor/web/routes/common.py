"""What the routes share: checking ids from the URL, cookies, the answer to a locked sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Path, Response

from fov_monitor.errors import N_, InvalidSettingsError, PeopleMessage
from fov_monitor.store.camera import check_camera_id
from fov_monitor.store.store import Store, check_label
from fov_monitor.web.auth import SESSION_COOKIE
from fov_monitor.web.messages import Refusal
from fov_monitor.web.settings import WebSettings
from fov_monitor.web.throttle import Lock

MAX_ROW_ID = 2**63 - 1
"""The largest id a database row can have (64-bit signed in both dialects)."""


def row_id(what: str) -> Any:
    """Return the path parameter of a row's id: 1 to :data:`MAX_ROW_ID`, else 422 (never a 500)."""
    return Path(ge=1, le=MAX_ROW_ID, description=f"the {what}'s id")


def known_camera(store: Store, camera_id: str) -> str:
    """Return ``camera_id`` if it is a valid id of an enrolled camera, else raise 404.

    An id that could leave the store (``..``, ``/``, a dot-file) is never looked up on disk.
    """
    try:
        check_camera_id(camera_id)
    except InvalidSettingsError:
        raise Refusal(
            404,
            N_("There is no camera %(camera)s."),
            detail=f"no camera {camera_id[:70]!r}: not a valid camera id",
            camera=camera_id[:70],
        ) from None
    if not store.has_camera(camera_id):
        raise Refusal(
            404,
            N_("There is no camera %(camera)s."),
            detail=f"no camera {camera_id!r} in the store",
            camera=camera_id,
        )
    return camera_id


def valid_label(label: str) -> str:
    """Return ``label`` if it is a valid reference label, else raise 404."""
    try:
        return check_label(label)
    except InvalidSettingsError:
        raise Refusal(
            404,
            N_("There is no reference %(label)s."),
            detail=f"no reference {label[:40]!r}: not a valid label",
            label=label[:40],
        ) from None


def set_session_cookie(response: Response, token: str, settings: WebSettings) -> None:
    """Put the session token in an HttpOnly, SameSite=Strict (and by default Secure) cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def locked_out(lock: Lock, now: datetime) -> Refusal:
    """Return the 429 answer to a password refused by a sign-in ``lock``, with ``Retry-After``."""
    people = PeopleMessage.ngettext(
        "Too many failed sign-ins; try again in %(num)d minute.",
        "Too many failed sign-ins; try again in %(num)d minutes.",
        lock.minutes_left(now),
    )
    return Refusal(
        429, people, detail=lock.message(now), headers={"Retry-After": str(lock.seconds_left(now))}
    )
