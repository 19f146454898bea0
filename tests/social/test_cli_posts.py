"""``ugen post`` and ``ugen posts`` against the YouTube fake."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.social.conftest import completed_job, connect
from tests.social.fakes.youtube import FakeYouTube
from ugen.cli import app
from ugen.core.config import Settings
from ugen.pipeline import runtime

runner = CliRunner()


@pytest.fixture(autouse=True)
def worker(social_settings: Settings) -> Iterator[None]:
    runtime.start(social_settings, role="worker")
    yield
    runtime.stop()


def _posts(job_id: str) -> list[dict[str, Any]]:
    listed = runner.invoke(app, ["posts", job_id, "--json"])
    assert listed.exit_code == 0, listed.output
    items: list[dict[str, Any]] = json.loads(listed.stdout)
    return items


def test_post_and_list_from_the_command_line(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], video: Path) -> None:
    account_id, key = make_account()
    job_id = completed_job(social_settings, account_id, video)
    refused = runner.invoke(app, ["post", job_id, "--platform", "youtube",
                                  "--caption", "Glow"])
    assert refused.exit_code == 1 and "no youtube connection" in refused.output
    assert _posts(job_id) == []
    empty = runner.invoke(app, ["posts", job_id])
    assert empty.exit_code == 0 and "has no posts yet" in empty.output

    connect(client, fake_youtube, key)
    r = runner.invoke(app, ["post", job_id, "--platform", "youtube", "--caption",
                            "Glow Serum in 15 seconds", "--hashtags", "skincare, glow",
                            "--privacy", "unlisted", "--json"])
    assert r.exit_code == 0, r.output
    made = json.loads(r.stdout)
    assert made["status"] == "queued" and made["platform"] == "youtube"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        (item,) = _posts(job_id)
        if item["status"] in ("published", "failed"):
            break
        time.sleep(0.1)
    assert item["status"] == "published", item
    assert item["url"] == f"https://www.youtube.com/shorts/{item['platform_post_id']}"
    uploaded = fake_youtube.videos[item["platform_post_id"]]
    assert uploaded["snippet"]["tags"] == ["skincare", "glow"]
    assert uploaded["status"]["privacyStatus"] == "unlisted"
    table = runner.invoke(app, ["posts", job_id])
    assert table.exit_code == 0 and "published" in table.output and made["id"] in table.output


def test_bad_post_arguments(social_settings: Settings, fake_youtube: FakeYouTube) -> None:
    bad = runner.invoke(app, ["post", "some-job", "--platform", "myspace", "--caption", "x"])
    assert bad.exit_code == 2 and "invalid platform" in bad.output
    tags = runner.invoke(app, ["post", "some-job", "--platform", "youtube", "--caption", "x",
                               "--hashtags", "two words"])
    assert tags.exit_code == 2 and "invalid hashtags" in tags.output
    missing = runner.invoke(app, ["post", "no-such-job", "--platform", "youtube",
                                  "--caption", "x"])
    assert missing.exit_code == 1 and "no job no-such-job" in missing.output
    assert runner.invoke(app, ["posts", "no-such-job"]).exit_code == 1
