"""A worker SIGKILLed after the TikTok upload, while it waits for publication: the restarted
worker (same executor id) resumes at the status poll and never inits or uploads again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.social.conftest import completed_job, keyed
from tests.social.fakes.tiktok import FakeTikTok
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_posting import wait_post
from tests.social.test_tiktok import POST, connect_tiktok
from tests.utils.workers import Workers
from ugen.core.config import Settings, get_settings


@pytest.fixture
def social_settings(fake_youtube: FakeYouTube, fake_tiktok: FakeTikTok) -> Settings:
    return get_settings()


def test_kill_between_upload_and_publish_resumes_without_second_post(
        client: TestClient, fake_tiktok: FakeTikTok, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], video: Path, workers: Workers) -> None:
    account_id, key = make_account()
    connect_tiktok(client, fake_tiktok, key)
    job_id = completed_job(social_settings, account_id, video)
    held = fake_tiktok.hold_publish()  # status/fetch waits once every byte is in
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert r.status_code == 202, r.text
    workers.start("poster")
    deadline = time.monotonic() + 90
    while fake_tiktok.final_status_requests == 0:
        assert time.monotonic() < deadline, "the worker never reached finish_step"
        time.sleep(0.05)
    assert len(fake_tiktok.publishes) == 1 and fake_tiktok.published == []
    workers.kill("poster")
    items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
    assert items[0]["status"] == "uploading"
    held.set()
    chunks = list(fake_tiktok.chunk_puts)
    workers.start("poster")  # the same executor id recovers its own workflow
    post = wait_post(client, key, job_id, r.json()["id"], timeout=120)
    assert post["status"] == "published", post
    assert len(fake_tiktok.publishes) == 1 and len(fake_tiktok.published) == 1
    assert post["platform_post_id"] == next(iter(fake_tiktok.publishes))
    assert fake_tiktok.chunk_puts == chunks  # not one byte sent again
    assert fake_tiktok.final_status_requests >= 2
