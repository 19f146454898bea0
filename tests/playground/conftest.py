"""Fixtures of the Playground tests: a worker in this process, the API, accounts with keys."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.utils.images import product_png
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.pipeline import runtime
from ugen.store.api_keys import create_account


def keyed(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def worker(settings: Settings) -> Iterator[None]:
    runtime.start(settings, role="worker")
    yield
    runtime.stop()


@pytest.fixture
def api_client(settings: Settings) -> Iterator[TestClient]:
    """The API alone: requests that queue a task start DBOS as a client (nothing runs)."""
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def client(worker: None, api_client: TestClient) -> TestClient:
    """The API with a worker in this process."""
    return api_client


@pytest.fixture
def make_account(settings: Settings) -> Callable[..., tuple[str, str]]:
    counter = iter(range(1000))

    def make(credits: int = 1000) -> tuple[str, str]:
        return create_account(settings, f"pg-{next(counter)}", credits)

    return make


@pytest.fixture
def upload(client: TestClient) -> Callable[..., str]:
    """Upload a PNG with a key; return its upload id."""

    def do(key: str, size: tuple[int, int] = (512, 512)) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            data = product_png(Path(tmp) / "p.png", size=size).read_bytes()
        r = client.post("/api/v1/uploads/product-image", headers=keyed(key),
                        files={"file": ("frame.png", data, "image/png")})
        assert r.status_code == 201, r.text
        upload_id: str = r.json()["upload_id"]
        return upload_id

    return do


def wait_task(client: TestClient, key: str, task_id: str,
              timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/models/tasks/{task_id}", headers=keyed(key))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.1)
    raise TimeoutError(f"task {task_id} did not end")


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,width,height:format=duration", "-of", "json", str(path)],
        check=True, capture_output=True, text=True, timeout=30).stdout
    data: dict[str, Any] = json.loads(out)
    return data
