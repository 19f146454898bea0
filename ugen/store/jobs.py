"""Reading and writing the job state users see: jobs, stage records, events, provider calls.

Every write that could race with another process is a single guarded UPDATE, so a job that is
already finished is never moved back, and ``progress_percent`` never decreases within a run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ugen.core.types import STAGES, TERMINAL_STATUSES, StageName
from ugen.store.models import Job, JobEvent, JobItem, JobStage, ProviderCall, utcnow
from ugen.store.status_reads import JobRecord, StageRecord

_JOBS = cast(Table, Job.__table__)
_STAGES = cast(Table, JobStage.__table__)
_EVENTS = cast(Table, JobEvent.__table__)
_JOB_INSERT = insert(_JOBS)
_STAGE_ROWS_INSERT = insert(_STAGES)
"""The stage rows of a new job: one ``executemany``, which psycopg sends in one pipeline
(a multi-VALUES statement would be compiled anew each time: SQLAlchemy caches none)."""
_EVENT_INSERT = insert(_EVENTS)


@dataclass(frozen=True, slots=True)
class NewStage(StageRecord):
    """A stage row as written when its job is created: what the status shows, and more."""

    position: int
    outputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewJob(JobRecord):
    """A job row as it is inserted: what its creator answers with, without reading it back
    (the status's columns), and the columns only its runs use."""

    workflow_id: str | None = None
    cancel_requested: bool = False
    request_hash: str | None = None


_PENDING_STAGE: dict[str, Any] = {"status": "pending", "run_number": 0, "started_at": None,
                                  "finished_at": None, "credits_used": 0, "outputs": {},
                                  "error": None}


def create_job(session: Session, job: Job | NewJob,
               done: Mapping[str, Mapping[str, Any]] | None = None
               ) -> tuple[NewStage, ...]:
    """Insert the job and its eight stage records (pending; ``done``: the values of stages
    that are finished already, ``prepare`` at creation); return the stage records.

    A :class:`NewJob` goes in as plain INSERTs without ORM objects (it runs for every
    job created).

    Raises:
        IntegrityError: the account has a job with this ``idempotency_key`` already.
    """
    if isinstance(job, Job):
        session.add(job)
        session.flush()
    else:
        # Shallow, field by field: asdict would copy the params too.
        session.execute(_JOB_INSERT, {f.name: getattr(job, f.name) for f in fields(job)})
    done = done or {}
    stages = tuple(NewStage(stage=stage, position=position,
                               **{**_PENDING_STAGE, **done.get(stage, {})})
                   for position, stage in enumerate(STAGES))
    session.execute(_STAGE_ROWS_INSERT, [
        {"job_id": job.id, "stage": st.stage, "position": st.position, "status": st.status,
         "run_number": st.run_number, "started_at": st.started_at,
         "finished_at": st.finished_at, "credits_used": st.credits_used,
         "outputs": st.outputs} for st in stages])
    return stages


def get_job(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id, populate_existing=True)


def get_stages(session: Session, job_id: str) -> list[JobStage]:
    return list(
        session.scalars(
            select(JobStage).where(JobStage.job_id == job_id).order_by(JobStage.position)
        )
    )


_JOB_ROW = select(Job.__table__).where(Job.__table__.c.id == bindparam("job_id"))
_STAGE_ROWS = (select(JobStage.__table__)
               .where(JobStage.__table__.c.job_id == bindparam("job_id"))
               .order_by(JobStage.__table__.c.position))


def job_snapshot(session: Session, job_id: str) -> tuple[Row[Any] | None, Sequence[Row[Any]]]:
    """The job's row and its stage rows in order, as plain rows (no ORM objects: this is the
    hot read behind every status poll). Rows carry the same attribute names as the models."""
    conn = session.connection()
    job = conn.execute(_JOB_ROW, {"job_id": job_id}).first()
    if job is None:
        return None, ()
    return job, conn.execute(_STAGE_ROWS, {"job_id": job_id}).all()


def stages_of(session: Session, job_ids: list[str]) -> dict[str, list[JobStage]]:
    """The stages of each of ``job_ids``, in order."""
    found: dict[str, list[JobStage]] = {job_id: [] for job_id in job_ids}
    if job_ids:
        for st in session.scalars(select(JobStage).where(JobStage.job_id.in_(job_ids))
                                  .order_by(JobStage.position)):
            found[st.job_id].append(st)
    return found


def get_stage(session: Session, job_id: str, stage: StageName) -> JobStage:
    row = session.scalar(
        select(JobStage).where(JobStage.job_id == job_id, JobStage.stage == stage)
    )
    if row is None:
        raise KeyError(f"{job_id}/{stage}")
    return row


def set_job_fields(session: Session, job_id: str, *, only_if_active: bool = True,
                   **values: Any) -> bool:
    """Update a job unless it already ended (when ``only_if_active``); True if updated."""
    stmt = update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values)
    if only_if_active:
        stmt = stmt.where(Job.status.not_in(TERMINAL_STATUSES))
    return bool(session.execute(stmt).rowcount > 0)  # type: ignore[attr-defined]


