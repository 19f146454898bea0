"""A delivery connects to the very address its URL check resolved (no DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from benchmarks._ports import free_port
from ugen.net.addresses import IPAddress
from ugen.webhooks.send import send_webhook

BODY = b'{"event":"job.completed"}'
HEADERS = {"content-type": "application/json"}
NAME = "hooks.rebind.test"


@contextmanager
def receiver_at(address: str, port: int) -> Iterator[list[str]]:
    """An HTTP receiver on ``address:port``; yields the Host header of each POST it got."""
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((address, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_delivery_reaches_the_checked_address_not_the_rebound_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The name resolves to one receiver, then to another: only the first may be reached.

    Every resolution in the process goes through ``socket.getaddrinfo``, the URL check's
    and the HTTP client's alike, so a second lookup would show here.
    """
    port = free_port()
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != NAME:
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with receiver_at("127.0.0.1", port) as checked, receiver_at("127.0.0.2", port) as rebound:
        outcome = send_webhook(f"http://{NAME}:{port}/hook", BODY, HEADERS, timeout_s=10,
                               allow_private=True)
    assert outcome.ok and outcome.status_code == 204, outcome
    assert lookups == [NAME]
    assert checked == [f"{NAME}:{port}"] and rebound == []


def test_public_check_then_private_answer_never_used() -> None:
    """Checked public, then resolving to a private address: the request goes to the public
    address that passed the check, with the original Host and TLS server name."""
    answers = iter(["93.184.216.34", "10.0.0.7"])
    lookups: list[tuple[str, int]] = []

    def rebinding(host: str, port: int) -> list[IPAddress]:
        lookups.append((host, port))
        return [ipaddress.ip_address(next(answers))]

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    outcome = send_webhook("https://hooks.example.com/u/1?k=v", BODY, HEADERS, timeout_s=5,
                           allow_private=False, resolver=rebinding,
                           transport=httpx.MockTransport(handler))
    assert outcome.ok, outcome
    assert lookups == [("hooks.example.com", 443)]
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34/u/1?k=v"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.content == BODY


@pytest.mark.parametrize(("address", "url"), [
    ("10.0.0.7", "https://hooks.example.com/u"),
    ("169.254.169.254", "https://hooks.example.com/u"),
    ("93.184.216.34", "http://hooks.example.com/u"),
])
def test_refused_url_is_never_sent(address: str, url: str) -> None:
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(address)]

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent to {request.url}")

    outcome = send_webhook(url, BODY, HEADERS, timeout_s=5, allow_private=False,
                           resolver=resolver, transport=httpx.MockTransport(handler))
    assert not outcome.ok and outcome.permanent and outcome.status_code is None
    assert outcome.error is not None and outcome.error.startswith("refused URL")


def test_receiver_errors_are_retryable() -> None:
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34")]

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    for handler, error in ((failing, "HTTP 503"), (unreachable, "ConnectError")):
        outcome = send_webhook("https://hooks.example.com/u", BODY, HEADERS, timeout_s=5,
                               allow_private=False, resolver=resolver,
                               transport=httpx.MockTransport(handler))
        assert not outcome.ok and not outcome.permanent
        assert outcome.error is not None and error in outcome.error
