"""Fixtures of the webhook tests: the API tests' fixtures, short backoff, a loopback receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.api.conftest import (  # noqa: F401 (fixtures)
    account,
    client,
    create_job,
    make_account,
    upload,
)
from ugen.core.config import Settings, get_settings
from ugen.webhooks.signing import standard_secret, ugen_signature


@pytest.fixture
def settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The suite's settings with a 0.1 s webhook backoff; private URLs refused."""
    monkeypatch.setenv("UGEN_WEBHOOK_BACKOFF_S", "0.1")
    monkeypatch.delenv("UGEN_ALLOW_PRIVATE_URLS", raising=False)
    return get_settings()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    ugen_ok: bool | None
    standard_ok: bool | None
    answered: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secret: str | None
    answers: list[int]
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _verify(secret: str | None, headers: dict[str, str], body: bytes
            ) -> tuple[bool | None, bool | None]:
    if secret is None:
        return None, None
    ts = headers.get("x-ugen-timestamp", "")
    ugen_ok = ts.isdigit() and headers.get("x-ugen-signature") == ugen_signature(
        secret, int(ts), body)
    try:
        Webhook(standard_secret(secret)).verify(body, headers)
        standard_ok = True
    except Exception:
        standard_ok = False
    return ugen_ok, standard_ok


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """Start an HTTP receiver on 127.0.0.1 that verifies both signatures and answers
    ``answers`` in turn (then 200)."""
    servers: list[ThreadingHTTPServer] = []

    def start(secret: str | None, answers: list[int]) -> Receiver:
        box: list[Receiver] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                rec = box[0]
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ugen_ok, standard_ok = _verify(rec.secret, headers, body)
                with rec.lock:
                    code = rec.answers.pop(0) if rec.answers else 200
                    rec.received.append(Received(headers, body, ugen_ok, standard_ok, code))
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        box.append(Receiver(f"http://127.0.0.1:{server.server_port}/hook", secret,
                            list(answers)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return box[0]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