def raise_progress(session: Session, job_id: str, percent: int) -> None:
    """Move progress forward, never back."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.progress_percent < percent,
               Job.status.not_in(TERMINAL_STATUSES))
        .values(progress_percent=percent, updated_at=utcnow())
    )


def set_stage(session: Session, job_id: str, stage: str, **values: Any) -> None:
    session.execute(
        update(JobStage).where(JobStage.job_id == job_id, JobStage.stage == stage).values(**values)
    )


def add_event(session: Session, job_id: str, type_: str, *, run_number: int,
              stage: str | None = None, message: str = "", data: dict[str, Any] | None = None,
              dedupe_key: str | None = None) -> None:
    """Append an event; with ``dedupe_key`` a repeated step adds it once."""
    if dedupe_key is None:  # a plain INSERT, sent at once
        if session.new:  # e.g. the job it belongs to, added and not yet flushed
            session.flush()
        session.execute(_EVENT_INSERT, {"job_id": job_id, "run_number": run_number,
                                        "type": type_, "stage": stage, "message": message,
                                        "data": data or {}, "dedupe_key": None})
        return
    event = JobEvent(job_id=job_id, run_number=run_number, type=type_, stage=stage,
                     message=message, data=data or {}, dedupe_key=dedupe_key)
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        pass


def list_events(session: Session, job_id: str, *, after_id: int = 0,
                limit: int = 500) -> list[JobEvent]:
    return list(
        session.scalars(
            select(JobEvent)
            .where(JobEvent.job_id == job_id, JobEvent.id > after_id)
            .order_by(JobEvent.id)
            .limit(limit)
        )
    )


def list_jobs(session: Session, account_id: str, *, status: str | None = None,
              page: int = 1, page_size: int = 20) -> tuple[list[Job], int]:
    base = select(Job).where(Job.account_id == account_id)
    if status:
        base = base.where(Job.status == status)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(Job.created_at.desc()).offset((page - 1) * page_size).limit(page_size)
    )
    return list(rows), int(total)


def record_call(session: Session, *, job_id: str, run_number: int, capability: str, item: str,
                provider: str, units: float, unit: str, request_id: str | None = None,
                dedupe_key: str | None = None) -> None:
    """Record one billable call; with ``dedupe_key`` a repeated step records it once."""
    call = ProviderCall(job_id=job_id, run_number=run_number, capability=capability,
                        item=item, provider=provider, units=units, unit=unit,
                        request_id=request_id, dedupe_key=dedupe_key)
    if dedupe_key is None:
        session.add(call)
        return
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        pass


def usage(session: Session, job_id: str) -> dict[str, dict[str, Any]]:
    """Billable units per capability for a job: calls, units and unit, and who served them."""
    rows = session.execute(
        select(ProviderCall.capability, ProviderCall.unit, ProviderCall.provider,
               func.count(), func.sum(ProviderCall.units))
        .where(ProviderCall.job_id == job_id)
        .group_by(ProviderCall.capability, ProviderCall.unit, ProviderCall.provider)
    )
    found: dict[str, dict[str, Any]] = {}
    for capability, unit, provider, calls, units in rows:
        entry = found.setdefault(capability, {"calls": 0, "units": 0.0, "unit": unit,
                                              "providers": []})
        entry["calls"] += int(calls)
        entry["units"] = round(entry["units"] + float(units or 0.0), 3)
        entry["providers"] = sorted({*entry["providers"], provider})
    return dict(sorted(found.items()))


def count_calls(session: Session, job_id: str) -> dict[tuple[str, str], int]:
    """Provider calls per (capability, item) for a job."""
    rows = session.execute(
        select(ProviderCall.capability, ProviderCall.item, func.count())
        .where(ProviderCall.job_id == job_id)
        .group_by(ProviderCall.capability, ProviderCall.item)
    )
    return {(c, i): int(n) for c, i, n in rows}


def find_job_by_idempotency_key(session: Session, account_id: str, key: str) -> Job | None:
    """The account's job created with ``idempotency_key`` ``key``, if any."""
    return session.scalar(
        select(Job).where(Job.account_id == account_id, Job.idempotency_key == key)
    )


