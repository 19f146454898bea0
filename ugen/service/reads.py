"""Reading jobs as every client sees them: the job view, its stages with what they made,
its files, events, calls and usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel

from ugen.core.config import Settings
from ugen.core.estimate import expected_usage
from ugen.core.schemas import JobOptions
from ugen.pipeline.outputs import OutputT, parse_output
from ugen.qa.base import threshold_for
from ugen.service.jobs import JobNotFoundError, owned
from ugen.store import items as item_store
from ugen.store import jobs as job_store
from ugen.store.api_keys import account_of_key
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import autocommit_session, session_scope
from ugen.store.models import JobEvent
from ugen.views import JobPublic, StageDetailPublic, as_utc, job_public, stage_detail


def job_view(settings: Settings, job_id: str, *, account_id: str | None = None) -> JobPublic:
    """The job as every client sees it (the API's ``GET /jobs/{job_id}``).

    Raises:
        JobNotFoundError: no such job, or (with ``account_id``) another account's.
    """
    # Two SELECTs without a transaction around them: a BEGIN and a COMMIT fewer on
    # PostgreSQL (it is read after every creation), whose READ COMMITTED gives each SELECT
    # its own snapshot anyway.
    with autocommit_session(settings) as s:
        found, stages = job_store.job_snapshot(s, job_id)
    job = owned(found, job_id, account_id)
    return job_public(job, stages, settings)


def list_job_views(settings: Settings, account_id: str, *, status: str | None = None,
                   page: int = 1, page_size: int = 20) -> tuple[list[JobPublic], int]:
    """The account's jobs as every client sees them, newest first; and how many in all."""
    with session_scope(settings) as s:
        rows, stages, total = job_store.job_list_rows(s, account_id, status=status, page=page,
                                                      page_size=page_size)
    return [job_public(row, stages[row.id], settings) for row in rows], total


def job_stages(settings: Settings, job_id: str, *,
               account_id: str | None = None) -> list[StageDetailPublic]:
    """The job's eight stages in order, each with what it made and (``init``,
    ``generation``) every attempt's QA verdict.

    Raises:
        JobNotFoundError: no such job, or (with ``account_id``) another account's.
    """
    return job_with_stages(settings, job_id, account_id=account_id)[1]


class JobReport(BaseModel):
    """Everything ``ugen show`` tells of a job: its view, its stages with what they made,
    the calls made for it, and where its files are: their keys in the artifact store, and
    their paths on this machine with local storage (with S3, None: the job view's
    ``final_video_url`` is the store's presigned URL, and nothing is downloaded to report)."""

    job: JobPublic
    stages: list[StageDetailPublic]
    provider_calls: dict[str, int]
    usage: dict[str, dict[str, Any]]
    final_video_key: str | None
    thumbnail_key: str | None
    final_video_path: str | None
    thumbnail_path: str | None


def job_report(settings: Settings, job_id: str) -> JobReport:
    """Raises: JobNotFoundError."""
    job = job_view(settings, job_id)
    with session_scope(settings) as s:
        calls = job_store.count_calls(s, job_id)
        row = job_store.get_job(s, job_id)
        assert row is not None
        final, thumb = row.final_video, row.thumbnail
    store = artifact_store(settings)

    def local(key: str | None) -> str | None:
        found = store.local_path(ArtifactKey(key)) if key else None
        return str(found) if found is not None else None

    return JobReport(
        job=job, stages=job_stages(settings, job_id),
        provider_calls={f"{c}:{i}": n for (c, i), n in sorted(calls.items())},
        usage=job_usage(settings, job_id),
        final_video_key=final or None, thumbnail_key=thumb or None,
        final_video_path=local(final), thumbnail_path=local(thumb))


def stage_output(settings: Settings, job_id: str, model: type[OutputT]) -> OutputT:
    """What a finished stage of the job made, as its typed model.

    Raises:
        JobNotFoundError; LookupError: the stage has not completed.
    """
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id)
        record = job_store.get_stage(s, job_id, model.stage)
        if record.status != "completed":
            raise LookupError(f"{model.stage} of job {job_id} is {record.status}")
        data, qai_mode = dict(record.outputs), str(job.params.get("qai_mode", "lenient"))
    store = artifact_store(settings)
    return parse_output(model, data, threshold=threshold_for(qai_mode),
                        path_of=lambda key: store.path(ArtifactKey(key)))


