"""The web app's factory: the store, the database and the settings in; a FastAPI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fov_monitor import __version__
from fov_monitor.db.location import DatabaseLocation
from fov_monitor.db.retry import RetryPolicy
from fov_monitor.errors import (
    N_,
    DatabaseUnavailableError,
    FovMonitorError,
    InvalidPermitError,
    InvalidSettingsError,
    PeopleMessage,
    SourceError,
    UnknownCameraError,
)
from fov_monitor.store.store import Store
from fov_monitor.web.auth import SESSION_COOKIE, SignInRequired
from fov_monitor.web.caching import NoStore
from fov_monitor.web.context import STATIC, WebContext, public_text, system_clock, web_context
from fov_monitor.web.limits import BodyLimit, SecurityHeaders
from fov_monitor.web.messages import Refusal, explain
from fov_monitor.web.pages import language_of_page, render
from fov_monitor.web.passwords import PasswordChecks, PasswordChecksBusy
from fov_monitor.web.pool import DatabasePool
from fov_monitor.web.routes import account, alerts, audit, cameras, fleet, images, permits, signin, users
from fov_monitor.web.sessions import Session, resume_session
from fov_monitor.web.settings import WebSettings
from fov_monitor.web.templating import page_templates

log = logging.getLogger(__name__)

ROUTERS = (
    signin.router,
    account.router,
    fleet.router,
    cameras.router,
    permits.router,
    images.router,
    alerts.router,
    audit.router,
    users.router,
)
"""Every area's routes."""

DATABASE_RETRY_AFTER_S = 5
"""What a request refused for a locked or unreachable database is told to wait, in seconds."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(
    store: Store,
    database_location: DatabaseLocation,
    settings: WebSettings | None = None,
    clock: Callable[[], datetime] = system_clock,
    retry: RetryPolicy | None = None,
) -> FastAPI:
    """Return the web app over ``store`` and its results database.

    Parameters
    ----------
    store : Store
        The camera store.
    database_location : DatabaseLocation
        The results and audit database (users and sessions live there too).
    settings : WebSettings, optional
        Sessions, cookies and limits; the defaults when not given.
    clock : callable, optional
        Returns the time (UTC, timezone-aware) for sessions and sign-in locks; the system's by default.
    retry : RetryPolicy, optional
        How long a locked or briefly unreachable database is waited for before a request is answered
        503 (the database's default).

    Returns
    -------
    FastAPI
        Pages at ``/``, the JSON API under ``/api/``, its schema at ``/openapi.json``.
    """
    settings = settings or WebSettings()
    pool = DatabasePool(database_location, retry)
    with pool.connection():  # migrate (and fail) now, not at the first request
        pass
    passwords = PasswordChecks.of(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Few threads for the quick requests: Python threads share one interpreter lock, and 40 of them
        # (anyio's default) starve the event loop under load (benchmarks/web_load.py: 150 against 360
        # requests/s with 200 clients). Checks and face blurring take their own, so they never hold
        # up the quick ones.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        app.state.heavy = anyio.CapacityLimiter(settings.heavy_threads)
        yield
        passwords.close()
        pool.close()

    app = FastAPI(
        title="fov-monitor",
        version=__version__,
        description="Fleet status, cameras, permits and the audit log of fov-monitor.",
        docs_url=None,  # Swagger UI loads scripts from a CDN, which the CSP forbids; the schema is served
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = WebContext(store, pool, settings, page_templates(), clock, passwords)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _add_error_handlers(app)

    app.add_middleware(SecurityHeaders, headers=SECURITY_HEADERS)
    app.add_middleware(NoStore)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _error(request: Request, status: int, error: Exception, detail: str) -> Response:
    """Answer an error: JSON for the API, else the error page with the user's navigation and Sign out.

    The API's ``detail`` is the error's own text (the command line's words for a core error);
    ``message`` is what the page would say, in the page's language.
    """
    store = web_context(request).store
    # The API answers at once: the session its route found, if any, rather than one looked up again.
    session = getattr(request.state, "session", None) if _is_api(request) else await _session_of(request)
    language = language_of_page(request, session).language
    explained = explain(error, language, store)
    if _is_api(request):
        body = {"detail": public_text(store, detail), "message": explained.plain()}
        return JSONResponse(body, status_code=status, headers={"Content-Language": str(language)})
    message = explained.html(language)
    return render(request, "error.html", session, status_code=status, status=status, message=message)


async def _session_of(request: Request) -> Session | None:
    """Return the request's session: the one its route found, else its cookie's (None when unknown)."""
    session: Session | None = getattr(request.state, "session", None)
    token = request.cookies.get(SESSION_COOKIE)
    if session is not None or not token:
        return session
    context = web_context(request)

    def look_up() -> Session | None:
        with context.pool.connection() as database:
            return resume_session(database, token, context.settings, context.clock())

    try:
        return await anyio.to_thread.run_sync(look_up)
    except FovMonitorError:  # a locked database: the page without the navigation, rather than none
        return None


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _: Exception) -> Response:
        if _is_api(request):
            response: Response = JSONResponse(
                {"detail": "sign in first (POST /api/session or the page /signin)"}, status_code=401
            )
        else:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
        if SESSION_COOKIE in request.cookies:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        response = await _error(request, exc.status_code, exc, str(exc.detail))
        response.headers.update(exc.headers or {})  # Retry-After of a locked sign-in
        return response

    @app.exception_handler(PasswordChecksBusy)
    async def busy(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PasswordChecksBusy)
        response = await _error(request, 503, exc, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return JSONResponse({"detail": jsonable_errors(exc)}, status_code=422)
        described = "; ".join(_describe(e) for e in exc.errors())
        return await _error(request, 400, _invalid(exc), described)

    @app.exception_handler(FovMonitorError)
    async def domain_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, DatabaseUnavailableError):
            # Locked by another process (a scan's writes) or a server restarting: it passes.
            response = await _error(request, 503, exc, str(exc))
            response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
            return response
        if isinstance(exc, UnknownCameraError):
            status = 404
        elif isinstance(exc, InvalidPermitError | InvalidSettingsError):
            status = 400
        elif isinstance(exc, SourceError):
            status = 502
        else:
            status = 409
        return await _error(request, status, exc, str(exc))


def _invalid(exc: RequestValidationError) -> Refusal:
    """Return the refusal of a form or address that does not read as expected, naming its fields."""
    fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
    return Refusal(
        400,
        PeopleMessage(
            N_("Something sent is not as expected (%(fields)s); go back, check it and try again."),
            {"fields": ", ".join(fields) or "?"},
        ),
    )


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    """Return FastAPI's validation errors without the input echoed back (it may be large)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]


def _describe(error: object) -> str:
    if isinstance(error, dict):
        where = ".".join(str(part) for part in error.get("loc", ()))
        return f"{where}: {error.get('msg', '')}"
    return str(error)


__all__ = ["ROUTERS", "create_app"]
