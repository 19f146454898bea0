"""Human review of keyframes: the job waits for a reviewer after the anchor and after each
keyframe that passed QA (``human_review_max_rejections`` > 0).

Each wait is a child workflow on the review queue, which has no limits: it opens the
keyframe's ``pending`` row (``ugen.store.review``), announces it (the ``awaiting_review``
event and the ``job.awaiting_review`` webhook), then waits durably for the reviewer's message
(``DBOS.recv`` with the review timeout, which survives restarts). The reviewer's decision is
written to the row by the API before the message is sent, so a lost message only costs the
timeout, and a timeout never overrides a decision.

A job with review runs on the review queue too (``reviewed_job_workflow``), so a waiting
job holds no slot of the jobs queue; the work of its stages holds slots as any job's does.
The parent decides what follows a decision (:func:`next_step`): an approval accepts the
keyframe (in ``generation`` its segments start at once); a rejection makes the keyframe
again with the reason in its prompt, up to the maximum; past it, or when nobody answered in
time, ``accept_best`` takes the best-scoring attempt shown and ``fail`` fails the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dbos import DBOS, SetWorkflowID, WorkflowHandle
from sqlalchemy import update

from ugen.core.types import StageName
from ugen.pipeline.context import JobContext
from ugen.pipeline.errors import QaRejectedError
from ugen.pipeline.init import ANCHOR, anchor_workflow
from ugen.pipeline.outputs import InitOutput, ItemRecord
from ugen.pipeline.queues import JOBS_QUEUE, REVIEW_QUEUE, get_queue
from ugen.store import jobs as job_store
from ugen.store import review as review_store
from ugen.store.db import session_scope
from ugen.store.models import Job, utcnow
from ugen.webhooks.events import notify_event

REVIEW_TOPIC = "ugen_review"
"""The topic of the message that wakes a wait once its keyframe is decided."""

Decision = Literal["approved", "rejected", "timed_out"]


@dataclass(frozen=True)
class ReviewPlan:
    """What the job's review needs of its options and settings, read once in a step."""

    max_rejections: int
    budget: Literal["accept_best", "fail"]
    timeout_s: float
    poll_interval_s: float
    retries: int
    """QA regenerations of each attempt (``max_retries_keyframe``)."""

    def first_attempt(self, round_: int) -> int:
        """The generation attempt a review round starts at (each round its own seeds)."""
        return round_ * (self.retries + 1)


@dataclass(frozen=True)
class Outcome:
    """What became of one keyframe attempt put before the reviewer."""

    keyframe: int
    round: int
    decision: Decision
    reason: str | None


@dataclass(frozen=True)
class Remake:
    """Make the keyframe again: from ``first_attempt``, with the reviewer's ``note``."""

    first_attempt: int
    note: str


def enabled(max_rejections: int) -> bool:
    return max_rejections > 0


@DBOS.step()
def review_plan_step(job_id: str, run_number: int) -> ReviewPlan:
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    return ReviewPlan(max_rejections=opts.human_review_max_rejections,
                      budget=opts.human_review_budget,
                      timeout_s=ctx.settings.review_timeout_s,
                      poll_interval_s=ctx.settings.queue_polling_interval_s,
                      retries=opts.max_retries_keyframe)


def waiter_id(job_id: str, run_number: int, keyframe: int, round_: int) -> str:
    return f"review-{job_id}-run{run_number}-kf{keyframe}-r{round_}"


def item_of(keyframe: int) -> str:
    return ANCHOR if keyframe == 0 else f"keyframe {keyframe}"


def pending_list(s: Any, job_id: str) -> list[dict[str, Any]]:
    return [{"keyframe": r.keyframe, "round": r.round, "attempt": r.attempt,
             "qa_score": round(r.qa_score, 4)} for r in review_store.pending(s, job_id)]


