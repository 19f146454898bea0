"""A worker SIGKILLed between the upload and the post's completion: the restarted worker
(same executor id) resumes the post from its checkpoint and never uploads again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.social.conftest import completed_job, connect, keyed
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_posting import POST, wait_post
from tests.utils.workers import Workers
from ugen.core.config import Settings


def test_kill_between_upload_and_publish_resumes_without_second_upload(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], video: Path, workers: Workers) -> None:
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    job_id = completed_job(social_settings, account_id, video)
    held = fake_youtube.hold_status()  # videos.list waits: the worker sits in finish_step
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert r.status_code == 202, r.text
    workers.start("poster")
    deadline = time.monotonic() + 90
    while fake_youtube.status_requests == 0:
        assert time.monotonic() < deadline, "the worker never reached finish_step"
        time.sleep(0.05)
    assert len(fake_youtube.videos) == 1  # uploaded, not yet recorded as published
    workers.kill("poster")
    items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
    assert items[0]["status"] == "uploading"
    held.set()
    chunks = list(fake_youtube.chunk_puts)
    workers.start("poster")  # the same executor id recovers its own workflow
    post = wait_post(client, key, job_id, r.json()["id"], timeout=120)
    assert post["status"] == "published", post
    assert post["platform_post_id"] == next(iter(fake_youtube.videos))
    assert len(fake_youtube.sessions) == 1 and len(fake_youtube.videos) == 1
    assert fake_youtube.chunk_puts == chunks  # not one byte sent again
    assert fake_youtube.status_requests == 2
