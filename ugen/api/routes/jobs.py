"""``/jobs``: create, read, list, retry and cancel jobs, and download their outputs."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy import select

from ugen import service
from ugen.api.deps import AccountDep, ApiKeyDep, PageQ, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.job_views import JobStatuses, job_public
from ugen.api.routes.uploads import product_image_path
from ugen.api.schemas import (
    ErrorPublic,
    JobCreate,
    JobPublic,
    JobsPublic,
    RetryCreate,
    RetryPublic,
    total_pages,
)
from ugen.core.config import Settings
from ugen.core.types import JobStatus
from ugen.store import jobs as job_store
from ugen.store.artifacts import LocalArtifactStore
from ugen.store.db import session_scope
from ugen.store.limits import JobLimits
from ugen.store.models import Job, JobStage
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(prefix="/jobs", tags=["jobs"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})


def owned_job(settings: Settings, account: str, job_id: str) -> Job:
    """The account's job; another account's job is as absent as a missing one."""
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
    if job is None or job.account_id != account:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}")
    return job


def load_job(settings: Settings, account: str, job_id: str) -> JobPublic:
    with session_scope(settings) as s:
        job, stages = job_store.job_snapshot(s, job_id)
    if job is None or job.account_id != account:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}")
    return job_public(job, stages, settings)


@router.post("", status_code=201,
             responses={200: {"model": JobPublic, "description": "The job of a repeated "
                              "idempotency_key with the same body."},
                        402: {"model": ErrorPublic}, 409: {"model": ErrorPublic},
                        429: {"model": ErrorPublic, "description": "A job limit of the "
                              "account is reached; retry after `Retry-After` seconds."}})
def create_job(body: JobCreate, response: Response, settings: SettingsDep,
               account: AccountDep) -> JobPublic:
    """Create a job: validate, price, reserve credits and queue it."""
    if body.webhook_url is not None:
        try:
            check_webhook_url(body.webhook_url, allow_private=settings.allow_private_urls)
        except UnsafeWebhookUrlError as err:
            raise field_error("webhook_url", str(err), body.webhook_url,
                              reason=err.reason) from err
    image = product_image_path(settings, account, body.product_image_url)
    options = body.to_options()
    limits = JobLimits(max_concurrent=settings.max_concurrent_jobs,
                       max_daily=settings.max_daily_jobs)
    if body.idempotency_key is not None:
        job_id, created = service.submit_job_once(
            settings, account_id=account, options=options, image=image,
            idempotency_key=body.idempotency_key, request_hash=body.request_hash(),
            limits=limits)
        if not created:
            response.status_code = 200
    else:
        job_id = service.submit_job(settings, account_id=account, options=options, image=image,
                                    limits=limits)
    return load_job(settings, account, job_id)


@router.get("")
def list_jobs(settings: SettingsDep, account: AccountDep,
              page: PageQ = 1,
              page_size: Annotated[int, Query(ge=1, le=100)] = 20,
              status: JobStatus | None = None) -> JobsPublic:
    """List the account's jobs, newest first."""
    with session_scope(settings) as s:
        rows, total = job_store.list_jobs(s, account, status=status, page=page,
                                          page_size=page_size)
        stages: dict[str, list[JobStage]] = {j.id: [] for j in rows}
        if rows:
            for st in s.scalars(select(JobStage).where(JobStage.job_id.in_(list(stages)))
                                .order_by(JobStage.position)):
                stages[st.job_id].append(st)
        items = [job_public(j, stages[j.id], settings) for j in rows]
    return JobsPublic(items=items, total=total, page=page, page_size=page_size,
                      total_pages=total_pages(total, page_size))


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job_id: str, request: Request, api_key: ApiKeyDep) -> Response:
    """Get a job: status, stage, progress, stages, credits and outputs."""
    # The hot path of every polling client, answered on the event loop (a thread-pool trip
    # costs more than the reads). The app's fast path (``ugen.api.fast_status``) answers it
    # before routing with the same JobStatuses; this route documents it and is the fallback.
    statuses: JobStatuses = request.app.state.job_statuses
    return Response(statuses.body(api_key, job_id), media_type="application/json")


@router.post("/{job_id}/retry", responses={402: {"model": ErrorPublic},
                                           409: {"model": ErrorPublic}})
def retry_job(job_id: str, settings: SettingsDep, account: AccountDep,
              body: Annotated[RetryCreate | None, Body()] = None) -> RetryPublic:
    """Retry a failed, stopped or cancelled job from a stage."""
    owned_job(settings, account, job_id)
    result = service.retry_job(settings, job_id, body.from_stage if body else None)
    return RetryPublic(**result)


@router.post("/{job_id}/cancel", responses={409: {"model": ErrorPublic}})
def cancel_job(job_id: str, settings: SettingsDep, account: AccountDep) -> JobPublic:
    """Cancel a queued or running job; its unused credits are released at once."""
    owned_job(settings, account, job_id)
    service.cancel_job(settings, job_id)
    return load_job(settings, account, job_id)


def _download(settings: Settings, account: str, job_id: str, which: str) -> FileResponse:
    job = owned_job(settings, account, job_id)
    key = job.final_video if which == "video" else job.thumbnail
    if job.status != "completed" or not key:
        raise ApiError(404, "OUTPUT_NOT_READY",
                       f"job {job_id} is {job.status}; its {which} exists once it completes",
                       {"status": job.status})
    path = LocalArtifactStore(settings.artifacts_dir).path(key)
    if not path.is_file():
        raise ApiError(404, "OUTPUT_NOT_FOUND", f"the {which} of job {job_id} is gone")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type,
                        filename=f"{job_id}{path.suffix}" if which == "video" else None)


@router.get("/{job_id}/video", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}}})
def download_video(job_id: str, settings: SettingsDep, account: AccountDep) -> FileResponse:
    """Download the finished MP4 of a completed job."""
    return _download(settings, account, job_id, "video")


@router.get("/{job_id}/thumbnail", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}})
def download_thumbnail(job_id: str, settings: SettingsDep, account: AccountDep
                       ) -> FileResponse:
    """Download the poster JPEG of a completed job."""
    return _download(settings, account, job_id, "thumbnail")
