"""A job and its first run are written together: the 201 answer is the job as stored, its
run is queued on the right queue, and a creation refused at any point leaves no job, no
run, no reserved credits and no files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from tests.api.conftest import headers
from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.pipeline import runtime
from ugen.pipeline.queues import JOBS_QUEUE, REVIEW_QUEUE
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.models import Account, Job, JobEvent, JobStage

OPTIONS = {"product_name": "Glow Serum", "video_model": "kling3_std",
           "segment_duration": 3, "segment_count": 1}


def _runs(settings: Settings) -> list[Any]:
    """The queued runs (DBOS's rows; its tables carry no schema on SQLite)."""
    with session_scope(settings) as s:
        return list(s.execute(text("SELECT workflow_uuid, queue_name, status, name "
                                   "FROM workflow_status ORDER BY created_at")).all())


def _counts(settings: Settings, account_id: str) -> tuple[int, int, int, int]:
    """Jobs, stage rows, events and reserved credits of the account."""
    with session_scope(settings) as s:
        jobs = s.scalar(select(func.count()).select_from(Job)
                        .where(Job.account_id == account_id)) or 0
        stages = s.scalar(select(func.count()).select_from(JobStage)) or 0
        events = s.scalar(select(func.count()).select_from(JobEvent)) or 0
        reserved = s.scalar(select(Account.credit_reserved).where(Account.id == account_id))
    return jobs, stages, events, int(reserved or 0)


def _job_dirs(settings: Settings) -> list[str]:
    root = settings.artifacts_dir
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != "uploads") \
        if root.exists() else []


def test_created_job_is_answered_as_stored_and_queued_once(
        client: TestClient, settings: Settings, account: tuple[str, str],
        create_job: Callable[..., Any]) -> None:
    _, key = account
    r = create_job(key)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "queued" and created["current_stage"] == "prepare"
    assert [st["status"] for st in created["stages"]] == ["completed"] + ["pending"] * 7
    # No worker runs here: a GET reads back exactly what the creation answered.
    got = client.get(f"/api/v1/jobs/{created['job_id']}", headers=headers(key)).json()
    assert got == created
    runs = _runs(settings)
    assert [(r.workflow_uuid, r.queue_name, r.status) for r in runs] == [
        (f"job-{created['job_id']}-run1", JOBS_QUEUE, "ENQUEUED")]
    with session_scope(settings) as s:
        job = s.get(Job, created["job_id"])
        assert job is not None and job.workflow_id == runs[0].workflow_uuid


def test_job_with_review_is_queued_on_the_review_queue(
        settings: Settings, account: tuple[str, str], create_job: Callable[..., Any]) -> None:
    r = create_job(account[1], human_review_max_rejections=1, stop_at_stage="init")
    assert r.status_code == 201, r.text
    assert [(x.queue_name, x.name.rsplit(".", 1)[-1]) for x in _runs(settings)] == [
        (REVIEW_QUEUE, "reviewed_job_workflow")]


def test_refused_for_credits_after_its_run_was_written_leaves_nothing(
        settings: Settings, make_account: Callable[..., tuple[str, str]],
        create_job: Callable[..., Any]) -> None:
    account_id, key = make_account(5)  # the estimate is far above 5 credits
    r = create_job(key)
    assert r.status_code == 402, r.text
    assert _runs(settings) == []
    assert _counts(settings, account_id) == (0, 0, 0, 0)
    assert _job_dirs(settings) == []  # the product image copied before is gone again


def test_failure_while_queueing_leaves_nothing(settings: Settings, product_image: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _ = create_account(settings, "q", 1000)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the queue table is gone")

    monkeypatch.setattr(runtime, "enqueue_in_transaction", broken)
    with pytest.raises(RuntimeError, match="queue table"):
        service.submit_job(settings, account_id=account_id,
                           options=JobOptions.model_validate(OPTIONS), image=product_image)
    assert _counts(settings, account_id) == (0, 0, 0, 0)
    assert _runs(settings) == [] and _job_dirs(settings) == []
    monkeypatch.undo()
    made = service.submit_job(settings, account_id=account_id,
                              options=JobOptions.model_validate(OPTIONS), image=product_image)
    jobs, stages, events, reserved = _counts(settings, account_id)
    assert (jobs, stages, events) == (1, 8, 1) and reserved == made.job.credits_reserved > 0
    assert _job_dirs(settings) == [made.id]
