"""Posting a completed job's video to YouTube: a durable workflow against the fake."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.social.conftest import completed_job, connect, keyed, make_video
from tests.social.fakes.youtube import FakeYouTube
from ugen.core.config import Settings
from ugen.pipeline import runtime
from ugen.store.db import session_scope
from ugen.store.models import WebhookDelivery
from ugen.webhooks import store as webhook_store

POST = {"platform": "youtube", "title": "Glow Serum in 15 seconds",
        "description": "Morning routine.", "hashtags": ["#skincare", "glow"]}


@pytest.fixture(autouse=True)
def worker(social_settings: Settings) -> Iterator[None]:
    runtime.start(social_settings, role="worker")
    yield
    runtime.stop()


def wait_post(client: TestClient, key: str, job_id: str, post_id: str,
              timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
        post: dict[str, Any] = next(p for p in items if p["id"] == post_id)
        if post["status"] in ("published", "failed"):
            return post
        time.sleep(0.1)
    raise TimeoutError(f"post {post_id} did not end")


def webhook_of(settings: Settings, job_id: str, timeout: float = 30) -> WebhookDelivery:
    """The first attempt of the webhook recorded about ``job_id`` (once the workflow got
    there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(settings) as s:
            row = s.scalars(select(WebhookDelivery).where(WebhookDelivery.job_id == job_id,
                                                          WebhookDelivery.attempt == 1)).first()
            if row is not None:
                s.expunge(row)
                return row
        time.sleep(0.1)
    raise TimeoutError("no webhook recorded")


@pytest.fixture
def ready(client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
          make_account: Callable[[], tuple[str, str]], video: Path) -> tuple[str, str, str]:
    """(account id, key, job id): YouTube connected, the job completed."""
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    return account_id, key, completed_job(social_settings, account_id, video)


def test_post_published_with_youtube_id_and_url(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        ready: tuple[str, str, str], video: Path) -> None:
    account_id, key, job_id = ready
    with session_scope(social_settings) as s:
        webhook_store.set_config(s, social_settings, account_id, "https://hooks.example/u",
                                 "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=")
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "published", post
    video_id = post["platform_post_id"]
    assert post["url"] == f"https://www.youtube.com/shorts/{video_id}"  # 9:16, 3 s
    assert "short" in post["notices"] and "privacy:private" in post["notices"]
    uploaded = fake_youtube.videos[video_id]
    assert uploaded["status"]["containsSyntheticMedia"] is True
    assert uploaded["status"]["privacyStatus"] == "private"
    assert uploaded["snippet"]["title"] == POST["title"]
    assert uploaded["snippet"]["tags"] == ["skincare", "glow"]
    session = next(iter(fake_youtube.sessions.values()))
    assert bytes(session.data) == video.read_bytes()
    assert len(fake_youtube.chunk_puts) == -(-video.stat().st_size // (256 * 1024))
    sent = webhook_of(social_settings, job_id)
    assert sent.event == "post.published"
    assert sent.payload["url"] == post["url"] and sent.payload["post_id"] == post["id"]


def test_transient_5xx_mid_upload_resumes_without_restarting(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str],
        video: Path) -> None:
    _, key, job_id = ready
    fake_youtube.inject("chunk", 503, "backendError", after=3, times=2)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "published", post
    assert len(fake_youtube.sessions) == 1 and len(fake_youtube.videos) == 1
    starts = [start for _, start, _ in fake_youtube.chunk_puts]
    assert starts == sorted(set(starts))  # every byte sent once, in order: resumed
    assert bytes(next(iter(fake_youtube.sessions.values())).data) == video.read_bytes()


def test_rate_limited_insert_is_retried(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_youtube.inject("insert", 403, "rateLimitExceeded", times=2,
                        headers={"Retry-After": "0"})
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert wait_post(client, key, job_id, r.json()["id"])["status"] == "published"
    assert len(fake_youtube.sessions) == 1


def test_quota_exceeded_fails_with_the_reason(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_youtube.daily_quota = 50
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "failed"
    assert post["error_code"] == "QUOTA_EXCEEDED"
    assert "quotaExceeded" in post["error_message"]
    assert fake_youtube.sessions == {}


def test_revoked_connection_fails_the_post_clearly(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_youtube.revoke_all()  # the user removed U-Gen's access in their Google account
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "failed"
    assert post["error_code"] == "CONNECTION_REVOKED"
    assert "reconnect" in post["error_message"]
    connection = client.get("/api/v1/social", headers=keyed(key)).json()["items"][0]
    assert connection["status"] == "revoked"
    again = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert wait_post(client, key, job_id, again.json()["id"])["error_code"] == \
        "CONNECTION_REVOKED"
    assert fake_youtube.sessions == {}


def test_idempotency_key_gives_one_post(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    headers = {**keyed(key), "Idempotency-Key": "launch-day-1"}
    first = client.post(f"/api/v1/jobs/{job_id}/posts", headers=headers, json=POST)
    second = client.post(f"/api/v1/jobs/{job_id}/posts", headers=headers, json=POST)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert wait_post(client, key, job_id, first.json()["id"])["status"] == "published"
    other = client.post(f"/api/v1/jobs/{job_id}/posts", headers=headers,
                        json={**POST, "title": "Another title"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(fake_youtube.sessions) == 1 and len(fake_youtube.videos) == 1
    items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
    assert len(items) == 1


def test_another_accounts_job_is_not_found(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str],
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, _, job_id = ready
    _, other = make_account()
    connect(client, fake_youtube, other)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(other), json=POST)
    assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"
    assert client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(other)).status_code == 404


def test_post_needs_a_connection(
        client: TestClient, social_settings: Settings, video: Path,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    job_id = completed_job(social_settings, account_id, video)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert r.status_code == 409 and r.json()["error"]["code"] == "NOT_CONNECTED"


def test_video_outside_youtube_limits_fails_before_upload(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], tmp_path: Path) -> None:
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    short = make_video(tmp_path / "blink.mp4", seconds=0.5)
    job_id = completed_job(social_settings, account_id, short)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "failed" and post["error_code"] == "VIDEO_SPEC"
    assert "0.5 s is outside 1–900 s" in post["error_message"]
    assert fake_youtube.sessions == {}
