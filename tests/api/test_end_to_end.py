"""A job created over HTTP runs on an in-process worker and its video downloads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import SMALL_JOB, headers
from ugen.core.config import Settings
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline.worker import start_worker


def test_job_over_http_completes_and_downloads(settings: Settings, client: TestClient,
                                               account: tuple[str, str],
                                               create_job: Callable[..., Any]) -> None:
    _, key = account
    start_worker(settings)
    r = create_job(key)
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 300
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers(key)).json()
        if job["status"] in TERMINAL_STATUSES or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert job["status"] == "completed", job
    assert job["progress_percent"] == 100
    assert all(s["status"] == "completed" for s in job["stages"])
    assert all(s["duration_s"] is not None for s in job["stages"])
    assert job["credits_consumed"] > 0 and job["credits_reserved"] == 0
    assert job["final_video_url"].startswith(f"/api/v1/files/{job_id}/final.mp4?expires=")

    # The signed URL is the capability: no API key is sent.
    video = client.get(job["final_video_url"])
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert video.content == client.get(f"/api/v1/jobs/{job_id}/video",
                                       headers=headers(key)).content
    part = client.get(job["final_video_url"], headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"ftyp"
    thumb = client.get(job["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    bal = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    assert bal["credit_reserved"] == 0
    assert bal["credit_balance"] == 1000 - job["credits_consumed"]

    # Cost truth: what the providers billed, against the plan.
    usage = client.get(f"/api/v1/jobs/{job_id}/usage", headers=headers(key)).json()["usage"]
    seconds = SMALL_JOB["segment_count"] * SMALL_JOB["segment_duration"]
    assert usage["video"] == {"estimated_units": seconds, "units": seconds, "unit": "second",
                              "calls": SMALL_JOB["segment_count"], "providers": ["local"]}
    keyframes = SMALL_JOB["segment_count"] + 1
    assert usage["keyframe"]["units"] == usage["keyframe"]["estimated_units"] == keyframes
    # The persona's speech in each segment, converted to the selected voice.
    assert usage["voice_conversion"]["unit"] == "second"
    assert usage["voice_conversion"]["calls"] == SMALL_JOB["segment_count"]
    assert usage["voice_conversion"]["units"] > 0
    missing = client.get("/api/v1/jobs/no-such-job/usage", headers=headers(key))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "JOB_NOT_FOUND"
