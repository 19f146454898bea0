"""The generation scheduler: streaming overlap and queue limits, on recorded timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dbos import DBOS, WorkflowStatus
from sqlalchemy import select

from tests.utils.jobs import submit, wait
from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker
from ugen.pipeline.workflow import workflow_id_for
from ugen.store.db import session_scope
from ugen.store.models import JobEvent

Interval = tuple[datetime, datetime]


def _events(settings: Settings, job_id: str) -> dict[tuple[str, int], datetime]:
    with session_scope(settings) as s:
        rows = s.scalars(select(JobEvent).where(JobEvent.job_id == job_id)).all()
    return {(e.type, int(e.data["index"])): e.created_at for e in rows if "index" in e.data}


def _most_at_once(intervals: list[Interval]) -> int:
    edges = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals],
                   key=lambda edge: (edge[0], edge[1]))
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def test_segments_start_once_both_keyframes_exist_within_limits(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "1.0")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "1.5")
    monkeypatch.setenv("UGEN_IMAGE_WORKER_CONCURRENCY", "1")
    monkeypatch.setenv("UGEN_VIDEO_WORKER_CONCURRENCY", "2")
    settings = get_settings()
    start_worker(settings)
    n = 3
    job_id = submit(settings, product_image, segment_count=n, stop_at_stage="generation")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    ev = _events(settings, job_id)
    kf_done = {i: ev[("keyframe_completed", i)] for i in range(1, n + 1)}
    kf_done[0] = min(ev.values())  # the anchor exists before generation starts
    for i in range(n):
        submitted = ev[("segment_submitted", i)]
        assert submitted >= kf_done[i] and submitted >= kf_done[i + 1], i
    # Streaming overlap: the first segment starts while later keyframes are still made.
    assert ev[("segment_submitted", 0)] < kf_done[n]
    keyframe_runs = [(ev[("keyframe_started", i)], kf_done[i]) for i in range(1, n + 1)]
    segment_runs = [(ev[("segment_submitted", i)], ev[("segment_rendered", i)])
                    for i in range(n)]
    assert _most_at_once(keyframe_runs) == 1
    assert 1 <= _most_at_once(segment_runs) <= 2


def _runs(job_ids: list[str], name: str) -> list[WorkflowStatus]:
    """The DBOS records of the job's child workflows called ``name``, oldest first; render
    attempts are children of segment workflows."""
    found: list[WorkflowStatus] = []
    parents = [workflow_id_for(j, 1) for j in job_ids]
    while parents:
        children = [wf for p in parents for wf in DBOS.list_workflows(parent_workflow_id=p)]
        found += [wf for wf in children if wf.name.endswith(name)]
        parents = [wf.workflow_id for wf in children]
    return sorted(found, key=lambda wf: wf.dequeued_at or 0)


def _interval(wf: WorkflowStatus) -> Interval:
    assert wf.dequeued_at is not None and wf.completed_at is not None, wf.workflow_id
    return (datetime.fromtimestamp(wf.dequeued_at / 1000, UTC),
            datetime.fromtimestamp(wf.completed_at / 1000, UTC))


def test_model_and_vendor_limits_hold_across_jobs(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kling3_std: one segment at a time and two per 3 s; the vendor: two renders at once."""
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "0.3")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "0.6")
    monkeypatch.setenv("UGEN_VIDEO_WORKER_CONCURRENCY", "4")
    period = 3.0
    monkeypatch.setenv("UGEN_VIDEO_LIMITS", json.dumps({
        "kling": {"concurrency": 2},
        "kling3_std": {"concurrency": 1, "requests": 2, "period_s": period}}))
    settings = get_settings()
    start_worker(settings)
    jobs = [submit(settings, product_image, segment_count=2, aspect_ratio="1:1",
                   stop_at_stage="generation"),
            submit(settings, product_image, segment_count=2, aspect_ratio="1:1",
                   video_model="kling3_pro", stop_at_stage="generation")]
    for job_id in jobs:
        view = wait(settings, job_id)
        assert view["status"] == "stopped", view["error_message"]
    std = _runs(jobs[:1], "segment_workflow")
    assert {wf.queue_name for wf in std} == {"ugen_video_model_kling3_std"}
    assert _most_at_once([_interval(wf) for wf in std]) == 1
    # kling3_std renders wait for a provider slot; kling3_pro (no limits of its own) goes
    # straight to the provider's queue and renders in that slot.
    std_renders = _runs(jobs[:1], "segment_render_workflow")
    assert {wf.queue_name for wf in std_renders} == {"ugen_video_kling"}
    pro = _runs(jobs[1:], "segment_workflow")
    assert {wf.queue_name for wf in pro} == {"ugen_video_kling"}
    slots = std_renders + pro
    assert len(slots) == 4
    assert _most_at_once([_interval(wf) for wf in slots]) <= 2


def test_model_rate_limit_spaces_submissions(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two kling3_std segments per 2 s: the third of three waits for the window."""
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "0.2")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "0.3")
    period = 2.0
    monkeypatch.setenv("UGEN_VIDEO_LIMITS", json.dumps(
        {"kling3_std": {"requests": 2, "period_s": period}}))
    settings = get_settings()
    start_worker(settings)
    job_id = submit(settings, product_image, segment_count=3, aspect_ratio="1:1",
                    stop_at_stage="generation")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    starts = [wf.dequeued_at or 0 for wf in _runs([job_id], "segment_workflow")]
    assert len(starts) == 3
    assert (starts[2] - starts[0]) / 1000 >= period


def test_unknown_video_limit_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    from ugen.pipeline.queues import queue_specs

    monkeypatch.setenv("UGEN_VIDEO_LIMITS", json.dumps({"klingg": {"concurrency": 1}}))
    with pytest.raises(ValueError, match=r"klingg.*kling3_pro"):
        queue_specs(get_settings())
