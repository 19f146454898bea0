"""What happens past the last allowed rejection, or when nobody answers: the budget rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.review.helpers import decide, wait_pending, worker
from tests.utils.jobs import stage, submit, wait
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.review import KeyframeReview

ONE = {"segment_count": 1, "music_enabled": False, "aspect_ratio": "1:1",
       "stop_at_stage": "generation"}


def _rows(settings: Settings, job_id: str) -> list[tuple[int, int, str, str]]:
    with session_scope(settings) as s:
        rows = s.scalars(select(KeyframeReview).where(KeyframeReview.job_id == job_id)
                         .order_by(KeyframeReview.id)).all()
        return [(r.keyframe, r.round, r.status, r.artifact) for r in rows]


def _reject_twice(settings: Settings, job_id: str) -> None:
    wait_pending(settings, job_id, {0})
    decide(settings, job_id, (0, True, None))
    wait_pending(settings, job_id, {1})
    decide(settings, job_id, (1, False, "too dark"))
    state = wait_pending(settings, job_id, {1})
    assert state.pending[0].round == 1
    decide(settings, job_id, (1, False, "still too dark"))


def test_rejections_past_the_max_accept_the_best_attempt(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = worker(monkeypatch)
    job_id = submit(settings, product_image, human_review_max_rejections=1, **ONE)
    _reject_twice(settings, job_id)
    view = wait(settings, job_id, timeout=120)
    assert view["status"] == "stopped", view["error_message"]
    rows = _rows(settings, job_id)
    assert [(k, r, st) for k, r, st, _ in rows] == [
        (0, 0, "approved"), (1, 0, "rejected"), (1, 1, "rejected")]
    # Equal QA scores: the first image shown is the best attempt.
    kept = stage(view, "generation")["outputs"]["keyframes"][0]["artifact"]
    assert kept.endswith(Path(rows[1][3]).name) and kept != rows[2][3]


def test_rejections_past_the_max_fail_the_job_with_fail(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = worker(monkeypatch)
    job_id = submit(settings, product_image, human_review_max_rejections=1,
                    human_review_budget="fail", **ONE)
    _reject_twice(settings, job_id)
    view = wait(settings, job_id, timeout=120)
    assert view["status"] == "failed"
    assert view["error_stage"] == "generation"
    assert view["error_message"] == (
        "generation failed: keyframe 1: rejected by the reviewer 2 time(s), more than "
        "human_review_max_rejections (1); human_review_budget is fail "
        "(last reason: still too dark)")


def test_timeout_applies_the_budget(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = worker(monkeypatch, UGEN_REVIEW_TIMEOUT_S="1")
    kept = submit(settings, product_image, human_review_max_rejections=2, **ONE)
    failed = submit(settings, product_image, human_review_max_rejections=2,
                    human_review_budget="fail", **ONE)
    view = wait(settings, kept, timeout=120)
    assert view["status"] == "stopped", view["error_message"]
    assert [(k, r, st) for k, r, st, _ in _rows(settings, kept)] == [
        (0, 0, "timed_out"), (1, 0, "timed_out")]
    view = wait(settings, failed, timeout=120)
    assert view["status"] == "failed"
    assert view["error_stage"] == "init"
    assert view["error_message"] == (
        "init failed: keyframe 0 (anchor): no reviewer decided in time; "
        "human_review_budget is fail")