def _set_review_status(s: Any, job_id: str, waiting: bool) -> None:
    """``awaiting_review`` while any keyframe waits, ``running`` again once none does."""
    old, new = ("running", "awaiting_review") if waiting else ("awaiting_review", "running")
    s.execute(update(Job).where(Job.id == job_id, Job.status == old).values(status=new))


@DBOS.step()
def open_review_step(job_id: str, run_number: int, stage: StageName, keyframe: int,
                     round_: int, attempt: int, artifact: str, qa_score: float,
                     waiter: str) -> tuple[str, dict[str, Any]]:
    """Open the pending row, mark the job ``awaiting_review``; (account, webhook payload)."""
    ctx = JobContext(job_id, run_number)
    with session_scope(ctx.settings) as s:
        review_store.open_review(s, job_id=job_id, run_number=run_number, keyframe=keyframe,
                                 round_=round_, attempt=attempt, artifact=artifact,
                                 qa_score=qa_score, waiter=waiter)
        _set_review_status(s, job_id, waiting=True)
        pending = pending_list(s, job_id)
        job = job_store.get_job(s, job_id)
        assert job is not None
        account_id = job.account_id
    ctx.event("awaiting_review", stage=stage,
              message=f"{item_of(keyframe)} awaits review (round {round_ + 1})",
              data={"index": keyframe, "round": round_, "attempt": attempt,
                    "qa_score": round(qa_score, 4), "pending": pending},
              dedupe=f"review:{keyframe}:{round_}:open")
    payload = {"event": "job.awaiting_review", "job_id": job_id, "run_number": run_number,
               "stage": stage, "keyframe": keyframe, "pending": pending,
               "timestamp": utcnow().isoformat()}
    return account_id, payload


@DBOS.step()
def close_review_step(job_id: str, run_number: int, stage: StageName, keyframe: int,
                      round_: int) -> tuple[Outcome, dict[str, Any]]:
    """The attempt's decision (``timed_out`` when nobody decided); the job runs again once no
    keyframe waits. Returns the outcome and the ``job.review_decided`` payload."""
    ctx = JobContext(job_id, run_number)
    with session_scope(ctx.settings) as s:
        row = review_store.get_round(s, job_id, run_number, keyframe, round_)
        assert row is not None
        review_store.decide(s, row.id, "timed_out")
        s.refresh(row)
        outcome = Outcome(keyframe, round_, row.status, row.reason)  # type: ignore[arg-type]
        if not review_store.pending(s, job_id):
            _set_review_status(s, job_id, waiting=False)
    said = f": {outcome.reason}" if outcome.reason else ""
    ctx.event("review_decided", stage=stage,
              message=f"{item_of(keyframe)} {outcome.decision.replace('_', ' ')}{said}",
              data={"index": keyframe, "round": round_, "decision": outcome.decision,
                    "reason": outcome.reason},
              dedupe=f"review:{keyframe}:{round_}:closed")
    payload = {"event": "job.review_decided", "job_id": job_id, "run_number": run_number,
               "stage": stage, "keyframe": keyframe, "round": round_,
               "decision": outcome.decision, "reason": outcome.reason,
               "timestamp": utcnow().isoformat()}
    return outcome, payload


@DBOS.workflow()
def review_wait_workflow(job_id: str, run_number: int, stage: StageName, keyframe: int,
                         round_: int, attempt: int, artifact: str, qa_score: float,
                         timeout_s: float) -> Outcome:
    """Wait (durably, up to ``timeout_s``) for the reviewer's decision on one attempt."""
    waiter = waiter_id(job_id, run_number, keyframe, round_)
    account_id, payload = open_review_step(job_id, run_number, stage, keyframe, round_,
                                           attempt, artifact, qa_score, waiter)
    notify_event(account_id=account_id, job_id=job_id, event="job.awaiting_review",
                 payload=payload, key=f"{waiter}:open")
    DBOS.recv(REVIEW_TOPIC, timeout_seconds=timeout_s)
    outcome, payload = close_review_step(job_id, run_number, stage, keyframe, round_)
    notify_event(account_id=account_id, job_id=job_id, event="job.review_decided",
                 payload=payload, key=f"{waiter}:closed")
    return outcome


