"""The server's access log never shows a signed URL's signature (nor an API key)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn

from ugen.api.access_log import ACCESS_LOGGER, REDACTED, RedactSecrets, redact
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.signed_urls import sign_artifact

JOB_ID = "6c4f2d6e-0a47-4b3a-9d55-0a1c2e3f4a5b"


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def serving_with_access_log(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn's own logging set-up and access log, as ``ugen serve``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="info",
                                           access_log=True))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "no server"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    yield handler
    logging.getLogger(ACCESS_LOGGER).removeHandler(handler)


def test_access_log_of_signed_download_has_no_signature(settings: Settings,
                                                        captured: Captured) -> None:
    url = sign_artifact(settings, JOB_ID, f"{JOB_ID}/final.mp4")
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    expires = parse_qs(urlsplit(url).query)["expires"][0]
    key = "ugen_sk_" + "k" * 43
    with serving_with_access_log(create_app(settings)) as base:
        logging.getLogger(ACCESS_LOGGER).addHandler(captured)
        with httpx.Client(base_url=base) as client:
            assert client.get(url).status_code == 404  # signed, but the job has no file
            client.get(f"/api/v1/credits/balance?api_key={key}")
            client.get("/api/v1/models?note=hello&TOKEN=t0ps3cret")
    lines = "\n".join(captured.lines)
    assert f"/api/v1/files/{JOB_ID}/final.mp4?expires={expires}&signature={REDACTED}" in lines
    assert signature not in lines
    assert key not in lines and f"api_key={REDACTED}" in lines
    assert "t0ps3cret" not in lines and "note=hello" in lines
    assert len(captured.lines) == 3


@pytest.mark.parametrize(("target", "expected"), [
    ("/api/v1/files/j/final.mp4?expires=1&signature=abc",
     "/api/v1/files/j/final.mp4?expires=1&signature=REDACTED"),
    ("/x?Signature=abc&X-Amz-Signature=def&page=2",
     "/x?Signature=REDACTED&X-Amz-Signature=REDACTED&page=2"),
    ("/x?mysignature=keep&sig=drop", "/x?mysignature=keep&sig=REDACTED"),
    ("/x?access_token=a;password=b#frag", "/x?access_token=REDACTED;password=REDACTED#frag"),
    ("/api/v1/jobs/ugen_sk_AbC-123_x", "/api/v1/jobs/REDACTED"),
    ("/api/v1/jobs?page=1", "/api/v1/jobs?page=1"),
])
def test_redact(target: str, expected: str) -> None:
    assert redact(target) == expected


def test_filter_rewrites_arguments_and_keeps_record() -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/f?signature=s3", "1.1", 200), None)
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == '127.0.0.1:1 - "GET /f?signature=REDACTED HTTP/1.1" 200'
