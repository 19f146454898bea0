"""Jobs: submit (``prepare`` and queue), retry from a stage, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from dbos import DBOS, SetWorkflowID
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ugen.core.config import Settings, get_settings
from ugen.core.estimate import Estimate
from ugen.core.schemas import JobOptions, options_from_params
from ugen.core.types import (
    STAGES,
    TERMINAL_STATUSES,
    StageName,
    progress_at_stage_start,
    stage_index,
)
from ugen.pipeline import runtime
from ugen.pipeline.outputs import PrepareOutput, parse_output
from ugen.pipeline.prepare import (
    JobValidationError,
    PreparedJob,
    check_product_image,
    prepare_job,
)
from ugen.pipeline.queues import JOBS_QUEUE, REVIEW_QUEUE, get_queue
from ugen.pipeline.state import cancel_job_state
from ugen.pipeline.workflow import job_workflow, reviewed_job_workflow, workflow_id_for
from ugen.service.brand_kit import require_logo, snapshot_for_job
from ugen.service.music import check_job_music
from ugen.social.connections import list_connections
from ugen.social.errors import PlatformNotConfiguredError
from ugen.social.registry import platform_for
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store.artifacts import artifact_store
from ugen.store.db import autocommit_session, session_scope
from ugen.store.limits import JobLimits
from ugen.store.models import utcnow


class JobNotFoundError(LookupError):
    pass


class _Owned(Protocol):
    @property
    def account_id(self) -> str: ...


OwnedT = TypeVar("OwnedT", bound=_Owned)


def owned(job: OwnedT | None, job_id: str, account_id: str | None = None) -> OwnedT:
    """The job, if it exists and (with ``account_id``) is that account's.

    Raises:
        JobNotFoundError: no such job, or another account's (the two are not told apart).
    """
    if job is None or (account_id is not None and job.account_id != account_id):
        raise JobNotFoundError(job_id)
    return job


class JobStateError(Exception):
    """The job is not in a state that allows the action (HTTP 409)."""


def ensure_default_account(settings: Settings) -> str:
    """The CLI's account, created on first use with its starter credits."""
    account_id = settings.default_account
    with session_scope(settings) as s:
        ledger.ensure_account(s, account_id, account_id,
                              initial_credits=settings.default_account_credits)
    return account_id


def _run_queue(options: JobOptions | None) -> tuple[str, Callable[..., object]]:
    """The queue and workflow of a job's run: one that may wait for a reviewer goes on the
    review queue, holding no job slot while it waits."""
    if options is not None and options.human_review_max_rejections > 0:
        return REVIEW_QUEUE, reviewed_job_workflow
    return JOBS_QUEUE, job_workflow


def _enqueue(job_id: str, run_number: int, from_stage: str,
             options: JobOptions | None = None) -> str:
    """Queue the job's run; ``options``: the job's, when the caller has them (else read)."""
    wfid = workflow_id_for(job_id, run_number)
    if options is None:
        with session_scope(get_settings()) as s:
            job = job_store.get_job(s, job_id)
            options = options_from_params(job.params) if job is not None else None
    queue, workflow = _run_queue(options)
    with SetWorkflowID(wfid):
        get_queue(queue).enqueue(workflow, job_id, run_number, from_stage)
    return wfid


def queue_first_run(session: Session, job_id: str, options: JobOptions) -> None:
    """Queue a new job's first run in the transaction that creates the job
    (``prepare_job``'s ``queue``)."""
    queue, workflow = _run_queue(options)
    runtime.enqueue_in_transaction(session, queue, workflow, workflow_id_for(job_id, 1),
                                   job_id, 1, "agents")


def job_inputs(settings: Settings, account_id: str,
               options: JobOptions) -> Callable[[str], None] | None:
    """What a new job stores beside its product image (``prepare_job``'s ``inputs``): the
    brand-kit logo and settings when it has the watermark, so a later change of the brand
    kit never changes what a retry draws."""
    if not options.brand_kit_enabled:
        return None
    return lambda job_id: snapshot_for_job(settings, account_id, job_id)


