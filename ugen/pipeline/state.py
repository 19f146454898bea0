"""Steps that move the job's user-visible state and money between stages.

They are DBOS steps, so a replayed workflow does not repeat them, and every write is guarded
(a finished job is never moved back; ledger lines carry idempotency keys).
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from dbos import DBOS

from ugen.core.config import get_settings
from ugen.core.estimate import Estimate
from ugen.core.metrics import observe_stage
from ugen.core.types import STAGES, StageName, progress_at_stage_start, stage_index
from ugen.pipeline.errors import StageError
from ugen.pipeline.outputs import CompleteOutput, StageOutput, parse_output
from ugen.pipeline.workfiles import clean_run_work
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store.db import session_scope
from ugen.store.models import utcnow
from ugen.webhooks.delivery import notify_job_ended

log = logging.getLogger(__name__)


@DBOS.step()
def begin_run_step(job_id: str, run_number: int) -> bool:
    """Mark the job running; False when it was cancelled before it started."""
    with session_scope(get_settings()) as s:
        job = job_store.get_job(s, job_id)
        if job is None or job.status == "cancelled" or job.cancel_requested:
            return False
        job_store.set_job_fields(s, job_id, status="running",
                                 started_at=job.started_at or utcnow())
        job_store.add_event(s, job_id, "job_started", run_number=run_number,
                            message=f"run {run_number} started",
                            dedupe_key=f"{job_id}:{run_number}:started")
    return True


@DBOS.step()
def stage_started_step(job_id: str, run_number: int, stage: StageName) -> None:
    with session_scope(get_settings()) as s:
        if not job_store.set_job_fields(s, job_id, current_stage=stage):
            return
        job_store.raise_progress(s, job_id, progress_at_stage_start(stage))
        job_store.set_stage(s, job_id, stage, status="running", run_number=run_number,
                            started_at=utcnow(), finished_at=None, error=None,
                            error_detail=None)
        job_store.add_event(s, job_id, "stage_started", run_number=run_number, stage=stage,
                            message=f"{stage} started",
                            dedupe_key=f"{job_id}:{run_number}:{stage}:started")


@DBOS.step()
def stage_completed_step(job_id: str, run_number: int, stage: StageName,
                         output: StageOutput) -> None:
    """Keep what the stage made with its record; move progress on."""
    outputs = output.model_dump(mode="json")
    with session_scope(get_settings()) as s:
        job = job_store.get_job(s, job_id)
        assert job is not None
        used = Estimate.from_dict(job.estimate).by_stage()[stage]
        started = job_store.get_stage(s, job_id, stage).started_at
        finished = utcnow()
        job_store.set_stage(s, job_id, stage, status="completed", finished_at=finished,
                            outputs=outputs, credits_used=used, error=None,
                            error_detail=None)
        if started is not None:  # SQLite gives back naive datetimes; all are UTC
            started = started if started.tzinfo else started.replace(tzinfo=UTC)
            observe_stage(stage, (finished - started).total_seconds())
            log.info("stage %s completed in %.1f s (run %d)", stage,
                     (finished - started).total_seconds(), run_number)
        nxt = stage_index(stage) + 1
        if nxt < len(STAGES):
            job_store.raise_progress(s, job_id, progress_at_stage_start(STAGES[nxt]))
        job_store.add_event(s, job_id, "stage_completed", run_number=run_number, stage=stage,
                            message=f"{stage} completed", data={"outputs": outputs},
                            dedupe_key=f"{job_id}:{run_number}:{stage}:completed")
    # What the stage made is stored and recorded: its scratch on this machine can go (a
    # media stage's, made on a media worker, is removed there by media_stage_workflow).
    clean_run_work(get_settings(), job_id, run_number)


def _settle(s: Any, job_id: str, run_number: int, *, status: str, **fields: Any) -> bool:
    """End the run: consume what this run's finished stages used, release the rest."""
    job = job_store.get_job(s, job_id)
    assert job is not None
    if not job_store.set_job_fields(s, job_id, status=status, finished_at=utcnow(), **fields):
        return False
    stages = job_store.get_stages(s, job_id)
    used = sum(st.credits_used for st in stages
               if st.status == "completed" and st.run_number == run_number)
    reserved = job.credits_reserved
    used = min(used, reserved)
    ledger.settle(s, job.account_id, job_id, reserved=reserved, used=used,
                  key=f"{job_id}:{run_number}:settle", description=f"{status} (run {run_number})")
    job_store.set_job_fields(s, job_id, only_if_active=False, credits_reserved=0,
                             credits_consumed=job.credits_consumed + used)
    return True


def stage_failed_step(job_id: str, run_number: int, stage: StageName,
                      error: StageError) -> None:
    """The stage failed: record it and settle (a step), then queue the ``job.failed`` webhook."""
    _stage_failed_step(job_id, run_number, stage, error)
    notify_job_ended(job_id, run_number)


def job_finished_step(job_id: str, run_number: int, status: str) -> None:
    """End the job (a step), then queue the ``job.completed`` webhook when it completed."""
    _job_finished_step(job_id, run_number, status)
    if status == "completed":
        notify_job_ended(job_id, run_number)


# The steps keep their original DBOS names, so workflows recorded before the webhook hooks
# replay them unchanged.
@DBOS.step(name="stage_failed_step")
def _stage_failed_step(job_id: str, run_number: int, stage: StageName,
                       error: StageError) -> None:
    message = f"{stage} failed: {error.message}"
    with session_scope(get_settings()) as s:
        job_store.set_stage(s, job_id, stage, status="failed", finished_at=utcnow(), error=message,
                            error_detail=error.model_dump(mode="json"))
        if _settle(s, job_id, run_number, status="failed", error_stage=stage,
                   error_message=message):
            job_store.add_event(s, job_id, "job_failed", run_number=run_number, stage=stage,
                                message=message,
                                dedupe_key=f"{job_id}:{run_number}:failed")
    clean_run_work(get_settings(), job_id, run_number)  # a retry is a new run, with its own


@DBOS.step(name="job_finished_step")
def _job_finished_step(job_id: str, run_number: int, status: str) -> None:
    """``completed`` (with the final artifacts) or ``stopped`` (stop_at_stage reached)."""
    with session_scope(get_settings()) as s:
        fields: dict[str, Any] = {}
        if status == "completed":
            out = parse_output(CompleteOutput, job_store.get_stage(s, job_id, "complete").outputs)
            fields = {"final_video": out.final_video, "thumbnail": out.thumbnail,
                      "progress_percent": 100}
        if _settle(s, job_id, run_number, status=status, error_stage=None, error_message=None,
                   **fields):
            job_store.add_event(s, job_id, f"job_{status}", run_number=run_number,
                                message=f"job {status}",
                                dedupe_key=f"{job_id}:{run_number}:{status}")


def cancel_job_state(job_id: str, *, reason: str = "cancelled by user") -> bool:
    """Mark a job cancelled and settle its credits (used outside workflows too)."""
    with session_scope(get_settings()) as s:
        job = job_store.get_job(s, job_id)
        if job is None:
            return False
        run = job.run_number
        for st in job_store.get_stages(s, job_id):
            if st.status == "running":
                job_store.set_stage(s, job_id, st.stage, status="cancelled", finished_at=utcnow())
        ok = _settle(s, job_id, run, status="cancelled", error_message=reason)
        if ok:
            job_store.add_event(s, job_id, "job_cancelled", run_number=run, message=reason,
                                dedupe_key=f"{job_id}:{run}:cancelled")
        return ok


@DBOS.step()
def cancelled_step(job_id: str, run_number: int) -> None:
    cancel_job_state(job_id)
