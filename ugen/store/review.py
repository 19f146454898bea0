"""Human review of keyframes: one row per keyframe attempt shown to a reviewer.

A row is opened ``pending`` when the job starts waiting for it and is decided once:
``approved`` or ``rejected`` (with the reviewer's reason) by the API, or ``timed_out`` by the
waiting workflow when nobody answered in time. Every write is guarded on ``pending``, so the
reviewer and the timeout cannot both decide the same attempt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import DateTime, Float, Integer, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.store.models import Base, utcnow

ReviewStatus = Literal["pending", "approved", "rejected", "timed_out"]


class KeyframeReview(Base):
    """One keyframe attempt put before a reviewer and what became of it."""

    __tablename__ = "keyframe_reviews"
    __table_args__ = (UniqueConstraint("job_id", "run_number", "keyframe", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(40), index=True)
    run_number: Mapped[int] = mapped_column(Integer)
    keyframe: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)
    """0 for the first attempt shown, then one more per rejection."""
    attempt: Mapped[int] = mapped_column(Integer)
    """The generation attempt (its seed and file name) that made the image."""
    artifact: Mapped[str] = mapped_column(String(500))
    qa_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(500))
    waiter: Mapped[str] = mapped_column(String(200))
    """The workflow that waits for the decision (a decision is sent to it)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def open_review(session: Session, *, job_id: str, run_number: int, keyframe: int, round_: int,
                attempt: int, artifact: str, qa_score: float, waiter: str) -> KeyframeReview:
    """The pending row of this round (made once; a replay finds it)."""
    row = get_round(session, job_id, run_number, keyframe, round_)
    if row is None:
        row = KeyframeReview(job_id=job_id, run_number=run_number, keyframe=keyframe,
                             round=round_, attempt=attempt, artifact=artifact,
                             qa_score=qa_score, status="pending", waiter=waiter)
        session.add(row)
        session.flush()
    return row


def get_round(session: Session, job_id: str, run_number: int, keyframe: int,
              round_: int) -> KeyframeReview | None:
    return session.scalars(select(KeyframeReview).where(
        KeyframeReview.job_id == job_id, KeyframeReview.run_number == run_number,
        KeyframeReview.keyframe == keyframe, KeyframeReview.round == round_)).first()


def pending(session: Session, job_id: str) -> list[KeyframeReview]:
    """The attempts waiting for a reviewer, by keyframe."""
    return list(session.scalars(select(KeyframeReview).where(
        KeyframeReview.job_id == job_id, KeyframeReview.status == "pending")
        .order_by(KeyframeReview.keyframe)).all())


def history(session: Session, job_id: str) -> list[KeyframeReview]:
    """Every attempt shown to a reviewer, oldest first."""
    return list(session.scalars(select(KeyframeReview).where(KeyframeReview.job_id == job_id)
                                .order_by(KeyframeReview.id)).all())


def decide(session: Session, row_id: int, status: ReviewStatus,
           reason: str | None = None) -> bool:
    """Decide a pending attempt; False when it was decided already."""
    result = session.execute(
        update(KeyframeReview)
        .where(KeyframeReview.id == row_id, KeyframeReview.status == "pending")
        .values(status=status, reason=reason, decided_at=utcnow()))
    return bool(result.rowcount > 0)  # type: ignore[attr-defined]
