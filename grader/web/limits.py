"""Two small ASGI middlewares: a cap on request bodies and the page's security headers."""

from __future__ import annotations

import json
from typing import Any

from ..answers import MAX_ANSWER_CHARS

# The largest honest body: every character of a maximal answer JSON-escaped as a
# surrogate pair (12 bytes), plus room for the rubric id. Anything bigger is refused
# before it is read into memory or parsed.
MAX_BODY_BYTES = 12 * MAX_ANSWER_CHARS + 16 * 1024

# The page and its files come from this server only: no inline script, no CDN.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Scope = dict[str, Any]


class BodySizeLimit:
    """413 for a request body over `limit` bytes, declared or streamed; others pass through whole."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return whole
            return await receive()  # type: ignore[no-any-return]

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        detail = (
            f"the request body is over {self.limit:,} bytes; an answer may have at most "
            f"{MAX_ANSWER_CHARS:,} characters"
        )
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """nosniff and no referrer everywhere; a strict CSP on the student page and its files.

    The API docs at /docs and /redoc keep FastAPI's own inline bootstrap script, so
    they get no CSP.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        page = path == "/" or path.startswith("/static/")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if page:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
