"""Refuse what must not reach a route, before it does: NUL in the URL, oversize bodies.

A plain ASGI middleware, outermost in the app. A request without a body (every poll) costs a
scan of its headers. A body is bounded by the limit of its path (:class:`BodyLimit`): a
declared ``Content-Length`` past it is answered 413 at once, without reading a byte; a body
without one (chunked) is counted as the route reads it, and the read that passes the limit
raises a 413 :class:`ApiError` (answered by the app's error handler), so at most the limit
plus one chunk is ever read. A response sent before its request's body was read to the
end carries ``Connection: close``: the server then drops the connection instead of reading
the rest of the body to keep it alive.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ugen.api.errors import ApiError, error_response
from ugen.api.fast_status import route_path


@dataclass(frozen=True)
class BodyLimit:
    """The most bytes a request body may have on the wire, and how a refusal is told."""

    max_bytes: int
    code: str
    """``error.code`` of the 413 (``PAYLOAD_TOO_LARGE``, ``FILE_TOO_LARGE``)."""
    limit_bytes: int
    """The limit the client is told (``details.limit_bytes``): a file's own limit may leave
    room in ``max_bytes`` for the multipart envelope around it."""
    what: str = "the request body"

    def error(self) -> ApiError:
        """The 413 of a body past this limit."""
        return ApiError(413, self.code,
                        f"{self.what} is larger than the limit of {self.limit_bytes} bytes",
                        {"limit_bytes": self.limit_bytes}, headers={"Connection": "close"})


@dataclass(frozen=True)
class BodyLimits:
    """The limit of each path: the first matching prefix's, else the default."""

    default: BodyLimit
    by_prefix: tuple[tuple[str, BodyLimit], ...] = ()

    def for_path(self, path: str) -> BodyLimit:
        return next((limit for prefix, limit in self.by_prefix if path.startswith(prefix)),
                    self.default)


def _declared_length(scope: Scope) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (None if absent or malformed) and whether a body
    comes at all (a length above 0, or a ``Transfer-Encoding``)."""
    length: int | None = None
    has_body = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if text.isascii() and text.isdigit():
                length = int(text)
                has_body = has_body or length > 0
        elif name == b"transfer-encoding":
            has_body = True
    return length, has_body


class RequestGuard:
    """Refuse NUL characters in the URL (400) and bodies past their path's limit (413)."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A NUL reaches no database intact (PostgreSQL refuses it in text).
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            response = error_response(400, "BAD_REQUEST",
                                      "the URL must not contain a NUL character")
            await response(scope, receive, send)
            return
        declared, has_body = _declared_length(scope)
        if not has_body:
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(route_path(scope))
        if declared is not None and declared > limit.max_bytes:
            err = limit.error()
            response = error_response(err.status_code, err.code, err.message, err.details,
                                      err.headers)
            await response(scope, receive, send)
            return
        await self.app(scope, *_BodyCounter(limit, receive, send).wrapped())


class _BodyCounter:
    """Counts a request body as it is read; closes the connection if it was not read out."""

    def __init__(self, limit: BodyLimit, receive: Receive, send: Send) -> None:
        self.limit = limit
        self.received = 0
        self.complete = False
        self._receive = receive
        self._send = send

    def wrapped(self) -> tuple[Receive, Send]:
        return self.receive, self.send

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                raise self.limit.error()
            self.complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and not self.complete:
            headers = [(k, v) for k, v in message.get("headers", [])
                       if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await self._send(message)