def artifact_path(settings: Settings, job_id: str, name: str) -> Path:
    """Where an artifact of a job (named within the job, ``keyframes/kf_01.png``) is.

    Raises:
        JobNotFoundError: no such job; ValueError: a name outside the job's artifacts.
    """
    with session_scope(settings) as s:
        owned(job_store.get_job(s, job_id), job_id)
    store = artifact_store(settings)
    return store.path(store.key(job_id, name))


class OutputNotReadyError(Exception):
    """A job's video or poster is asked for before the job completed."""

    def __init__(self, job_id: str, status: str, which: str) -> None:
        super().__init__(f"job {job_id} is {status}; its {which} exists once it completes")
        self.status = status


OutputKind = Literal["video", "thumbnail"]


def _output_key(settings: Settings, job_id: str, which: OutputKind,
                account_id: str | None) -> ArtifactKey:
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id, account_id)
        key = job.final_video if which == "video" else job.thumbnail
        status = job.status
    if status != "completed" or not key:
        raise OutputNotReadyError(job_id, status, which)
    return ArtifactKey(key)


def job_output_file(settings: Settings, job_id: str, which: OutputKind, *,
                    account_id: str | None = None) -> Path:
    """The finished MP4 or poster of a completed job, as a file on this machine (with S3:
    fetched into the cache; ``ugen run --out`` copies it).

    Raises:
        JobNotFoundError: no such job, or another account's; OutputNotReadyError: the job
        has not completed; FileNotFoundError: the file is gone.
    """
    path = artifact_store(settings).path(_output_key(settings, job_id, which, account_id))
    if not path.is_file():
        raise FileNotFoundError(f"the {which} of job {job_id} is gone")
    return path


@dataclass(frozen=True)
class OutputDownload:
    """Where a completed job's MP4 or poster is downloaded from: the store's presigned URL
    (S3: the client is sent there, the bytes never pass through the API), else the file on
    this machine (local storage)."""

    key: ArtifactKey
    filename: str | None
    """The name a browser saves it under (the video only: ``<job_id>.mp4``)."""
    url: str | None
    path: Path | None


def job_output_download(settings: Settings, job_id: str, which: OutputKind, *,
                        account_id: str | None = None) -> OutputDownload:
    """Where to download the finished MP4 or poster of a completed job from. A presigned
    URL is valid ``download_url_ttl_s``, as the job's ``final_video_url``; nothing is
    fetched from the store to give it.

    Raises:
        JobNotFoundError: no such job, or another account's; OutputNotReadyError: the job
        has not completed; FileNotFoundError: the file is gone (local storage; S3 answers
        404 itself).
    """
    key = _output_key(settings, job_id, which, account_id)
    filename = f"{job_id}{PurePosixPath(key).suffix}" if which == "video" else None
    store = artifact_store(settings)
    url = store.presigned_url(key, settings.download_url_ttl_s, filename=filename)
    if url is not None:
        return OutputDownload(key, filename, url, None)
    path = store.path(key)
    if not path.is_file():
        raise FileNotFoundError(f"the {which} of job {job_id} is gone")
    return OutputDownload(key, filename, None, path)


def job_usage(settings: Settings, job_id: str) -> dict[str, dict[str, Any]]:
    """Estimated versus actual billable units of a job, per capability.

    Each entry: ``estimated_units`` (None where the plan cannot tell, like voice characters
    before the script exists), ``units``, ``unit``, ``calls`` and the ``providers`` that
    served them.
    """
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id)
        actual = job_store.usage(s, job_id)
        params = dict(job.params)
    expected = expected_usage(JobOptions.model_validate(params))
    rows: dict[str, dict[str, Any]] = {}
    for capability in sorted({*expected, *actual}):
        found = actual.get(capability, {})
        estimated, unit = expected.get(capability, (None, found.get("unit", "call")))
        if found and found["unit"] != unit:
            estimated = None  # billed in another unit (a vendor's tokens, not calls)
        rows[capability] = {"estimated_units": estimated, "units": found.get("units", 0.0),
                            "unit": found.get("unit", unit), "calls": found.get("calls", 0),
                            "providers": found.get("providers", [])}
    return rows


