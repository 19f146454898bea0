"""POST /uploads/product-image: sniffed from content, size-limited, scoped to the account."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.api.conftest import headers, png_bytes
from ugen.core.config import Settings
from ugen.store.artifacts import LocalArtifactStore

URL = "/api/v1/uploads/product-image"


def test_png_upload_is_201_and_stored_under_the_account(
        client: TestClient, settings: Settings, account: tuple[str, str]) -> None:
    account_id, key = account
    r = client.post(URL, headers=headers(key),
                    files={"file": ("../../etc/passwd.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["url"] == f"ugen://uploads/{body['upload_id']}"
    assert (body["content_type"], body["width"], body["height"]) == ("image/png", 512, 512)
    stored = LocalArtifactStore(settings.artifacts_dir).path(
        f"uploads/{account_id}/{body['upload_id']}.png")
    assert stored.read_bytes() == png_bytes()


def test_format_comes_from_content_not_name(client: TestClient,
                                            account: tuple[str, str]) -> None:
    _, key = account
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), "teal").save(buf, format="JPEG")
    r = client.post(URL, headers=headers(key), files={"file": ("x.png", buf.getvalue())})
    assert r.status_code == 201 and r.json()["content_type"] == "image/jpeg"

    r = client.post(URL, headers=headers(key),
                    files={"file": ("photo.png", b"just some text\n" * 50, "image/png")})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "UNSUPPORTED_IMAGE"


def test_empty_and_oversize_uploads_are_refused(client: TestClient,
                                                account: tuple[str, str]) -> None:
    _, key = account
    r = client.post(URL, headers=headers(key), files={"file": ("e.png", b"", "image/png")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "EMPTY_FILE"
    big = png_bytes() + b"\0" * (10 * 1024 * 1024)
    r = client.post(URL, headers=headers(key), files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413
    assert r.json()["error"] == {"code": "FILE_TOO_LARGE", "message": r.json()["error"]["message"],
                                 "details": {"limit_bytes": 10 * 1024 * 1024}}


def test_declared_oversize_body_is_refused_before_reading(
        client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    big = b"\0" * (11 * 1024 * 1024)
    r = client.post(URL, headers=headers(key), files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "FILE_TOO_LARGE"


def test_upload_needs_a_key(client: TestClient) -> None:
    r = client.post(URL, files={"file": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 401