def submit_job(settings: Settings, *, account_id: str, options: JobOptions, image: Path,
               limits: JobLimits | None = None, template_id: str | None = None,
               idempotency: tuple[str, str] | None = None) -> PreparedJob:
    """Validate, reserve and queue a job; return it as created (``prepare`` is done).

    ``limits``: the account's job limits to enforce (the API's; the CLI has none).
    ``template_id``: the template ``options`` were made from; its use is counted with the
    job's creation (``TemplateNotFoundError`` if it is gone meanwhile).
    ``idempotency``: ``(idempotency_key, request hash)`` to keep on the job (a key the
    account used already raises ``IntegrityError``; :func:`submit_job_once` answers it).

    The job and its first run are written in one transaction: a job is never left without
    its run, nor a run without its job.
    """
    check_account_options(settings, account_id, options)
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    job_id = str(uuid.uuid4())
    return prepare_job(settings, account_id=account_id, options=options, image=image,
                       limits=limits, template_id=template_id, job_id=job_id,
                       workflow_id=workflow_id_for(job_id, 1), idempotency=idempotency,
                       inputs=job_inputs(settings, account_id, options),
                       queue=lambda session, job_id: queue_first_run(session, job_id, options))


def check_account_options(settings: Settings, account_id: str, options: JobOptions) -> None:
    """The options that name something of the account name what it has: the platforms of
    ``auto_post`` connected, a brand-kit logo for the watermark, its own custom music.

    Raises:
        JobValidationError: naming the field.
    """
    check_auto_post(settings, account_id, options)
    if options.brand_kit_enabled:
        require_logo(settings, account_id)
    check_job_music(settings, account_id, options)


def check_auto_post(settings: Settings, account_id: str, options: JobOptions) -> None:
    """Every ``auto_post`` platform is configured and connected (active) for the account.

    Raises:
        JobValidationError: ``auto_post`` names a platform the account cannot post to.
    """
    if not options.auto_post:
        return
    active = {c.platform for c in list_connections(settings, account_id)
              if c.status == "active"}
    for entry in options.auto_post:
        try:
            platform_for(settings, entry.platform)
        except PlatformNotConfiguredError as err:
            raise JobValidationError("auto_post", str(err)) from err
        if entry.platform not in active:
            raise JobValidationError(
                "auto_post", f"{entry.platform} is not connected for this account: connect "
                f"it first (GET /api/v1/social/{entry.platform}/connect, or the dashboard's "
                "Connections page)")


class IdempotencyConflictError(Exception):
    """The ``idempotency_key`` was used before with a different request (HTTP 409)."""

    def __init__(self, job_id: str) -> None:
        super().__init__("idempotency_key was already used with different parameters")
        self.job_id = job_id


def _idempotent_match(settings: Settings, account_id: str, key: str,
                      request_hash: str) -> str | None:
    with autocommit_session(settings) as s:  # one SELECT: no transaction around it
        found = job_store.find_job_by_idempotency_key(s, account_id, key)
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise IdempotencyConflictError(found.id)
    return found.id


def submit_job_once(settings: Settings, *, account_id: str, options: JobOptions, image: Path,
                    idempotency_key: str, request_hash: str,
                    limits: JobLimits | None = None,
                    template_id: str | None = None) -> tuple[str, bool]:
    """Like :func:`submit_job`, at most once per ``idempotency_key`` of the account.

    Returns:
        ``(job_id, created)``; ``created`` is False when the key's job is returned again.

    Raises:
        IdempotencyConflictError: the key was used with a different ``request_hash``.
    """
    existing = _idempotent_match(settings, account_id, idempotency_key, request_hash)
    if existing is not None:
        return existing, False
    try:
        return submit_job(settings, account_id=account_id, options=options, image=image,
                          limits=limits, template_id=template_id,
                          idempotency=(idempotency_key, request_hash)).id, True
    except IntegrityError:
        # A concurrent request with the same key won the race: ours wrote nothing.
        winner = _idempotent_match(settings, account_id, idempotency_key, request_hash)
        if winner is None:  # pragma: no cover - the winner cannot vanish
            raise
        return winner, False


def _first_unfinished(stages: list[Any]) -> str | None:
    for st in stages:
        if st.status != "completed":
            return str(st.stage)
    return None


