"""A raw HTTP/1.1 client that streams a request body and stops when the server answers.

An ordinary client sends the whole body before it reads the answer; this one sends its body
chunk by chunk from a generator, looks for an answer before each chunk, and records how much
of the body it got out before the server answered or closed the connection. With
:class:`CountingApp` around the app, the server's side is counted too: the bytes the app
actually read.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class CountingApp:
    """An ASGI app around another that counts the request body bytes it reads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.chunks: list[int] = []
        """The size of each body message the app read (the server's chunks)."""

    @property
    def received(self) -> int:
        return sum(self.chunks)

    def read_before_last_chunk(self) -> int:
        return sum(self.chunks[:-1])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.chunks.append(len(message.get("body", b"")))
            return message

        await self.app(scope, counted, send)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int
    """Body bytes the client got out before the answer came or the connection broke."""
    pulled: int
    """Body bytes taken from the generator (``sent`` plus the chunk that could not go)."""
    closed: bool
    """The server closed the connection after its answer."""

    def json(self) -> Any:
        return json.loads(self.body)


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _read_response(sock: socket.socket, timeout_s: float) -> tuple[int, dict[str, str], bytes,
                                                                   bool]:
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the connection closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip()
               for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    try:
        sock.settimeout(5)
        closed = sock.recv(1) == b""
    except ConnectionResetError:  # closed with the unread body still in its buffer
        closed = True
    except TimeoutError:
        closed = False
    return status, headers, body[:length], closed


def stream_request(base_url: str, method: str, path: str, headers: dict[str, str],
                   chunks: Iterator[bytes], *, content_length: int | None = None,
                   finish: bool = True, answer_timeout_s: float = 20.0) -> RawResponse:
    """Send a request whose body comes from ``chunks`` and read the answer.

    The body is chunked, or with ``content_length`` declared and sent as it is. Before each
    chunk the client looks for an answer and stops sending once there is one (or once the
    server has closed the connection). With ``finish`` false a chunked body is left
    unfinished: the client waits for an answer after the last chunk without ending it.
    """
    url = urlsplit(base_url)
    chunked = content_length is None
    framing = ("Transfer-Encoding: chunked" if chunked
               else f"Content-Length: {content_length}")
    sock = socket.create_connection((url.hostname, url.port), timeout=answer_timeout_s)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        head = [f"{method} {path} HTTP/1.1", f"Host: {url.hostname}:{url.port}", framing,
                *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        sock.sendall("\r\n".join(head).encode("latin-1"))
        sent = pulled = 0
        stopped = False
        for chunk in chunks:
            if _answered(sock):
                stopped = True
                break
            pulled += len(chunk)
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                stopped = True
                break
            sent += len(chunk)
        if chunked and finish and not stopped:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"0\r\n\r\n")
        status, resp_headers, body, closed = _read_response(sock, answer_timeout_s)
        return RawResponse(status, resp_headers, body, sent, pulled, closed)
    finally:
        sock.close()


def zeros(total: int, chunk: int = 64 * 1024, *, head: bytes = b"") -> Iterator[bytes]:
    """``head`` and then zero bytes, ``total`` bytes in all, in chunks of ``chunk``."""
    data = head
    left = total - len(head)
    while data or left > 0:
        take = min(chunk - len(data), left)
        data += b"\0" * take
        left -= take
        yield data
        data = b""
