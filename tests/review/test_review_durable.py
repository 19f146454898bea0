"""The wait for a reviewer holds no job slot, survives a restart of the worker, and lets the
segments of approved keyframes start while other keyframes still wait."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dbos import DBOS

from tests.review.helpers import FAST, decide, wait_pending, worker
from tests.utils.jobs import submit, wait
from tests.utils.workers import Workers
from ugen import service
from ugen.core.config import Settings
from ugen.pipeline.queues import JOBS_QUEUE, REVIEW_QUEUE
from ugen.pipeline.workflow import workflow_id_for
from ugen.service import review as review_service
from ugen.store import jobs as job_store
from ugen.store.db import session_scope

QUICK = {"music_enabled": False, "aspect_ratio": "1:1", "stop_at_stage": "generation"}


def _submitted_segments(settings: Settings, job_id: str) -> set[int]:
    with session_scope(settings) as s:
        return {int(e.data["index"]) for e in job_store.list_events(s, job_id)
                if e.type == "segment_submitted"}


def test_a_waiting_job_holds_no_job_slot(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = worker(monkeypatch, UGEN_WORKER_CONCURRENCY="1")
    waiting = submit(settings, product_image, human_review_max_rejections=1, segment_count=1,
                     **QUICK)
    wait_pending(settings, waiting, {0})
    other = submit(settings, product_image, segment_count=1, music_enabled=False,
                   aspect_ratio="1:1", stop_at_stage="init")
    view = wait(settings, other, timeout=60)
    assert view["status"] == "stopped", view["error_message"]
    assert service.job_view(settings, waiting).status == "awaiting_review"
    # The reviewed job's parent waits on the review queue; the other ran on the jobs queue.
    parent, plain = (DBOS.get_workflow_status(workflow_id_for(j, 1)) for j in (waiting, other))
    assert parent is not None and parent.queue_name == REVIEW_QUEUE
    assert plain is not None and plain.queue_name == JOBS_QUEUE
    service.cancel_job(settings, waiting)
    state = review_service.review_state(settings, waiting)
    assert state.status == "cancelled" and state.pending == ()


def test_segments_of_approved_keyframes_start_while_others_wait(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = worker(monkeypatch)
    job_id = submit(settings, product_image, human_review_max_rejections=1, segment_count=3,
                    **QUICK)
    wait_pending(settings, job_id, {0})
    decide(settings, job_id, (0, True, None))
    wait_pending(settings, job_id, {1, 2, 3})
    decide(settings, job_id, (1, True, None))
    deadline = time.monotonic() + 30
    while not _submitted_segments(settings, job_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _submitted_segments(settings, job_id) == {0}
    assert {p.keyframe for p in wait_pending(settings, job_id, {2, 3}).pending} == {2, 3}
    decide(settings, job_id, (2, True, None), (3, True, None))
    view = wait(settings, job_id, timeout=120)
    assert view["status"] == "stopped", view["error_message"]
    assert _submitted_segments(settings, job_id) == {0, 1, 2}


def test_the_wait_survives_a_restart(
    settings: Settings, product_image: Path, tmp_path: Path
) -> None:
    env = {**os.environ, **FAST, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = Workers(env, tmp_path)
    try:
        job_id = submit(settings, product_image, human_review_max_rejections=1,
                        segment_count=1, **QUICK)
        workers.start("w1")
        wait_pending(settings, job_id, {0}, timeout=60)
        workers.kill("w1")  # SIGKILL while the job waits for the reviewer
        workers.start("w1")  # the same executor id recovers its workflows
        decide(settings, job_id, (0, False, "wrong background"))
        state = wait_pending(settings, job_id, {0}, timeout=60)
        assert state.pending[0].round == 1
        decide(settings, job_id, (0, True, None))
        wait_pending(settings, job_id, {1}, timeout=60)
        decide(settings, job_id, (1, True, None))
        view = wait(settings, job_id, timeout=120)
        assert view["status"] == "stopped", view["error_message"]
    finally:
        workers.stop_all()
