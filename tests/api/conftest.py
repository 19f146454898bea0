"""Fixtures of the HTTP API tests: an app on the test's database, accounts with keys."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.utils.images import product_png
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account

SMALL_JOB = {"product_name": "Glow Serum", "video_model": "kling3_std",
             "segment_duration": 3, "segment_count": 1}


def png_bytes(size: tuple[int, int] = (512, 512)) -> bytes:
    """The pipeline tests' product PNG, as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        return product_png(Path(tmp) / "p.png", size=size).read_bytes()


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def make_account(settings: Settings) -> Callable[..., tuple[str, str]]:
    counter = iter(range(1000))

    def make(credits: int = 1000) -> tuple[str, str]:
        return create_account(settings, f"acct-{next(counter)}", credits)

    return make


@pytest.fixture
def account(make_account: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    """(account_id, api_key) with 1000 credits."""
    return make_account()


@pytest.fixture
def upload(client: TestClient) -> Callable[[str], str]:
    """Upload a product PNG with a key; return its ``url``."""

    def do(key: str) -> str:
        r = client.post("/api/v1/uploads/product-image", headers=headers(key),
                        files={"file": ("photo.png", png_bytes(), "image/png")})
        assert r.status_code == 201, r.text
        url: str = r.json()["url"]
        return url

    return do


@pytest.fixture
def create_job(client: TestClient, upload: Callable[[str], str]) -> Callable[..., Any]:
    """POST /jobs with the small job's body (plus ``fields``); return the response."""

    def do(key: str, **fields: Any) -> Any:
        body = {**SMALL_JOB, "product_image_url": upload(key), **fields}
        return client.post("/api/v1/jobs", headers=headers(key), json=body)

    return do
