"""Request limits and response headers, as plain ASGI middleware (no per-request task or stream copy)."""

from __future__ import annotations

import json

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fov_monitor.errors import N_
from fov_monitor.web.messages import Refusal


class _BodyTooLarge(Refusal):
    """The 413 answer, raised while the body is read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            N_("What was sent is larger than %(bytes)s bytes; nothing was stored."),
            detail=_too_large(max_bytes),
            bytes=max_bytes,
        )


def _too_large(max_bytes: int) -> str:
    return f"request body larger than {max_bytes} bytes; nothing was stored"


class BodyLimit:
    """ASGI middleware: answer 413 to a request body over ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before reading; a body that streams
    past it (chunked, or a lying header) is refused as soon as it does: reading it raises the
    413 as an HTTPException, which the app answers like any other (FastAPI's body parsing lets
    HTTPExceptions through and would turn anything else into a 400).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": _too_large(self.max_bytes)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def require_json(request: Request) -> None:
    """Refuse (415) a body that is not declared ``application/json`` (a FastAPI dependency)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Refusal(
            415,
            N_("This address takes JSON only (Content-Type: application/json)."),
            detail=f"expected a JSON body (Content-Type: application/json), got {content_type or 'none'!r}",
        )


class SecurityHeaders:
    """ASGI middleware: add ``headers`` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
