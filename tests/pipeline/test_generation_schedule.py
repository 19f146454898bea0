"""The generation scheduler: streaming overlap and queue limits, on recorded timestamps."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.utils.jobs import submit, wait
from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker
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
    segment_runs = [(ev[("segment_submitted", i)], ev[("segment_completed", i)])
                    for i in range(n)]
    assert _most_at_once(keyframe_runs) == 1
    assert 1 <= _most_at_once(segment_runs) <= 2
