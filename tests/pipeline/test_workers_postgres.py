"""Queue limits hold across worker processes: two workers on PostgreSQL, two jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbos import DBOS
from sqlalchemy import select

from tests.pipeline.test_generation_schedule import _most_at_once
from tests.utils.jobs import submit, wait
from tests.utils.workers import Workers
from ugen.core.config import Settings
from ugen.pipeline.workflow import workflow_id_for
from ugen.store.db import session_scope
from ugen.store.models import JobEvent


@pytest.mark.postgres
def test_global_limits_hold_across_two_workers(
    postgres_settings: Settings, product_image: Path, workers: Workers
) -> None:
    workers.env.update({"UGEN_IMAGE_GLOBAL_CONCURRENCY": "1",
                        "UGEN_VIDEO_GLOBAL_CONCURRENCY": "2",
                        "UGEN_SIMULATED_SEGMENT_S": "1.5"})
    workers.start("w1")
    workers.start("w2")
    jobs = [submit(postgres_settings, product_image, segment_count=3, aspect_ratio="1:1",
                   stop_at_stage="generation") for _ in range(2)]
    for job_id in jobs:
        view = wait(postgres_settings, job_id, timeout=300)
        assert view["status"] == "stopped", view["error_message"]
    with session_scope(postgres_settings) as s:
        rows = s.scalars(select(JobEvent).where(JobEvent.job_id.in_(jobs))).all()
    at = {(e.job_id, e.type, e.data.get("index")): e.created_at for e in rows}
    keyframes = [(at[(j, "keyframe_started", i)], at[(j, "keyframe_completed", i)])
                 for j in jobs for i in range(1, 4)]
    segments = [(at[(j, "segment_submitted", i)], at[(j, "segment_rendered", i)])
                for j in jobs for i in range(3)]
    assert _most_at_once(keyframes) == 1
    assert _most_at_once(segments) <= 2
    executors = {wf.executor_id for j in jobs
                 for wf in DBOS.list_workflows(parent_workflow_id=workflow_id_for(j, 1))}
    assert executors == {"w1", "w2"}  # both workers took work, within the shared limits


@pytest.mark.postgres
def test_media_worker_takes_ffmpeg_stages(
    postgres_settings: Settings, product_image: Path, workers: Workers
) -> None:
    workers.start("media-1", queues=["media"])
    workers.start("general-1", queues=["jobs", "image", "video"])
    job_id = submit(postgres_settings, product_image, segment_count=1, aspect_ratio="1:1",
                    music_enabled=False)
    view = wait(postgres_settings, job_id, timeout=300)
    assert view["status"] == "completed", view["error_message"]
    children = DBOS.list_workflows(parent_workflow_id=workflow_id_for(job_id, 1))
    where = {(wf.name.rsplit(".", 1)[-1], wf.executor_id) for wf in children}
    assert where == {("media_stage_workflow", "media-1"), ("keyframe_workflow", "general-1"),
                     ("segment_workflow", "general-1")}
    media = [wf for wf in children if wf.name.endswith("media_stage_workflow")]
    assert sorted(wf.input["args"][2] for wf in media) == ["audio", "complete", "concat"]
    parent = DBOS.list_workflows(workflow_ids=[workflow_id_for(job_id, 1)])[0]
    assert parent.executor_id == "general-1"
