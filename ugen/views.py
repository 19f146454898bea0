"""The job as every client sees it: one view built by one function.

:func:`job_public` builds :class:`JobPublic` (``GET /api/v1/jobs/{job_id}``, the job list,
the fast status path, ``ugen show`` and the dashboard) from a job and its stages, as ORM
models, Core rows or the status records of ``store.status_reads``; :func:`stage_details`
builds each stage with what it made (``GET /api/v1/jobs/{job_id}/stages``), its media as
signed, expiring URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, overload

from pydantic import BaseModel, Field

from ugen.core.config import Settings
from ugen.core.estimate import Estimate
from ugen.core.schemas import JobOptions, options_from_params
from ugen.core.types import STAGES, TERMINAL_STATUSES, JobStatus, StageName, StageStatus
from ugen.pipeline.errors import ErrorCategory, StageError
from ugen.pipeline.outputs import (
    OUTPUT_MODELS,
    SIGN_ARTIFACT,
    AgentsOutput,
    Artifact,
    AudioOutput,
    CaptionsOutput,
    CompleteOutput,
    ConcatOutput,
    GenerationOutput,
    InitOutput,
    LegacyOutputError,
    PrepareOutput,
    StageOutput,
    parse_output,
)
from ugen.store.artifacts import ArtifactKey
from ugen.store.signed_urls import sign_artifact


@overload
def as_utc(value: datetime) -> datetime: ...


@overload
def as_utc(value: None) -> None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class JobLike(Protocol):
    """The columns of a job the view is built from (ORM model, row or status record)."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def current_stage(self) -> str | None: ...

    @property
    def progress_percent(self) -> int: ...

    @property
    def run_number(self) -> int: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def estimate(self) -> dict[str, Any]: ...

    @property
    def credits_reserved(self) -> int: ...

    @property
    def credits_consumed(self) -> int: ...

    @property
    def error_stage(self) -> str | None: ...

    @property
    def error_message(self) -> str | None: ...

    @property
    def final_video(self) -> str | None: ...

    @property
    def thumbnail(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def started_at(self) -> datetime | None: ...

    @property
    def finished_at(self) -> datetime | None: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def idempotency_key(self) -> str | None: ...


class StageLike(Protocol):
    @property
    def stage(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def run_number(self) -> int: ...

    @property
    def started_at(self) -> datetime | None: ...

    @property
    def finished_at(self) -> datetime | None: ...

    @property
    def credits_used(self) -> int: ...

    @property
    def error(self) -> str | None: ...


class StagePublic(BaseModel):
    name: StageName
    status: StageStatus
    run_number: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    credits_used: int
    error: str | None


class CostComponentPublic(BaseModel):
    component: str
    stage: StageName
    quantity: float
    unit: str
    unit_credits: int
    credits: int
    note: str = ""


class EstimatePublic(BaseModel):
    total: int
    components: list[CostComponentPublic]
    by_stage: dict[str, int] = Field(default_factory=dict)


def estimate_public(data: dict[str, Any]) -> EstimatePublic:
    """A stored ``Estimate.to_dict()`` as the API shows it."""
    return EstimatePublic(
        total=int(data.get("total", 0)),
        components=[CostComponentPublic(**c) for c in data.get("components", [])],
        by_stage=dict(data.get("by_stage", {})),
    )


class RetryOptionPublic(BaseModel):
    from_stage: StageName
    credits: int = Field(description="What a retry from this stage reserves.")


class JobPublic(BaseModel):
    job_id: str
    status: JobStatus
    current_stage: StageName | None
    progress_percent: int
    run_number: int
    stages: list[StagePublic]
    estimate: EstimatePublic
    credits_reserved: int
    credits_consumed: int
    final_video_url: str | None = Field(description="Expiring signed download URL of the MP4 "
                                         "(no API key needed), once completed.")
    thumbnail_url: str | None = Field(description="Expiring signed URL of the poster JPEG, "
                                       "once completed.")
    error_stage: StageName | None
    error_message: str | None
    idempotency_key: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    params: dict[str, Any]
    retry_from: list[RetryOptionPublic] = Field(
        default_factory=list, description="The stages a retry may start from now, each "
                                          "with the credits it would reserve (empty while "
                                          "the job runs or once it completed).")

    # Read-only conveniences for templates and the CLI (not serialised).

    @property
    def options(self) -> JobOptions:
        """The job's options, validated from ``params``."""
        return options_from_params(dict(self.params))

    @property
    def product_name(self) -> str:
        return str(self.params.get("product_name") or "")

    @property
    def video_model(self) -> str:
        return str(self.params.get("video_model") or "")

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def cancellable(self) -> bool:
        return not self.ended


def duration_of(started: datetime | None, finished: datetime | None) -> float | None:
    return round((finished - started).total_seconds(), 3) if started and finished else None


def _stage(st: StageLike) -> StagePublic:
    return StagePublic(name=st.stage, status=st.status,  # type: ignore[arg-type]
                       run_number=st.run_number, started_at=as_utc(st.started_at),
                       finished_at=as_utc(st.finished_at),
                       duration_s=duration_of(st.started_at, st.finished_at),
                       credits_used=st.credits_used, error=st.error)


def retry_options(status: str, stages: Sequence[StageLike],
                  estimate: dict[str, Any]) -> list[RetryOptionPublic]:
    """Where a retry may start: any stage up to the first one that did not complete."""
    if status not in ("failed", "stopped", "cancelled"):
        return []
    cost = Estimate.from_dict(estimate)
    allowed: list[RetryOptionPublic] = []
    for st in sorted(stages, key=lambda s: STAGES.index(s.stage)):
        allowed.append(RetryOptionPublic(from_stage=st.stage,  # type: ignore[arg-type]
                                         credits=cost.from_stage(st.stage)))  # type: ignore[arg-type]
        if st.status != "completed":
            return allowed
    return []


def job_public(job: JobLike, stages: Sequence[StageLike], settings: Settings) -> JobPublic:
    """The job as every client sees it."""
    done = job.status == "completed"
    return JobPublic(
        job_id=job.id, status=job.status,  # type: ignore[arg-type]
        current_stage=job.current_stage,  # type: ignore[arg-type]
        progress_percent=job.progress_percent, run_number=job.run_number,
        stages=[_stage(st) for st in stages], estimate=estimate_public(job.estimate),
        credits_reserved=job.credits_reserved, credits_consumed=job.credits_consumed,
        final_video_url=(sign_artifact(settings, job.id, job.final_video)
                         if done and job.final_video else None),
        thumbnail_url=(sign_artifact(settings, job.id, job.thumbnail)
                       if done and job.thumbnail else None),
        error_stage=job.error_stage,  # type: ignore[arg-type]
        error_message=job.error_message, idempotency_key=job.idempotency_key,
        created_at=as_utc(job.created_at), started_at=as_utc(job.started_at),
        finished_at=as_utc(job.finished_at), updated_at=as_utc(job.updated_at),
        params=job.params, retry_from=retry_options(job.status, stages, job.estimate),
    )


# --- stages and what they made ----------------------------------------------------------------

_QA = re.compile(r"^(?P<item>[^:]+): failed QA after \d+ attempt\(s\): (?P<cats>[A-Z_, ]+) ")
_ITEM = re.compile(r"^(?P<item>(keyframe \d+( \(anchor\))?|segment \d+|script|soundtrack|"
                   r"captions|final video|segment join|keyframes and segments)): "
                   r"(?P<reason>.*)$", re.S)
_KINDS: tuple[tuple[str, ErrorCategory], ...] = (
    ("refused by the provider's content policy", "CONTENT_POLICY"),
    ("the provider stayed unavailable", "PROVIDER_UNAVAILABLE"),
    ("the provider", "PROVIDER_ERROR"),
    ("FFmpeg could not", "MEDIA_ERROR"),
)


def stage_error(stage: str, message: str | None, status: str,
                detail: dict[str, Any] | None = None) -> StageError | None:
    """A stage's failure: as its record keeps it, or read from the message of a record
    stored before failures kept their parts (the text is ``"<item>: <reason>"``)."""
    if status == "cancelled":
        return StageError(category="CANCELLED", item=None,
                          message=message or "the job was cancelled")
    if detail is not None:
        return StageError.model_validate(detail)
    if not message:
        return None
    text = message.removeprefix(f"{stage} failed: ")
    qa = _QA.match(text)
    if qa is not None:
        return StageError(category="QA_REJECTED", item=qa["item"], message=text,
                          qa_categories=[c.strip() for c in qa["cats"].split(",")])
    found = _ITEM.match(text)
    reason = found["reason"] if found else text
    category: ErrorCategory = next((c for words, c in _KINDS if reason.startswith(words)),
                                   "INTERNAL")
    return StageError(category=category, item=found["item"] if found else None, message=text)


class AttemptPublic(BaseModel):
    """One attempt at a keyframe or segment and its QA verdict (every run's, rejected ones
    included; a reused attempt names the earlier one's file)."""

    item: str
    run_number: int
    attempt: int
    artifact: Artifact
    score: float
    threshold: float
    passed: bool
    categories: list[str]
    reasons: list[str]
    reused: bool
    judged_at: datetime


class AttemptLike(Protocol):
    @property
    def item(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def run_number(self) -> int: ...

    @property
    def attempt(self) -> int: ...

    @property
    def artifact(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def threshold(self) -> float: ...

    @property
    def passed(self) -> bool: ...

    @property
    def verdict(self) -> dict[str, Any]: ...

    @property
    def reused_from(self) -> int | None: ...

    @property
    def created_at(self) -> datetime: ...


def attempt_public(row: AttemptLike) -> AttemptPublic:
    return AttemptPublic(item=row.item, run_number=row.run_number, attempt=row.attempt,
                         artifact=ArtifactKey(row.artifact), score=row.score,
                         threshold=row.threshold, passed=row.passed,
                         categories=list(row.verdict.get("categories", ())),
                         reasons=list(row.verdict.get("reasons", ())),
                         reused=row.reused_from is not None, judged_at=as_utc(row.created_at))


StageOutputs = (PrepareOutput | AgentsOutput | InitOutput | GenerationOutput | ConcatOutput
                | AudioOutput | CaptionsOutput | CompleteOutput)


class StageDetailPublic(BaseModel):
    """One stage of a job with what it made."""

    name: StageName
    status: StageStatus
    run_number: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    credits_used: int
    credits_estimated: int
    error: StageError | None
    outputs: StageOutputs | None = Field(
        description="What the stage made (once it completed), its media as `{key, url}` "
                    "with an expiring signed `url`.")
    attempts: list[AttemptPublic] = Field(
        default_factory=list, description="`init` and `generation`: every attempt at each "
                                          "keyframe and segment with its QA verdict.")


class StageRecordLike(StageLike, Protocol):
    @property
    def outputs(self) -> dict[str, Any]: ...

    @property
    def error_detail(self) -> dict[str, Any] | None: ...


def stage_detail(st: StageRecordLike, *, estimate: dict[str, Any], threshold: float,
                 path_of: Callable[[str], Path],
                 attempts: Sequence[AttemptLike] = ()) -> StageDetailPublic:
    """One stage with its typed outputs (None until it completed, or for an output of an
    old version that cannot be read any more)."""
    outputs: StageOutput | None = None
    if st.status == "completed" and st.outputs:
        try:
            outputs = parse_output(OUTPUT_MODELS[st.stage], dict(st.outputs),  # type: ignore[index]
                                   threshold=threshold, path_of=path_of)
        except LegacyOutputError:
            outputs = None
    planned = Estimate.from_dict(estimate).by_stage().get(st.stage, 0)
    return StageDetailPublic(
        name=st.stage, status=st.status,  # type: ignore[arg-type]
        run_number=st.run_number, started_at=as_utc(st.started_at),
        finished_at=as_utc(st.finished_at), duration_s=duration_of(st.started_at, st.finished_at),
        credits_used=st.credits_used, credits_estimated=planned,
        error=stage_error(st.stage, st.error, st.status, st.error_detail),
        outputs=outputs,  # type: ignore[arg-type]
        attempts=[attempt_public(a) for a in attempts if a.stage == st.stage],
    )


def signed_json(details: StageDetailPublic | list[StageDetailPublic], settings: Settings,
                job_id: str) -> bytes:
    """The JSON of stage details with every artifact as a signed ``{key, url}`` link."""
    context = {SIGN_ARTIFACT: lambda key: sign_artifact(settings, job_id, key)}
    if isinstance(details, list):
        body = b",".join(d.model_dump_json(context=context).encode() for d in details)
        return b"[" + body + b"]"
    return details.model_dump_json(context=context).encode()
