"""Human review of keyframes, end to end in one worker: approvals, a rejection whose reason
reaches the regenerated keyframe's prompt, the budget rules and the timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.review.helpers import decide, event_log, record_prompts, wait_pending, worker
from tests.utils.jobs import submit, wait
from ugen.core.config import Settings
from ugen.pipeline.review import waiter_id
from ugen.service import review as review_service
from ugen.store.db import session_scope
from ugen.store.models import JobEvent, WebhookDelivery
from ugen.store.review import KeyframeReview


def _events(settings: Settings, job_id: str) -> list[JobEvent]:
    with session_scope(settings) as s:
        return list(s.scalars(select(JobEvent).where(JobEvent.job_id == job_id)
                              .order_by(JobEvent.id)).all())


def test_reject_once_with_a_reason_then_approve_completes(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = record_prompts(monkeypatch)
    settings = worker(monkeypatch)
    job_id = submit(settings, product_image, human_review_max_rejections=2,
                    music_enabled=False, aspect_ratio="1:1",
                    webhook_url="https://hooks.example.com/ugen")
    state = wait_pending(settings, job_id, {0})
    assert state.pending[0].round == 0 and "/files/" in state.pending[0].image_url
    assert "signature=" in state.pending[0].image_url
    decide(settings, job_id, (0, True, None))
    wait_pending(settings, job_id, {1, 2})
    decide(settings, job_id, (1, False, "logo blurry"), (2, True, None))
    state = wait_pending(settings, job_id, {1})
    assert state.pending[0].round == 1
    assert state.pending[0].attempt == 2  # each round has its own attempts (seeds): 2 a round
    remade = [p for i, _, p in prompts if i == 1][-1]
    assert "logo blurry" in remade
    assert all("logo blurry" not in p for i, _, p in prompts if i != 1)
    decide(settings, job_id, (1, True, "crisp now"))
    view = wait(settings, job_id, timeout=120)
    assert view["status"] == "completed", view["error_message"]
    with session_scope(settings) as s:
        rows = s.scalars(select(KeyframeReview).where(KeyframeReview.job_id == job_id)
                         .order_by(KeyframeReview.id)).all()
        hooks = s.scalars(select(WebhookDelivery.event).where(
            WebhookDelivery.job_id == job_id)).all()
    assert sorted((r.keyframe, r.round, r.status, r.reason) for r in rows) == [
        (0, 0, "approved", None), (1, 0, "rejected", "logo blurry"),
        (1, 1, "approved", "crisp now"), (2, 0, "approved", None)]
    assert hooks.count("job.awaiting_review") == 4
    assert hooks.count("job.review_decided") == 4
    types = [e.type for e in _events(settings, job_id)]
    assert types.count("awaiting_review") == 4 and types.count("review_decided") == 4
    print(f"\n--- event log of reviewed job {job_id} ---\n{event_log(settings, job_id)}")
    assert {r.waiter for r in rows if r.keyframe == 1} == {
        waiter_id(job_id, 1, 1, 0), waiter_id(job_id, 1, 1, 1)}
    assert review_service.review_state(settings, job_id).pending == ()
