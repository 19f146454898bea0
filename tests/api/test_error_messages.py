"""What an error says never shows where the server keeps its files."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.api import isolated_settings
from tests.utils.image_server import serve_images
from ugen.api.errors import without_paths
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account

UPLOAD = "/api/v1/uploads/product-image"
CORRUPT_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00garbage-not-chunks" * 64
NOT_A_JPEG = b"\xff\xd8\xff" + b"\x00garbage" * 64
"""Sniffed as a JPEG by its first bytes; the decoder cannot identify it (and names the file)."""
# An absolute path of two parts or more, not the path of a URL.
_ABSOLUTE = re.compile(r"(?<![\w.:/%-])/[^\s'\"/]+/")


def _assert_no_paths(text: str, settings: Settings) -> None:
    for root in {settings.data_dir, settings.data_dir.resolve(), Path(tempfile.gettempdir()),
                 Path.home(), Path.cwd()}:
        assert f"{root}/" not in text, text
    assert "work/tmp" not in text and "/upload'" not in text, text
    assert not _ABSOLUTE.search(text), text


def _truncated_png() -> bytes:
    data = png_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize("data", [CORRUPT_PNG, NOT_A_JPEG, b"hello, not an image\n" * 40,
                                  _truncated_png()],
                         ids=["corrupt_png", "not_a_jpeg", "text", "truncated_png"])
def test_upload_decoding_error_shows_no_path(settings: Settings, client: TestClient,
                                             account: tuple[str, str], data: bytes) -> None:
    r = client.post(UPLOAD, headers=headers(account[1]), files={"file": ("p.png", data)})
    assert r.status_code == 400 and r.json()["error"]["code"] == "UNSUPPORTED_IMAGE"
    message = r.json()["error"]["message"]
    assert "image" in message
    _assert_no_paths(r.text, settings)


def test_upload_error_with_relative_data_dir_shows_no_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with isolated_settings(Path("data")) as settings:
        assert not settings.data_dir.is_absolute()
        _, key = create_account(settings, "relative", 100)
        with TestClient(create_app(settings)) as client:
            r = client.post(UPLOAD, headers=headers(key),
                            files={"file": ("p.jpg", NOT_A_JPEG)})
    assert r.status_code == 400
    assert "cannot identify image file" in r.text
    _assert_no_paths(r.text, settings)
    assert "data/" not in r.text


def test_fetched_image_decoding_error_shows_no_path(settings: Settings, client: TestClient,
                                                    account: tuple[str, str]) -> None:
    settings.allow_private_urls = True
    with serve_images(NOT_A_JPEG) as server:
        body = {**SMALL_JOB, "product_image_url": server.url("/image")}
        r = client.post("/api/v1/jobs", headers=headers(account[1]), json=body)
    assert r.status_code == 422, r.text
    (entry,) = r.json()["detail"]
    assert entry["ctx"] == {"reason": "invalid_image"}
    assert "not a readable image" in entry["msg"]
    _assert_no_paths(entry["msg"], settings)


def test_unexpected_error_shows_no_details(settings: Settings, account: tuple[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from ugen.service import account as account_service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(settings.data_dir / "ugen.sqlite"))

    monkeypatch.setattr(account_service.ledger, "balance", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/credits/balance", headers=headers(account[1]))
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "INTERNAL_ERROR", "message": "internal server error",
                                  "details": {}}}


@pytest.mark.parametrize(("message", "expected"), [
    ("cannot identify image file '/srv/ugen/work/tmpab12/upload'",
     "cannot identify image file <file>"),
    ('File "/usr/lib/python3.11/json/decoder.py", line 3', "File <file>, line 3"),
    ("[Errno 2] No such file or directory: /var/lib/ugen/artifacts/j/final.mp4",
     "[Errno 2] No such file or directory: <file>"),
    ("no upload ugen://uploads/0f0e in this account", "no upload ugen://uploads/0f0e in this "
                                                      "account"),
    ("answered HTTP 404 at https://cdn.example.com/a/b.png",
     "answered HTTP 404 at https://cdn.example.com/a/b.png"),
    ("9:16 or 16:9 and 3/4 of the time", "9:16 or 16:9 and 3/4 of the time"),
])
def test_without_paths(message: str, expected: str) -> None:
    assert without_paths(message) == expected


def test_without_paths_relative_root() -> None:
    roots = (Path("data"),)
    assert without_paths("file 'data/work/tmp1/upload' broken", roots) == "file '<file>' broken"
    assert without_paths("metadata and data-sets stay", roots) == "metadata and data-sets stay"


def test_no_error_handler_echoes_a_path(client: TestClient, settings: Settings,
                                        make_account: Callable[..., tuple[str, str]]) -> None:
    _, key = make_account()
    for r in (client.get("/api/v1/files/x/final.mp4?expires=1&signature=00"),
              client.get("/api/v1/jobs/nope/video", headers=headers(key)),
              client.get("/api/v1/nowhere"),
              client.post("/api/v1/jobs", headers=headers(key), content=b"{",
                          params={"x": "1"})):
        assert 400 <= r.status_code < 500
        _assert_no_paths(r.text, settings)