def job_list_rows(session: Session, account_id: str, *, status: str | None = None,
                  page: int = 1, page_size: int = 20
                  ) -> tuple[list[Any], dict[str, list[Any]], int]:
    """One page of the account's jobs, newest first, as plain rows; each job's stages (in
    order, without their outputs); and how many jobs match in all. A list read often (a live
    page reads it every second), so no ORM objects."""
    jobs, stages = Job.__table__, JobStage.__table__
    mine = jobs.c.account_id == account_id
    if status:
        mine = mine & (jobs.c.status == status)
    conn = session.connection()
    total = conn.execute(select(func.count()).select_from(jobs).where(mine)).scalar() or 0
    rows = list(conn.execute(select(jobs).where(mine).order_by(jobs.c.created_at.desc())
                             .offset((page - 1) * page_size).limit(page_size)).all())
    found: dict[str, list[Any]] = {row.id: [] for row in rows}
    if rows:
        for st in conn.execute(
                select(stages.c.job_id, stages.c.stage, stages.c.status, stages.c.run_number,
                       stages.c.started_at, stages.c.finished_at, stages.c.credits_used,
                       stages.c.error)
                .where(stages.c.job_id.in_(list(found))).order_by(stages.c.position)):
            found[st.job_id].append(st)
    return rows, found, int(total)


def owner_of(session: Session, job_id: str) -> str | None:
    """The account of a job (None: no such job)."""
    return session.connection().execute(
        select(Job.__table__.c.account_id).where(Job.__table__.c.id == job_id)).scalar()


def event_lines(session: Session, job_id: str, *, after_id: int = 0,
                limit: int = 500) -> list[Any]:
    """A job's events after ``after_id``, oldest first, without their data (plain rows)."""
    events = JobEvent.__table__
    return list(session.connection().execute(
        select(events.c.id, events.c.type, events.c.run_number, events.c.stage,
               events.c.message, events.c.created_at)
        .where(events.c.job_id == job_id, events.c.id > after_id)
        .order_by(events.c.id).limit(limit)).all())


def delete_finished_job(session: Session, job_id: str) -> bool:
    """Delete a job that has ended, with its stages, events and attempts; True if deleted.

    One guarded DELETE: a job that is queued or running (or was retried meanwhile) is left
    alone. Ledger lines (``credit_transactions``) and provider calls keep their ``job_id``
    (a plain column, no foreign key), so balances and vendor costs still add up.
    """
    gone = session.execute(delete(Job).where(Job.id == job_id,
                                             Job.status.in_(TERMINAL_STATUSES)))
    if not gone.rowcount:  # type: ignore[attr-defined]
        return False
    # The foreign keys cascade; deleting explicitly too keeps a connection without
    # SQLite's foreign_keys pragma from leaving rows behind.
    for child in (JobItem, JobEvent, JobStage):
        session.execute(delete(child).where(child.job_id == job_id))
    return True


def existing_job_ids(session: Session, job_ids: Collection[str]) -> set[str]:
    """Which of ``job_ids`` are jobs."""
    ids = list(job_ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):  # bounded IN lists
        found.update(session.scalars(select(Job.id).where(Job.id.in_(ids[start:start + 500]))))
    return found


def active_job_ids(session: Session) -> set[str]:
    """Jobs that are queued or running (their work files are in use)."""
    return set(session.scalars(select(Job.id).where(Job.status.not_in(TERMINAL_STATUSES))))
