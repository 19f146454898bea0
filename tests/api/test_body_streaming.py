"""Bodies refused while they stream in, against a real server (uvicorn) and a raw client.

The client sends chunk by chunk and stops when the server answers; :class:`CountingApp`
counts what the app read. A key is checked before an upload's body is read; a body past its
limit is refused after at most the limit plus one chunk, and the connection is closed rather
than read to the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from tests.api.conftest import headers, png_bytes
from tests.api.raw_http import CountingApp, RawResponse, stream_request, zeros
from tests.utils.server import running_server
from ugen.api.main import MULTIPART_SLACK, create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.models import Job

UPLOAD = "/api/v1/uploads/product-image"
JOBS = "/api/v1/jobs"
LIMIT = 1024 * 1024
"""The upload limit of the app under test (the documented 10 MB, scaled down)."""
CHUNK = 64 * 1024
BOUNDARY = "ugen-test-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@dataclass(frozen=True)
class Live:
    url: str
    app: CountingApp
    key: str
    settings: Settings


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    app = CountingApp(create_app(settings, max_upload_bytes=LIMIT))
    _, key = create_account(settings, "streaming", 1000)
    with running_server(app) as url:
        yield Live(url, app, key, settings)


def _file_part(data: bytes) -> bytes:
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="p.png"\r\nContent-Type: image/png\r\n\r\n').encode() + data


def _in_chunks(data: bytes) -> Iterator[bytes]:
    return (data[i:i + CHUNK] for i in range(0, len(data), CHUNK))


def _assert_error(r: RawResponse, status: int, code: str) -> None:
    assert r.status == status, r.body
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code


def _jobs(settings: Settings) -> int:
    with session_scope(settings) as s:
        return s.scalar(select(func.count()).select_from(Job)) or 0


def test_upload_without_key_refused_before_body_is_read(live: Live) -> None:
    # One chunk of a body that never ends: a server that read the body before checking the
    # key would wait for the rest and never answer.
    r = stream_request(live.url, "POST", UPLOAD, MULTIPART,
                       iter([_file_part(png_bytes())[:CHUNK]]), finish=False,
                       answer_timeout_s=10)
    _assert_error(r, 401, "UNAUTHORIZED")
    assert live.app.received == 0
    assert r.closed, "the unread body must not be drained to keep the connection"


def test_upload_with_bad_key_refused_before_body_is_read(live: Live) -> None:
    r = stream_request(live.url, "POST", UPLOAD, {**MULTIPART, "X-API-Key": "ugen_sk_nope"},
                       iter([_file_part(png_bytes())[:CHUNK]]), finish=False,
                       answer_timeout_s=10)
    _assert_error(r, 401, "UNAUTHORIZED")
    assert live.app.received == 0


def test_oversize_chunked_upload_refused_after_limit_plus_one_chunk(live: Live) -> None:
    total = 16 * LIMIT
    r = stream_request(live.url, "POST", UPLOAD, {**MULTIPART, **headers(live.key)},
                       zeros(total, CHUNK, head=_file_part(png_bytes())))
    _assert_error(r, 413, "FILE_TOO_LARGE")
    assert r.json()["error"]["details"] == {"limit_bytes": LIMIT}
    # The app read no further than the first chunk past the body limit (the file limit
    # plus the multipart envelope).
    assert live.app.read_before_last_chunk() <= LIMIT + MULTIPART_SLACK < live.app.received
    assert r.closed and r.pulled < total, "the rest of the body was not refused"


def test_oversize_declared_upload_refused_before_body_is_read(live: Live) -> None:
    r = stream_request(live.url, "POST", UPLOAD, {**MULTIPART, **headers(live.key)},
                       iter(()), content_length=20 * LIMIT, answer_timeout_s=10)
    _assert_error(r, 413, "FILE_TOO_LARGE")
    assert live.app.received == 0 and r.closed


def test_chunked_upload_within_limit_is_stored(live: Live) -> None:
    body = _file_part(png_bytes()) + f"\r\n--{BOUNDARY}--\r\n".encode()
    r = stream_request(live.url, "POST", UPLOAD, {**MULTIPART, **headers(live.key)},
                       _in_chunks(body))
    assert r.status == 201, r.body
    assert r.json()["url"].startswith("ugen://uploads/") and r.json()["width"] == 512
    assert live.app.received == len(body)


def test_oversize_chunked_json_refused_while_streaming(live: Live) -> None:
    limit = live.settings.max_json_body_bytes
    total = 20 * 1024 * 1024  # the 20 MB body of the issue
    head = b'{"segment_count": 1, "product_name": "' + b"a" * 100
    r = stream_request(live.url, "POST", JOBS,
                       {"Content-Type": "application/json", **headers(live.key)},
                       zeros(total, CHUNK, head=head))
    _assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert r.json()["error"]["details"] == {"limit_bytes": limit}
    assert live.app.read_before_last_chunk() <= limit < live.app.received
    assert r.closed and r.pulled < total
    assert _jobs(live.settings) == 0


def test_oversize_declared_json_refused_before_body_is_read(live: Live) -> None:
    r = stream_request(live.url, "POST", JOBS,
                       {"Content-Type": "application/json", **headers(live.key)},
                       iter(()), content_length=20 * 1024 * 1024, answer_timeout_s=10)
    _assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert live.app.received == 0 and r.closed
