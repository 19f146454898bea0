"""A loopback HTTP server for fetch tests: images, redirects, oversize and non-image bodies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class ImageServer:
    """Routes: ``/image`` (the PNG), ``/big`` (``big_bytes``, no Content-Length),
    ``/big-declared``, ``/text``, ``/redirect?to=URL``, ``/loop``, ``/status/N``, ``/slow``."""

    png: bytes
    big_bytes: int = 200_000
    port: int = 0
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(server: ImageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, *,
                  length: bool = True, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _drip(self, body: bytes) -> None:
            # A byte every 50 ms: no single read times out, only a total deadline stops it.
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass

        def do_GET(self) -> None:
            server.hosts.append(self.headers.get("Host", ""))
            parts = urlsplit(self.path)
            big = server.png + b"\0" * server.big_bytes
            if parts.path == "/image":
                self._send(200, server.png, "image/png")
            elif parts.path == "/big":
                self._send(200, big, "image/png", length=False)
            elif parts.path == "/big-declared":
                self._send(200, big, "image/png")
            elif parts.path == "/text":
                self._send(200, b"<html>not an image</html>" * 10, "image/png")
            elif parts.path == "/redirect":
                to = parse_qs(parts.query)["to"][0]
                self._send(302, b"", "text/plain", headers={"Location": to})
            elif parts.path == "/loop":
                self._send(302, b"", "text/plain", headers={"Location": "/loop"})
            elif parts.path == "/slow":
                self._drip(server.png)
            elif parts.path.startswith("/status/"):
                self._send(int(parts.path.rsplit("/", 1)[1]), b"nope", "text/plain")
            else:
                self._send(404, b"", "text/plain")

    return Handler


@contextmanager
def serve_images(png: bytes) -> Iterator[ImageServer]:
    """Run the server on 127.0.0.1 (HTTP/1.0: a body without length ends at close)."""
    state = ImageServer(png=png)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.block_on_close = False  # a dripping handler must not hold up teardown
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
