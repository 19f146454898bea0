"""``auto_post`` on a job, YouTube's expired and interrupted upload sessions, and the
``post.failed`` webhook as a receiver sees it (signed like a job's webhook)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import png_bytes
from tests.social.conftest import completed_job, connect, keyed
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_posting import POST, wait_post
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.core.schemas import JobOptions
from ugen.pipeline import posting, runtime
from ugen.pipeline.prepare import JobValidationError
from ugen.service.jobs import check_auto_post
from ugen.store.db import session_scope
from ugen.store.models import Job, SocialPost
from ugen.webhooks import store as webhook_store
from ugen.webhooks.signing import ugen_signature

AUTO = {"platform": "youtube", "caption": "Glow Serum, hands free",
        "hashtags": ["skincare"], "privacy": "unlisted"}


@pytest.fixture(autouse=True)
def worker(social_settings: Settings) -> Iterator[None]:
    runtime.start(social_settings, role="worker")
    yield
    runtime.stop()


@pytest.fixture
def ready(client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
          make_account: Callable[[], tuple[str, str]], video: Path) -> tuple[str, str, str]:
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    return account_id, key, completed_job(social_settings, account_id, video)


def _with_auto_post(settings: Settings, job_id: str, entries: list[dict[str, Any]]) -> None:
    options = JobOptions.model_validate({"product_name": "Glow Serum", "auto_post": entries})
    with session_scope(settings) as s:
        job = s.get(Job, job_id)
        assert job is not None
        job.params = options.model_dump(mode="json")


# --- auto_post ---------------------------------------------------------------------------


def test_auto_post_entries_are_validated() -> None:
    base = {"product_name": "Glow Serum"}
    ok = JobOptions.model_validate({**base, "auto_post": [AUTO]})
    assert ok.auto_post[0].title == AUTO["caption"] and ok.auto_post[0].privacy == "unlisted"
    for bad, field in (
            ([{**AUTO, "platform": "myspace"}], "platform"),
            ([AUTO, AUTO], "more than once"),
            ([{**AUTO, "caption": ""}], "caption"),
            ([{**AUTO, "hashtags": ["two words"]}], "hashtags"),
            ([{**AUTO, "surprise": 1}], "surprise"),
            ([{**AUTO, "platform": p} for p in ("youtube", "tiktok", "instagram", "youtube")],
             "at most 3")):
        with pytest.raises(ValueError, match=field):
            JobOptions.model_validate({**base, "auto_post": bad})


def test_create_job_refuses_an_unconnected_platform(
        client: TestClient, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    options = JobOptions.model_validate({"product_name": "Glow Serum", "auto_post": [AUTO]})
    with pytest.raises(JobValidationError, match="youtube is not connected"):
        check_auto_post(social_settings, account_id, options)
    image = client.post("/api/v1/uploads/product-image", headers=keyed(key),
                        files={"file": ("photo.png", png_bytes(), "image/png")})
    assert image.status_code == 201, image.text
    r = client.post("/api/v1/jobs", headers=keyed(key), json={
        "product_name": "Glow Serum", "product_image_url": image.json()["url"],
        "auto_post": [AUTO]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "auto_post"]
    assert "youtube is not connected" in detail["msg"]
    with session_scope(social_settings) as s:  # nothing was created or reserved
        assert s.scalars(select(Job).where(Job.account_id == account_id)).first() is None
    tiktok = JobOptions.model_validate({"product_name": "Glow Serum",
                                        "auto_post": [{**AUTO, "platform": "tiktok"}]})
    with pytest.raises(JobValidationError, match="TikTok is not configured"):
        check_auto_post(social_settings, account_id, tiktok)


def test_auto_post_once_per_platform_however_often_the_end_runs(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        ready: tuple[str, str, str]) -> None:
    account_id, key, job_id = ready
    _with_auto_post(social_settings, job_id, [AUTO])
    check_auto_post(social_settings, account_id,
                    JobOptions.model_validate({"product_name": "x", "auto_post": [AUTO]}))
    first = posting.auto_post_step(job_id, 1)
    for post_id in first:
        posting.start_post(post_id)
    again = posting.auto_post_step(job_id, 2)  # a retried complete stage: run 2
    for post_id in again:
        posting.start_post(post_id)
    assert first == again and len(first) == 1
    post = wait_post(client, key, job_id, first[0])
    assert post["status"] == "published", post
    assert post["title"] == AUTO["caption"] and post["privacy"] == "unlisted"
    _with_auto_post(social_settings, job_id, [{**AUTO, "caption": "Changed on retry"}])
    assert posting.auto_post_step(job_id, 3) == first  # the first post stands
    assert len(fake_youtube.videos) == 1
    with session_scope(social_settings) as s:
        rows = s.scalars(select(SocialPost).where(SocialPost.job_id == job_id)).all()
        assert [r.idempotency_key for r in rows] == [f"auto_post:{job_id}:youtube"]


def test_job_without_auto_post_makes_no_posts(
        social_settings: Settings, ready: tuple[str, str, str]) -> None:
    _, _, job_id = ready
    _with_auto_post(social_settings, job_id, [])
    assert posting.auto_post_step(job_id, 1) == ()


# --- YouTube sessions ----------------------------------------------------------------------


def test_expired_session_opens_a_new_one_without_a_duplicate_video(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str],
        video: Path) -> None:
    _, key, job_id = ready
    fake_youtube.expire_after_chunks(2)  # the session URI 404s after two chunks
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "published", post
    assert fake_youtube.sessions_started == 2
    assert len(fake_youtube.videos) == 1
    (session,) = fake_youtube.sessions.values()
    assert bytes(session.data) == video.read_bytes()
    assert post["platform_post_id"] == session.video_id


def test_session_gone_every_time_fails_after_bounded_restarts(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_youtube.expire_after_chunks(1, every_session=True)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "failed" and post["error_code"] == "UPLOAD_SESSION_EXPIRED"
    assert fake_youtube.sessions_started == posting.SESSION_RESTARTS + 1
    assert fake_youtube.videos == {}


def test_5xx_mid_chunk_resumes_from_what_the_status_query_reports(
        client: TestClient, fake_youtube: FakeYouTube, ready: tuple[str, str, str],
        video: Path) -> None:
    _, key, job_id = ready
    fake_youtube.keep_on_fault = 100_000  # part of the failed chunk did arrive
    fake_youtube.inject("chunk", 503, "backendError", after=1)
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "published", post
    assert fake_youtube.refused_unqueried == 0 and fake_youtube.sessions_started == 1
    (session,) = fake_youtube.sessions.values()
    assert bytes(session.data) == video.read_bytes()
    starts = [start for _, start, _ in fake_youtube.chunk_puts]
    assert 256 * 1024 + 100_000 in starts  # resumed exactly where the session said


# --- post.failed webhook -----------------------------------------------------------------


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                outer.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def test_post_failed_webhook_is_signed_like_job_webhooks(
        fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], video: Path, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_ALLOW_PRIVATE_URLS", "1")  # the loopback receiver
    settings = get_settings()
    secret = f"whsec-{uuid.uuid4().hex}"
    with TestClient(create_app(settings)) as client:
        account_id, key = make_account()
        connect(client, fake_youtube, key)
        job_id = completed_job(settings, account_id, video)
        with session_scope(settings) as s:
            webhook_store.set_config(s, settings, account_id, receiver.url, secret)
        fake_youtube.inject("insert", 403, "forbidden")  # permanent: not retried
        r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
        post = wait_post(client, key, job_id, r.json()["id"])
    assert post["status"] == "failed" and post["error_code"] == "PLATFORM_REJECTED"
    assert "forbidden" in post["error_message"]
    assert receiver.arrived.wait(30), "no webhook arrived"
    headers, body = receiver.received[0]
    ts = headers["x-ugen-timestamp"]
    assert headers["x-ugen-signature"] == ugen_signature(secret, int(ts), body)
    assert headers["webhook-signature"].startswith("v1,")
    payload = json.loads(body)
    assert payload["event"] == "post.failed" and payload["post_id"] == post["id"]
    assert payload["job_id"] == job_id and payload["platform"] == "youtube"
    assert payload["error_code"] == "PLATFORM_REJECTED" and payload["url"] is None
    time.sleep(0.3)
    assert len(receiver.received) == 1  # delivered once

