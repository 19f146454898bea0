"""Workers on separate machines: an API process, a general worker and a media worker, each
with a data dir of its own (no shared disk), on one PostgreSQL database and one S3 bucket.

A job submitted over HTTP runs its generation on the general worker and its FFmpeg stages on
the media worker. The general worker is SIGKILLed once the segments are at the vendor and
its disk goes with it; a new general worker (another executor id, on an empty disk)
recovers the job, which completes with every keyframe and segment paid for once.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from dbos import DBOSClient
from sqlalchemy import select

from benchmarks._ports import free_port
from tests.api.conftest import png_bytes
from tests.utils.workers import Workers
from ugen.core.config import Settings
from ugen.core.types import STAGES, TERMINAL_STATUSES
from ugen.media.probe import probe
from ugen.pipeline.runtime import dbos_url
from ugen.pipeline.workflow import workflow_id_for
from ugen.store.api_keys import create_account
from ugen.store.artifacts import artifact_store
from ugen.store.db import session_scope
from ugen.store.models import JobEvent, JobStage, ProviderCall

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GENERAL_QUEUES = ["jobs", "image", "video", "webhooks"]
SEGMENTS = 2
JOB = {"product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3,
       "segment_count": SEGMENTS, "aspect_ratio": "1:1", "music_enabled": False,
       "qai_mode": "lenient"}


def _machine(root: Path, name: str) -> dict[str, str]:
    """The environment that gives a process a disk of its own."""
    return {"UGEN_DATA_DIR": str(root / name)}


def _events(settings: Settings, job_id: str, kind: str) -> list[JobEvent]:
    with session_scope(settings) as s:
        return list(s.scalars(select(JobEvent).where(JobEvent.job_id == job_id,
                                                     JobEvent.type == kind)).all())


def _wait_for(machines: Workers, what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        machines.check_running()
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout} s")
        time.sleep(0.1)


def _job(api: httpx.Client, job_id: str) -> dict[str, Any]:
    r = api.get(f"/api/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _placement(settings: Settings, job_id: str) -> tuple[str | None, set[tuple[str, str]]]:
    """The executor of the job's workflow, and (child workflow, executor) of its children
    (media stages named by their stage)."""
    client = DBOSClient(system_database_url=dbos_url(settings))
    try:
        parent_id = workflow_id_for(job_id, 1)
        parent = client.list_workflows(workflow_ids=[parent_id])[0]
        children = client.list_workflows(parent_workflow_id=parent_id)
    finally:
        client.destroy()
    where = set()
    for wf in children:
        name = (wf.name or "").rsplit(".", 1)[-1]
        if name == "media_stage_workflow":
            name = f"media:{wf.input['args'][2]}" if wf.input else name
        where.add((name, wf.executor_id or ""))
    return parent.executor_id, where


def test_job_completes_across_machines_when_general_worker_is_killed(
        shared_settings: Settings, machines: Workers, tmp_path: Path) -> None:
    settings = shared_settings
    disks = tmp_path / "machines"
    base = machines.serve("api", port=free_port(), env=_machine(disks, "api"))
    machines.start("media-1", queues=["media"], env=_machine(disks, "media-1"))
    machines.start("general-1", queues=GENERAL_QUEUES, env=_machine(disks, "general-1"))
    _, key = create_account(settings, "scaleout", 1000)
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as api:
        job_id = _run_job(api, settings, machines, disks, tmp_path)

    # Each stage ran where it belongs: the job (agents ... captions) and its keyframes and
    # segments on the general workers, the FFmpeg stages on the media worker.
    parent, children = _placement(settings, job_id)
    assert parent == "general-2"  # recovered by the live worker from general-1
    assert children == {("keyframe_workflow", "general-1"), ("segment_workflow", "general-2"),
                        ("media:concat", "media-1"), ("media:audio", "media-1"),
                        ("media:complete", "media-1")}


def _run_job(api: httpx.Client, settings: Settings, machines: Workers, disks: Path,
             tmp_path: Path) -> str:
    """Submit the job over HTTP, kill and replace the general worker, check the outcome;
    return the job's id."""
    r = api.post("/api/v1/uploads/product-image",
                 files={"file": ("photo.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/jobs", json={**JOB, "product_image_url": r.json()["url"]})
    assert r.status_code == 201, r.text
    job_id: str = r.json()["job_id"]

    # Kill the general worker once every segment is at the vendor and none is back yet.
    _wait_for(machines, "segment submissions",
              lambda: len(_events(settings, job_id, "segment_submitted")) == SEGMENTS,
              timeout=90)
    machines.kill("general-1")
    assert not _events(settings, job_id, "segment_rendered")
    assert _job(api, job_id)["current_stage"] == "generation"
    shutil.rmtree(disks / "general-1")  # the machine is gone, its disk with it
    machines.start("general-2", queues=GENERAL_QUEUES, env=_machine(disks, "general-2"))

    _wait_for(machines, "end of the job",
              lambda: _job(api, job_id)["status"] in TERMINAL_STATUSES, timeout=150)
    job = _job(api, job_id)
    assert job["status"] == "completed", job
    assert [s["status"] for s in job["stages"]] == ["completed"] * len(STAGES)

    # Paid once: one provider call per keyframe and segment, and each segment came back
    # from the task submitted before the kill (a second submission is a new task).
    with session_scope(settings) as s:
        calls = s.scalars(select(ProviderCall).where(
            ProviderCall.job_id == job_id,
            ProviderCall.capability.in_(["keyframe", "video"]))).all()
    items = sorted(f"{c.capability}:{c.item}" for c in calls)
    assert items == ["keyframe:kf_00", "keyframe:kf_01", "keyframe:kf_02",
                     "video:seg_00", "video:seg_01"]
    tasks = {c.item: c.request_id for c in calls if c.capability == "video"}
    rendered = {f"seg_{e.data['index']:02d}": e.data["task_id"]
                for e in _events(settings, job_id, "segment_rendered")}
    assert rendered == tasks

    # No shared disk: every artifact is in the bucket, none in a machine's artifacts dir;
    # the media worker read the segments it joined from the bucket into its own cache.
    store = artifact_store(settings)
    keys = {o.key for o in store.iter_keys(f"{job_id}/")}
    assert {f"{job_id}/final.mp4", f"{job_id}/poster.jpg"} <= keys
    for disk in disks.iterdir():
        assert not any((disk / "artifacts").rglob("*")), disk.name
    media_cache = disks / "media-1" / "cache" / "artifacts" / job_id
    assert {p.name for p in (media_cache / "segments").glob("*.mp4")} == {
        Path(k).name for k in keys if k.startswith(f"{job_id}/segments/")
        and k.endswith(".mp4")}

    with session_scope(settings) as s:
        records = [r.outputs for r in s.scalars(select(JobStage).where(
            JobStage.job_id == job_id))]
        records += [e.data for e in s.scalars(select(JobEvent).where(
            JobEvent.job_id == job_id))]
    assert str(disks) not in json.dumps(records, default=str)  # keys, never a machine's path

    # The video downloads from the API's presigned URL of the bucket, and through the API.
    url = job["final_video_url"]
    assert url.startswith(f"{settings.s3_endpoint_url}/") and "X-Amz-Signature=" in url
    video = httpx.get(url, timeout=30)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    moved = api.get(f"/api/v1/jobs/{job_id}/video")
    assert moved.status_code == 307
    assert httpx.get(moved.headers["location"], timeout=30).content == video.content
    (tmp_path / "final.mp4").write_bytes(video.content)
    info = probe(tmp_path / "final.mp4")
    assert info.video is not None and info.audio is not None
    assert SEGMENTS * 3 - 1.0 < info.duration <= SEGMENTS * 3 + 0.1
    return job_id
