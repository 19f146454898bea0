"""A worker SIGKILLed while Instagram processes the container: the restarted worker (same
executor id) resumes at the status poll, publishes once, and never makes a second
container."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.providers.fakes.server import LoopbackServer
from tests.social.conftest import completed_job, keyed, make_video
from tests.social.fakes.instagram import FakeInstagram
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_instagram import POST, connect_instagram
from tests.social.test_posting import wait_post
from tests.utils.workers import Workers
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings


@pytest.fixture
def social_settings(fake_youtube: FakeYouTube, fake_instagram: FakeInstagram,
                    monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[Settings]:
    with LoopbackServer(create_app(get_settings())) as api:
        monkeypatch.setenv("UGEN_SOCIAL_MEDIA_BASE_URL", api.url)
        yield get_settings()


def test_kill_before_media_publish_resumes_without_second_post(
        client: TestClient, fake_instagram: FakeInstagram, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], tmp_path: Path,
        workers: Workers) -> None:
    account_id, key = make_account()
    connect_instagram(client, fake_instagram, key)
    job_id = completed_job(social_settings, account_id,
                           make_video(tmp_path / "reel.mp4", seconds=4.0))
    held = fake_instagram.hold_container()  # the status read waits once the video is in
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json=POST)
    assert r.status_code == 202, r.text
    workers.start("poster")
    deadline = time.monotonic() + 90
    while fake_instagram.container_status_reads == 0:
        assert time.monotonic() < deadline, "the worker never reached finish_step"
        time.sleep(0.05)
    assert len(fake_instagram.containers) == 1 and fake_instagram.media == {}
    workers.kill("poster")
    items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
    assert items[0]["status"] == "uploading"
    held.set()
    workers.start("poster")  # the same executor id recovers its own workflow
    post = wait_post(client, key, job_id, r.json()["id"], timeout=120)
    assert post["status"] == "published", post
    assert len(fake_instagram.containers) == 1 and len(fake_instagram.media) == 1
    assert post["platform_post_id"] == next(iter(fake_instagram.media))
    assert fake_instagram.container_status_reads >= 2
