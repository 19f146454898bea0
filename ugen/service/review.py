"""Human review of keyframes: what waits for a reviewer, and the reviewer's decisions.

A decision is written to its pending row (guarded, so a timeout and a reviewer never both
decide) and then sent to the workflow that waits for it (``ugen.pipeline.review``), which
reads the decision from the row and moves the job on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dbos import DBOS

from ugen.core.config import Settings
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline import runtime
from ugen.pipeline.review import REVIEW_TOPIC
from ugen.service.jobs import JobStateError, owned
from ugen.store import jobs as job_store
from ugen.store import review as review_store
from ugen.store.db import session_scope
from ugen.store.signed_urls import sign_artifact


@dataclass(frozen=True)
class PendingKeyframe:
    """A keyframe attempt that waits for the reviewer."""

    keyframe: int
    round: int
    """0 for the first image shown, one more per rejection."""
    attempt: int
    qa_score: float
    image_url: str
    """Signed like every media URL of the API."""
    since: datetime


@dataclass(frozen=True)
class ReviewedKeyframe:
    """An attempt the reviewer (or the timeout) decided."""

    keyframe: int
    round: int
    attempt: int
    qa_score: float
    decision: str
    reason: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class ReviewState:
    job_id: str
    status: str
    max_rejections: int
    budget: str
    pending: tuple[PendingKeyframe, ...]
    decided: tuple[ReviewedKeyframe, ...]


@dataclass(frozen=True)
class ReviewDecision:
    keyframe: int
    approved: bool
    reason: str | None = None


class ReviewStateError(JobStateError):
    """The job does not await review, or the keyframe is not pending (HTTP 409)."""


def review_state(settings: Settings, job_id: str, account_id: str | None = None) -> ReviewState:
    """What of the job waits for a reviewer and what was decided.

    Raises:
        JobNotFoundError: no such job (or another account's).
    """
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id, account_id)
        params = dict(job.params)
        rows = review_store.history(s, job_id)
        status = job.status
    # A job that ended (cancelled while it waited) has nothing left to review.
    pending = tuple(PendingKeyframe(r.keyframe, r.round, r.attempt, r.qa_score,
                                    sign_artifact(settings, job_id, r.artifact), r.created_at)
                    for r in rows
                    if r.status == "pending" and status not in TERMINAL_STATUSES)
    decided = tuple(ReviewedKeyframe(r.keyframe, r.round, r.attempt, r.qa_score, r.status,
                                     r.reason, r.decided_at)
                    for r in rows if r.status != "pending")
    return ReviewState(job_id=job_id, status=status,
                       max_rejections=int(params.get("human_review_max_rejections", 0)),
                       budget=str(params.get("human_review_budget", "accept_best")),
                       pending=pending, decided=decided)


def submit_review(settings: Settings, job_id: str, decisions: list[ReviewDecision],
                  account_id: str | None = None) -> ReviewState:
    """Record the reviewer's decisions and wake the job. All or none are taken.

    Raises:
        JobNotFoundError: no such job (or another account's).
        ReviewStateError: the job does not await review, a keyframe is not pending, or one
            is named twice.
    """
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    waiters: list[str] = []
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id, account_id)
        if job.status != "awaiting_review":
            raise ReviewStateError(f"job {job_id} is {job.status}, not awaiting_review")
        pending = {r.keyframe: r for r in review_store.pending(s, job_id)}
        seen: set[int] = set()
        for d in decisions:
            if d.keyframe in seen:
                raise ReviewStateError(f"keyframe {d.keyframe} is decided twice")
            seen.add(d.keyframe)
            if d.keyframe not in pending:
                raise ReviewStateError(f"keyframe {d.keyframe} does not await review "
                                       f"(pending: {sorted(pending) or 'none'})")
        for d in decisions:
            row = pending[d.keyframe]
            if not review_store.decide(s, row.id, "approved" if d.approved else "rejected",
                                       d.reason):
                raise ReviewStateError(f"keyframe {d.keyframe} was decided meanwhile")
            waiters.append(row.waiter)
    for waiter in waiters:  # after the commit: the waiter reads the decision from its row
        DBOS.send(waiter, "decided", topic=REVIEW_TOPIC)
    return review_state(settings, job_id, account_id)
