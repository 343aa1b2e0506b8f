"""No answer of the web app stays in a browser's or a proxy's cache, but its static files.

Pages and JSON answers show cameras, alerts and evidence to a signed-in user; kept in the browser's
cache, they would be shown again after Sign out (the Back button) to whoever uses the browser next.
Every answer outside ``/static/`` is ``Cache-Control: no-store`` (an answer that sets its own
``Cache-Control``, as the images' ``no-store, private``, keeps it).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/static/"


class NoStore:
    """ASGI middleware: add ``Cache-Control: no-store`` to every HTTP answer outside ``/static/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(STATIC_PREFIX):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == NO_STORE[0] for name, _ in headers):
                    message = {**message, "headers": [*headers, NO_STORE]}
            await send(message)

        await self.app(scope, receive, no_store)
