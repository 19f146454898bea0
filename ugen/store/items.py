"""Keyframe and segment attempts of a job, with their QA verdicts (the ``job_items`` table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ugen.store.models import JobItem


@dataclass(frozen=True)
class ItemAttempt:
    """What one attempt at an item made and how QA judged it."""

    stage: str
    item: str
    run_number: int
    attempt: int
    artifact: str
    sha256: str
    inputs: str
    verdict: dict[str, Any]
    reused_from: int | None = None


def record_attempt(session: Session, job_id: str, attempt: ItemAttempt) -> None:
    """Keep an attempt (once: a step that runs again after a crash records it once)."""
    row = JobItem(job_id=job_id, stage=attempt.stage, item=attempt.item,
                  run_number=attempt.run_number, attempt=attempt.attempt,
                  artifact=attempt.artifact, sha256=attempt.sha256, inputs=attempt.inputs,
                  score=float(attempt.verdict["score"]),
                  threshold=float(attempt.verdict["threshold"]),
                  passed=bool(attempt.verdict["passed"]), verdict=attempt.verdict,
                  reused_from=attempt.reused_from)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass


def reuse_candidates(session: Session, job_id: str, item: str, *, inputs: str,
                     before_run: int, min_score: float) -> list[JobItem]:
    """Attempts of earlier runs made from the same inputs that score at least
    ``min_score``, best first (the caller checks that their files are unchanged)."""
    return list(session.scalars(
        select(JobItem)
        .where(JobItem.job_id == job_id, JobItem.item == item, JobItem.inputs == inputs,
               JobItem.run_number < before_run, JobItem.score >= min_score,
               JobItem.reused_from.is_(None))
        .order_by(JobItem.score.desc(), JobItem.id.desc())
    ))


def attempts_of(session: Session, job_id: str) -> list[JobItem]:
    """Every attempt of the job, in the order they were judged."""
    return list(session.scalars(
        select(JobItem).where(JobItem.job_id == job_id).order_by(JobItem.id)))


def accepted_items(session: Session, job_id: str, run_number: int) -> set[str]:
    """The items of a run that passed QA (made or reused)."""
    return set(session.scalars(select(JobItem.item).where(
        JobItem.job_id == job_id, JobItem.run_number == run_number, JobItem.passed)))