def start_wait(job_id: str, run_number: int, stage: StageName, plan: ReviewPlan,
               record: ItemRecord, round_: int) -> WorkflowHandle[Outcome]:
    """Put ``record`` (the keyframe that passed QA) before the reviewer (call in a workflow)."""
    attempt = plan.first_attempt(round_) + max(record.attempts - 1, 0)
    with SetWorkflowID(waiter_id(job_id, run_number, record.index, round_)):
        return get_queue(REVIEW_QUEUE).enqueue(
            review_wait_workflow, job_id, run_number, stage, record.index, round_, attempt,
            str(record.artifact), record.qa.score, plan.timeout_s)


@DBOS.step()
def budget_step(job_id: str, run_number: int, stage: StageName, outcome: Outcome,
                rule: str, chosen_round: int | None, shown: int) -> None:
    """Record how the budget rule ended the keyframe's review."""
    why = ("no decision in time" if outcome.decision == "timed_out"
           else f"rejected {outcome.round + 1} time(s)")
    taken = f"; round {chosen_round + 1} taken" if chosen_round is not None else ""
    JobContext(job_id, run_number).event(
        "review_budget_applied", stage=stage,
        message=f"{item_of(outcome.keyframe)}: {why}, {rule}{taken}",
        data={"index": outcome.keyframe, "rule": rule, "decision": outcome.decision,
              "chosen_round": chosen_round, "attempts_shown": shown},
        dedupe=f"review:{outcome.keyframe}:budget")


def next_step(job_id: str, run_number: int, stage: StageName, plan: ReviewPlan,
              shown: list[ItemRecord], outcome: Outcome) -> ItemRecord | Remake:
    """What follows a decision: the accepted keyframe, or a remake (call in a workflow).

    Raises:
        QaRejectedError: past the last allowed rejection (or at the timeout) with ``fail``.
    """
    if outcome.decision == "approved":
        return shown[-1]
    if outcome.decision == "rejected" and outcome.round < plan.max_rejections:
        return Remake(plan.first_attempt(outcome.round + 1), outcome.reason or "")
    if plan.budget == "fail":
        budget_step(job_id, run_number, stage, outcome, "fail", None, len(shown))
        why = ("no reviewer decided in time" if outcome.decision == "timed_out" else
               f"rejected by the reviewer {outcome.round + 1} time(s), more than "
               f"human_review_max_rejections ({plan.max_rejections})")
        last = f" (last reason: {outcome.reason})" if outcome.reason else ""
        raise QaRejectedError(item_of(outcome.keyframe),
                              f"{why}; human_review_budget is fail{last}",
                              qa_categories=("HUMAN_REVIEW",))
    best = max(range(len(shown)), key=lambda i: (shown[i].qa.score, -i))
    budget_step(job_id, run_number, stage, outcome, "accept_best", best, len(shown))
    return shown[best]


def run_init_reviewed(job_id: str, run_number: int) -> InitOutput:
    """``init`` of a job with review: each anchor attempt is made in a slot of the jobs
    queue, then waits for the reviewer in none."""
    plan = review_plan_step(job_id, run_number)
    shown: list[ItemRecord] = []
    remake = Remake(0, "")
    while True:
        made = get_queue(JOBS_QUEUE).enqueue(anchor_workflow, job_id, run_number,
                                             remake.first_attempt, remake.note)
        shown.append(made.get_result(polling_interval_sec=plan.poll_interval_s))
        wait = start_wait(job_id, run_number, "init", plan, shown[-1], len(shown) - 1)
        outcome = wait.get_result(polling_interval_sec=plan.poll_interval_s)
        step = next_step(job_id, run_number, "init", plan, shown, outcome)
        if isinstance(step, ItemRecord):
            return InitOutput(anchor=step)
        remake = step
