"""The review table: the migration makes what the ORM maps, and a decision is taken once."""

from __future__ import annotations

from sqlalchemy import inspect

from ugen.core.config import Settings
from ugen.store import review as review_store
from ugen.store.db import get_engine, session_scope
from ugen.store.review import KeyframeReview


def test_migration_matches_the_model(settings: Settings) -> None:
    columns = {c["name"] for c in inspect(get_engine(settings)).get_columns("keyframe_reviews")}
    assert columns == set(KeyframeReview.__table__.columns.keys())


def test_a_pending_attempt_is_decided_once(settings: Settings) -> None:
    with session_scope(settings) as s:
        row = review_store.open_review(s, job_id="j1", run_number=1, keyframe=2, round_=0,
                                       attempt=0, artifact="j1/keyframes/kf_02.png",
                                       qa_score=0.8, waiter="w")
        again = review_store.open_review(s, job_id="j1", run_number=1, keyframe=2, round_=0,
                                         attempt=0, artifact="j1/keyframes/kf_02.png",
                                         qa_score=0.8, waiter="w")
        assert again.id == row.id  # a replayed step finds its row
        assert [r.keyframe for r in review_store.pending(s, "j1")] == [2]
        assert review_store.decide(s, row.id, "rejected", "logo blurry")
        assert not review_store.decide(s, row.id, "timed_out")  # the timeout comes too late
        assert review_store.pending(s, "j1") == []
    with session_scope(settings) as s:
        [kept] = review_store.history(s, "j1")
        assert (kept.status, kept.reason) == ("rejected", "logo blurry")
        assert kept.decided_at is not None