def retry_job(settings: Settings, job_id: str, from_stage: str | None = None, *,
              qai_mode: str | None = None, max_retries_keyframe: int | None = None,
              max_retries_video: int | None = None) -> dict[str, Any]:
    """Start a new run from ``from_stage`` (default: the first unfinished stage).

    Stages before it keep their outputs; credits are reserved for ``from_stage`` onward.
    Keyframes and segments of earlier runs made from the same inputs are reused where they
    pass QA (nothing is paid for them again). ``qai_mode`` and the ``max_retries_*`` given
    replace the job's own from this run on (a job that failed QA may be retried with a more
    lenient mode, or with more attempts).

    Raises:
        JobNotFoundError, JobStateError, ledger.InsufficientCreditsError,
        ValueError (unknown stage, or a value a job does not accept).
    """
    changes = {name: value for name, value in (
        ("qai_mode", qai_mode), ("max_retries_keyframe", max_retries_keyframe),
        ("max_retries_video", max_retries_video)) if value is not None}
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    if from_stage is not None and from_stage not in STAGES:
        raise ValueError(f"unknown from_stage {from_stage!r}; choose one of {', '.join(STAGES)}")
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id)
        if job.status not in ("failed", "stopped", "cancelled"):
            raise JobStateError(f"job is {job.status}; only failed, stopped or cancelled jobs "
                                "can be retried")
        stages = job_store.get_stages(s, job_id)
        limit = _first_unfinished(stages)
        if limit is None:
            raise JobStateError("every stage already completed")
        start: StageName = from_stage or limit  # type: ignore[assignment]
        if stage_index(start) > stage_index(limit):
            raise JobStateError(f"cannot retry from {start}: {limit} has not completed; "
                                f"retry from {limit} or an earlier stage")
        prepared = parse_output(PrepareOutput, job_store.get_stage(s, job_id, "prepare").outputs)
        if start == "prepare":
            store = artifact_store(settings)
            check_product_image(store.path(prepared.product_image), settings)
        params = dict(job.params)
        if changes:
            try:
                JobOptions.model_validate({**params, **changes})
            except ValidationError as err:
                raise ValueError("; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()
                )) from None
            params.update(changes)
        cost = Estimate.from_dict(job.estimate)
        amount = cost.from_stage(start)
        run = job.run_number + 1
        ledger.reserve(s, job.account_id, job_id, amount, key=f"{job_id}:{run}:reserve",
                       description=f"retry from {start}")
        for st in stages:
            if stage_index(st.stage) >= stage_index(start):
                job_store.set_stage(s, job_id, st.stage, status="pending", error=None,
                                    error_detail=None,
                                    started_at=None, finished_at=None, outputs={},
                                    credits_used=0)
        if start == "prepare":
            job_store.set_stage(s, job_id, "prepare", status="completed", run_number=run,
                                started_at=utcnow(), finished_at=utcnow(),
                                outputs=prepared.model_dump(mode="json"))
        job_store.set_job_fields(
            s, job_id, only_if_active=False, status="queued", run_number=run,
            current_stage=start, progress_percent=progress_at_stage_start(start),
            credits_reserved=amount, error_stage=None, error_message=None, finished_at=None,
            cancel_requested=False, final_video=None, thumbnail=None,
            workflow_id=workflow_id_for(job_id, run), params=params,
        )
        job_store.add_event(s, job_id, "job_retried", run_number=run, stage=start,
                            message=f"retry from {start}; {amount} credits reserved",
                            data={"from_stage": start, "credits_reserved": amount,
                                  "changes": changes})
    _enqueue(job_id, run, "agents" if start == "prepare" else start)
    return {"job_id": job_id, "from_stage": start, "run_number": run,
            "credits_reserved": amount, "changes": changes}


def cancel_job(settings: Settings, job_id: str) -> bool:
    """Cancel a queued or running job; its unused credits are released at once."""
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id)
        if job.status in TERMINAL_STATUSES:
            raise JobStateError(f"job is already {job.status}")
        job_store.set_job_fields(s, job_id, cancel_requested=True)
        wfid = job.workflow_id
    if wfid:
        # Its children too: a stage on another queue, a keyframe waiting for review.
        DBOS.cancel_workflow(wfid, cancel_children=True)
    return cancel_job_state(job_id)


def check_owner(settings: Settings, job_id: str, account_id: str) -> None:
    """Raises: JobNotFoundError: no such job, or another account's (not told apart)."""
    with session_scope(settings) as s:
        owned(job_store.get_job(s, job_id), job_id, account_id)
