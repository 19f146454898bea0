"""A real (local, offline) job with ``auto_post``: its workflow's end posts the video once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import png_bytes
from tests.social.conftest import connect, keyed
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_auto_post import AUTO
from tests.social.test_posting import wait_post
from ugen.core.config import Settings
from ugen.pipeline import posting, runtime

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def worker(social_settings: Settings) -> Iterator[None]:
    runtime.start(social_settings, role="worker")
    yield
    runtime.stop()


def _wait_job(client: TestClient, key: str, job_id: str, run: int = 1) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=keyed(key)).json()
        if job["status"] in ("completed", "failed", "cancelled") and \
                job.get("run_number", run) >= run:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not end")


def test_job_with_auto_post_posts_once_at_its_end(
        client: TestClient, fake_youtube: FakeYouTube,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    connect(client, fake_youtube, key)
    image = client.post("/api/v1/uploads/product-image", headers=keyed(key),
                        files={"file": ("photo.png", png_bytes(), "image/png")})
    r = client.post("/api/v1/jobs", headers=keyed(key), json={
        "product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3,
        "segment_count": 1, "music_enabled": False, "aspect_ratio": "9:16",
        "product_image_url": image.json()["url"], "auto_post": [AUTO]})
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    assert _wait_job(client, key, job_id)["status"] == "completed"
    deadline = time.monotonic() + 60
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not items:
        items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
        time.sleep(0.1)
    assert len(items) == 1
    post = wait_post(client, key, job_id, items[0]["id"])
    assert post["status"] == "published" and post["title"] == AUTO["caption"]
    # The end of the job run again (a recovered workflow replaying its last step): the
    # same post, the same post workflow.
    again = posting.auto_post_step(job_id, 1)
    assert again == (post["id"],)
    posting.start_post(again[0])
    time.sleep(0.5)
    items = client.get(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key)).json()["items"]
    assert [p["id"] for p in items] == [post["id"]]
    assert len(fake_youtube.videos) == 1 and fake_youtube.sessions_started == 1
