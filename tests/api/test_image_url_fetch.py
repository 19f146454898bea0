"""``product_image_url`` as an http(s) URL: fetched safely before the job exists, or 422."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.image_server import ImageServer, serve_images
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction, Job

JOBS = "/api/v1/jobs"


@pytest.fixture(scope="module")
def server() -> Iterator[ImageServer]:
    with serve_images(png_bytes()) as s:
        yield s


def _post(client: TestClient, key: str, url: str) -> Any:
    return client.post(JOBS, headers=headers(key), json={**SMALL_JOB, "product_image_url": url})


def _counts(settings: Settings, account_id: str) -> tuple[int, int]:
    with session_scope(settings) as s:
        jobs = s.scalar(select(func.count()).select_from(Job)
                        .where(Job.account_id == account_id))
        moves = s.scalar(select(func.count()).select_from(CreditTransaction)
                         .where(CreditTransaction.account_id == account_id,
                                CreditTransaction.type == "reserve"))
    return int(jobs or 0), int(moves or 0)


def _assert_422(r: Any, reason: str) -> None:
    assert r.status_code == 422, r.text
    (entry,) = r.json()["detail"]
    assert entry["loc"] == ["body", "product_image_url"]
    assert entry["ctx"] == {"reason": reason}
    assert entry["msg"].startswith("Value error, product_image_url ")


def test_create_job_fetches_image_url(settings: Settings, client: TestClient,
                                      account: tuple[str, str], server: ImageServer) -> None:
    account_id, key = account
    settings.allow_private_urls = True
    r = _post(client, key, server.url("/image"))
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["status"] == "queued" and job["credits_reserved"] > 0
    uploads = list((settings.artifacts_dir / "uploads" / account_id).iterdir())
    assert [p.read_bytes() for p in uploads] == [server.png]
    stored = settings.artifacts_dir / job["job_id"] / "input" / "product.png"
    assert stored.read_bytes() == server.png
    assert _counts(settings, account_id) == (1, 1)


def test_create_job_private_image_url_refused(settings: Settings, client: TestClient,
                                              account: tuple[str, str],
                                              server: ImageServer) -> None:
    account_id, key = account
    for host in ("127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]", "localhost"):
        _assert_422(_post(client, key, server.url("/image", host=host)), "private_address")
    _assert_422(_post(client, key, "http://169.254.169.254/latest/meta-data"),
                "private_address")
    assert _counts(settings, account_id) == (0, 0)
    bal = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    assert bal == {"credit_balance": 1000, "credit_reserved": 0, "available_credits": 1000}


@pytest.mark.parametrize(("path", "reason"), [
    ("/big", "too_large"), ("/big-declared", "too_large"), ("/text", "not_an_image"),
    ("/status/404", "http_status"), ("/loop", "too_many_redirects"),
    ("/redirect?to=file:///etc/passwd", "unsafe_url"),
])
def test_create_job_bad_image_url_refused(settings: Settings, client: TestClient,
                                          account: tuple[str, str], server: ImageServer,
                                          path: str, reason: str) -> None:
    account_id, key = account
    settings.allow_private_urls = True
    settings.max_image_bytes = 100_000
    _assert_422(_post(client, key, server.url(path)), reason)
    assert _counts(settings, account_id) == (0, 0)


def test_create_job_image_url_redirect_to_private_refused(
        settings: Settings, client: TestClient, account: tuple[str, str],
        server: ImageServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the loopback server is let through, as if it were public; its redirect is not.
    from ugen.service import uploads

    monkeypatch.setattr(uploads, "is_public_address", lambda addr: addr.is_loopback)
    _, key = account
    r = _post(client, key, server.url("/redirect?to=http://10.0.0.1/a.png"))
    _assert_422(r, "private_address")
    assert "10.0.0.1" in r.json()["detail"][0]["msg"]


def test_create_job_image_url_not_an_acceptable_image(settings: Settings, client: TestClient,
                                                      account: tuple[str, str],
                                                      server: ImageServer) -> None:
    _, key = account
    settings.allow_private_urls = True
    settings.min_image_side = 4096
    _assert_422(_post(client, key, server.url("/image")), "invalid_image")


@pytest.mark.parametrize("url", ["ftp://example.com/a.png", "file:///etc/passwd",
                                 "http://user:pw@example.com/a.png", "not a url"])
def test_create_job_image_url_bad_scheme_refused(client: TestClient, account: tuple[str, str],
                                                 url: str) -> None:
    _, key = account
    r = _post(client, key, url)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "product_image_url"]
