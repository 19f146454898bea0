"""Durability for real: worker processes SIGKILLed in the middle of ``generation``.

A restarted worker (same executor id) resumes the job; on PostgreSQL two workers share the
queue and a worker gone for good has its jobs recovered by the live one after the heartbeat
timeout. Nothing checkpointed before the kill is generated again; the ledger balances.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from dbos import DBOS

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import submit, wait
from tests.utils.jobs import view as view_of
from tests.utils.workers import Workers
from ugen.core.config import Settings
from ugen.pipeline.workflow import workflow_id_for

SEGMENTS = 4


def checkpointed(job_id: str) -> tuple[set[str], set[str]]:
    """Keyframes and segments whose steps DBOS has checkpointed for run 1."""
    parent = workflow_id_for(job_id, 1)
    done = [wf.output.item
            for wf in DBOS.list_workflows(parent_workflow_id=parent, status="SUCCESS")]
    return ({d for d in done if d.startswith("kf_")}, {d for d in done if d.startswith("seg_")})


def wait_for_segments(job_id: str, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(checkpointed(job_id)[1]) >= count:
            return
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {count} segments checkpointed")


def assert_nothing_regenerated(settings: Settings, job_id: str, keyframes: set[str],
                               segments: set[str]) -> None:
    view = wait(settings, job_id, timeout=300)
    assert view["status"] == "completed", view["error_message"]
    calls = view["provider_calls"]
    for kf in keyframes:
        assert calls[f"keyframe:{kf}"] == 1, kf
    for seg in segments:
        assert calls[f"video:{seg}"] == 1, seg
    assert len(view["stages"][3]["outputs"]["segments"]) == SEGMENTS
    assert_ledger_balances(settings, "local")


def test_kill_worker_mid_generation_resumes_without_regenerating(
    settings: Settings, product_image: Path, workers: Workers
) -> None:
    job_id = submit(settings, product_image, segment_count=SEGMENTS, music_enabled=False,
                    aspect_ratio="1:1")
    workers.start("w1")
    wait_for_segments(job_id, 1)
    view = view_of(settings, job_id)
    assert view["current_stage"] == "generation"
    workers.kill("w1")
    keyframes, segments = checkpointed(job_id)
    assert 1 <= len(segments) < SEGMENTS
    workers.start("w1")  # the same executor id resumes its own jobs
    assert_nothing_regenerated(settings, job_id, keyframes, segments)


@pytest.mark.postgres
def test_two_workers_on_postgres_survive_a_kill_and_restart(
    postgres_settings: Settings, product_image: Path, workers: Workers
) -> None:
    job_id = submit(postgres_settings, product_image, segment_count=SEGMENTS, aspect_ratio="1:1",
                    music_enabled=False)
    workers.start("w1")
    workers.start("w2")
    wait_for_segments(job_id, 1)
    workers.kill("w1")
    keyframes, segments = checkpointed(job_id)
    workers.start("w1")
    assert_nothing_regenerated(postgres_settings, job_id, keyframes, segments)


@pytest.mark.postgres
def test_worker_gone_for_good_is_recovered_by_live_worker(
    postgres_settings: Settings, product_image: Path, workers: Workers
) -> None:
    workers.start("w1")
    time.sleep(2.0)  # w1 takes the job before w2 exists
    job_id = submit(postgres_settings, product_image, segment_count=SEGMENTS, aspect_ratio="1:1",
                    music_enabled=False)
    wait_for_segments(job_id, 1)
    workers.start("w2")
    workers.kill("w1")  # never restarted
    keyframes, segments = checkpointed(job_id)
    assert_nothing_regenerated(postgres_settings, job_id, keyframes, segments)
