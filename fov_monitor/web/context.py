"""What every request handler shares: the store, database connections, settings and templates."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
from fastapi import Request
from fastapi.templating import Jinja2Templates

from fov_monitor.db.database import Database
from fov_monitor.i18n import Language
from fov_monitor.settings import StoreSettings
from fov_monitor.store.store import Store
from fov_monitor.web.passwords import PasswordChecks
from fov_monitor.web.pool import DatabasePool
from fov_monitor.web.settings import WebSettings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class WebContext:
    """The app's one configuration tree, built once by :func:`fov_monitor.web.app.create_app`.

    ``templates`` are the pages' of each language (:mod:`fov_monitor.web.templating`). ``clock``
    gives the time (UTC) that sessions and sign-in locks are measured by: the system's, or a test's
    own, so that timeouts are tested without waiting for them. ``passwords`` runs the password
    checks, apart from the quick requests.
    """

    store: Store
    pool: DatabasePool
    settings: WebSettings
    templates: Mapping[Language, Jinja2Templates]
    clock: Callable[[], datetime]
    passwords: PasswordChecks


def public_text(store: Store, text: str) -> str:
    """Return ``text`` with the store's place on the server written ``<store>``.

    Error messages name files to be useful on the command line; over the web, where the server's
    folders are nobody's business, the store's absolute path is left out.
    """
    for root in sorted({str(store.root.resolve()), str(store.root.absolute())}, key=len, reverse=True):
        text = text.replace(root, "<store>")
    return text


def system_clock() -> datetime:
    """Return the system's time, in UTC."""
    return datetime.now(UTC)


def web_context(request: Request) -> WebContext:
    """Return the app's context (a FastAPI dependency)."""
    context: WebContext = request.app.state.web
    return context


def store_settings(request: Request) -> StoreSettings:
    """Return the store's settings for this request (a FastAPI dependency: one per request).

    Each file is read when the request first needs it, so that what an admin writes is seen by the
    next request, without a restart, and pages that need no settings never read them.
    """
    return StoreSettings(web_context(request).store.root)


def client_address(request: Request) -> str:
    """Return the client's address (the reverse proxy's ``X-Forwarded-For`` when uvicorn trusts it)."""
    return request.client.host if request.client else "unknown"


def get_database(request: Request) -> Iterator[Database]:
    """Lend a database connection for the request (a FastAPI dependency, run in a worker thread)."""
    with web_context(request).pool.connection() as database:
        yield database


T = TypeVar("T")


async def run_heavy(request: Request, work: Callable[[], T]) -> T:
    """Run slow work (a check, face blurring) in a worker thread of its own limited pool."""
    return await anyio.to_thread.run_sync(work, limiter=request.app.state.heavy)
