"""Fixtures of the social tests: the YouTube fake on a loopback port, settings pointing at
it, an API client, an account with a completed job whose final video is a real MP4."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.providers.fakes.server import LoopbackServer
from tests.social.fakes.instagram import FakeInstagram
from tests.social.fakes.tiktok import FakeTikTok
from tests.social.fakes.youtube import FakeYouTube
from tests.utils.workers import Workers
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.store.api_keys import create_account
from ugen.store.artifacts import artifact_store
from ugen.store.db import session_scope
from ugen.store.models import Job

REDIRECT_BASE = "http://testserver"
CHUNK = 256 * 1024


def make_video(path: Path, *, size: str = "360x640", seconds: float = 3.0) -> Path:
    """A real H.264 MP4 of about 1 MB (lossless noise-free test pattern), so an upload
    takes several 256 KiB chunks."""
    argv = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc2=size={size}:rate=30:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", str(path)]
    subprocess.run(argv, check=True, timeout=120, capture_output=True)
    return path


@pytest.fixture
def fake_youtube(monkeypatch: pytest.MonkeyPatch,
                 settings: Settings) -> Iterator[FakeYouTube]:
    fake = FakeYouTube(redirect_uri=f"{REDIRECT_BASE}/api/v1/social/youtube/callback")
    with LoopbackServer(fake.app) as server:
        fake.base_url = server.url
        for name, value in {
            "UGEN_YOUTUBE_CLIENT_ID": fake.client_id,
            "UGEN_YOUTUBE_CLIENT_SECRET": fake.client_secret,
            "UGEN_YOUTUBE_AUTH_URL": f"{server.url}/o/oauth2/v2/auth",
            "UGEN_YOUTUBE_TOKEN_URL": f"{server.url}/token",
            "UGEN_YOUTUBE_REVOKE_URL": f"{server.url}/revoke",
            "UGEN_YOUTUBE_API_BASE_URL": server.url,
            "UGEN_SOCIAL_REDIRECT_BASE_URL": REDIRECT_BASE,
            "UGEN_SOCIAL_CHUNK_BYTES": str(CHUNK),
            "UGEN_SOCIAL_BACKOFF_S": "0.05",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def fake_tiktok(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[FakeTikTok]:
    """The TikTok fake on its own port; a test module that posts to TikTok asks for it in
    its ``social_settings``."""
    fake = FakeTikTok(redirect_uri=f"{REDIRECT_BASE}/api/v1/social/tiktok/callback")
    with LoopbackServer(fake.app) as server:
        fake.base_url = server.url
        for name, value in {
            "UGEN_TIKTOK_CLIENT_KEY": fake.client_key,
            "UGEN_TIKTOK_CLIENT_SECRET": fake.client_secret,
            "UGEN_TIKTOK_AUTH_URL": f"{server.url}/v2/auth/authorize/",
            "UGEN_TIKTOK_API_BASE_URL": server.url,
            "UGEN_TIKTOK_RATE_LIMIT_WAIT_S": "0.3",
            "UGEN_SOCIAL_POLL_INTERVAL_S": "0.05",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def fake_instagram(monkeypatch: pytest.MonkeyPatch,
                   settings: Settings) -> Iterator[FakeInstagram]:
    """The Instagram fake (Business Login and Graph hosts in one) on its own port."""
    fake = FakeInstagram(redirect_uri=f"{REDIRECT_BASE}/api/v1/social/instagram/callback")
    with LoopbackServer(fake.app) as server:
        fake.base_url = server.url
        for name, value in {
            "UGEN_INSTAGRAM_CLIENT_ID": fake.client_id,
            "UGEN_INSTAGRAM_CLIENT_SECRET": fake.client_secret,
            "UGEN_INSTAGRAM_AUTH_URL": f"{server.url}/oauth/authorize",
            "UGEN_INSTAGRAM_TOKEN_URL": f"{server.url}/oauth/access_token",
            "UGEN_INSTAGRAM_GRAPH_BASE_URL": server.url,
            "UGEN_INSTAGRAM_API_VERSION": fake.version,
            "UGEN_SOCIAL_POLL_INTERVAL_S": "0.05",
        }.items():
            monkeypatch.setenv(name, value)
        yield fake


@pytest.fixture
def social_settings(fake_youtube: FakeYouTube) -> Settings:
    return get_settings()


@pytest.fixture
def client(social_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(social_settings)) as c:
        yield c


@pytest.fixture
def make_account(social_settings: Settings) -> Callable[[], tuple[str, str]]:
    def make() -> tuple[str, str]:
        return create_account(social_settings, f"acct-{uuid.uuid4().hex[:8]}", 100)

    return make


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return make_video(tmp_path / "final.mp4")


def completed_job(settings: Settings, account_id: str, video: Path) -> str:
    """A job of ``account_id`` that completed with ``video`` as its final video."""
    job_id = str(uuid.uuid4())
    store = artifact_store(settings)
    key = store.put_file(store.key(job_id, "final.mp4"), video)
    with session_scope(settings) as s:
        s.add(Job(id=job_id, account_id=account_id, status="completed", params={},
                  estimate={}, final_video=str(key)))
    return job_id


def keyed(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def connect(client: TestClient, fake: FakeYouTube, key: str) -> dict[str, Any]:
    """The whole connect flow, as a browser and the platform would run it."""
    start = client.get("/api/v1/social/youtube/connect", headers=keyed(key))
    assert start.status_code == 200, start.text
    back = fake.callback_of(start.json()["authorization_url"])
    done = client.get("/api/v1/social/youtube/callback", params=back)
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


@pytest.fixture
def workers(social_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "UGEN_HEARTBEAT_INTERVAL_S": "0.5"}
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop_all()