@dataclass(frozen=True)
class JobEventView:
    """One line of a job's event log (the API's event stream carries the same fields)."""

    id: int
    job_id: str
    type: str
    run_number: int
    stage: str | None
    message: str
    data: dict[str, Any]
    created_at: datetime

    def public(self) -> dict[str, Any]:
        """The event as the event stream's ``data:`` JSON."""
        return {"id": self.id, "job_id": self.job_id, "type": self.type,
                "run_number": self.run_number, "stage": self.stage, "message": self.message,
                "data": self.data, "created_at": self.created_at.isoformat()}


def _event_view(e: JobEvent) -> JobEventView:
    return JobEventView(id=e.id, job_id=e.job_id, type=e.type, run_number=e.run_number,
                        stage=e.stage, message=e.message, data=dict(e.data),
                        created_at=as_utc(e.created_at))


def job_events(settings: Settings, account_id: str, job_id: str, *, after_id: int = 0,
               limit: int = 200) -> list[JobEventView]:
    """The account's job's events after ``after_id``, oldest first, at most ``limit``.

    Raises:
        JobNotFoundError: no such job, or another account's.
    """
    with session_scope(settings) as s:
        owned(job_store.get_job(s, job_id), job_id, account_id)
        return [_event_view(e)
                for e in job_store.list_events(s, job_id, after_id=after_id, limit=limit)]



@dataclass(frozen=True)
class EventPoll:
    """One look at a job for its event stream."""

    authorized: bool
    """The stream's key still belongs to the job's account (not revoked, not expired)."""
    progress: dict[str, Any]
    events: list[JobEventView]


def job_event_poll(settings: Settings, job_id: str, after_id: int, *, api_key: str,
                   account_id: str, limit: int = 200) -> EventPoll:
    """The job's progress and its events after ``after_id``, in one transaction that also
    checks the stream's key again (one indexed read)."""
    # Status first, then events: a terminal status implies its event is already visible.
    with session_scope(settings) as s:
        if account_of_key(s, api_key) != account_id:
            return EventPoll(False, {}, [])
        job = job_store.get_job(s, job_id)
        progress = ({"status": job.status, "current_stage": job.current_stage,
                     "progress_percent": job.progress_percent, "run_number": job.run_number}
                    if job else {"status": "cancelled"})
        events = job_store.list_events(s, job_id, after_id=after_id, limit=limit)
        return EventPoll(True, progress, [_event_view(e) for e in events])


def job_with_stages(settings: Settings, job_id: str, *, account_id: str | None = None
                    ) -> tuple[JobPublic, list[StageDetailPublic]]:
    """The job view and its eight stages with what they made, from one read of the job,
    its stages and its attempts (the dashboard's job page).

    Raises:
        JobNotFoundError: no such job, or (with ``account_id``) another account's.
    """
    with session_scope(settings) as s:
        found, stages = job_store.job_snapshot(s, job_id)
        job = owned(found, job_id, account_id)
        attempts = item_store.attempts_of(s, job_id)
        threshold = threshold_for(str(job.params.get("qai_mode", "lenient")))
        store = artifact_store(settings)
        details = [stage_detail(st, estimate=job.estimate, threshold=threshold,
                                path_of=lambda key: store.path(ArtifactKey(key)),
                                attempts=attempts) for st in stages]
        return job_public(job, stages, settings), details


@dataclass(frozen=True)
class EventLine:
    """One line of a job's event log as a page shows it (the event without its data)."""

    id: int
    type: str
    run_number: int
    stage: str | None
    message: str
    created_at: datetime


def job_event_lines(settings: Settings, account_id: str, job_id: str, *, after_id: int = 0,
                    limit: int = 500) -> list[EventLine]:
    """The account's job's event log after ``after_id``, oldest first, without the events'
    data (the dashboard's job page).

    Raises:
        JobNotFoundError: no such job, or another account's.
    """
    with session_scope(settings) as s:
        if job_store.owner_of(s, job_id) != account_id:
            raise JobNotFoundError(job_id)
        rows = job_store.event_lines(s, job_id, after_id=after_id, limit=limit)
    return [EventLine(id=r.id, type=r.type, run_number=r.run_number, stage=r.stage,
                      message=r.message, created_at=as_utc(r.created_at)) for r in rows]
