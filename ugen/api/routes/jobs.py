"""``/jobs``: create, read, list, retry, cancel and delete jobs, and download their outputs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError

from ugen import service
from ugen.api.deps import AccountDep, ApiKeyDep, PageQ, SettingsDep, client_address
from ugen.api.errors import ApiError, field_error
from ugen.api.job_views import JobStatuses
from ugen.api.routes.uploads import product_image_path
from ugen.api.schemas import (
    ErrorPublic,
    JobCreate,
    JobPublic,
    JobsPublic,
    RetryCreate,
    RetryPublic,
    TemplatedOptions,
    total_pages,
)
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.core.types import JobStatus, StageName
from ugen.store.limits import JobLimits
from ugen.views import StageDetailPublic, job_public, signed_json
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(prefix="/jobs", tags=["jobs"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


def owned_job(settings: Settings, account: str, job_id: str) -> None:
    """The account's job exists; another account's job is as absent as a missing one."""
    try:
        service.check_owner(settings, job_id, account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None


def load_job(settings: Settings, account: str, job_id: str) -> JobPublic:
    try:
        return service.job_view(settings, job_id, account_id=account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None


@router.post("", status_code=201, response_model=JobPublic,
             responses={200: {"model": JobPublic, "description": "The job of a repeated "
                              "idempotency_key with the same body."},
                        402: {"model": ErrorPublic}, 409: {"model": ErrorPublic},
                        429: {"model": ErrorPublic, "description": "A job limit of the "
                              "account is reached; retry after `Retry-After` seconds."}})
def create_job(body: JobCreate, settings: SettingsDep, account: AccountDep) -> Response:
    """Create a job: validate, price, reserve credits and queue it (with `template_id`,
    the template's config fills every field the body does not set)."""
    # The body is serialised here: the framework would check the JobPublic it was just
    # built as once more, on a trip through the thread pool of its own.
    view, status = _create_job(body, settings, account)
    return Response(view.model_dump_json(), status_code=status, media_type="application/json")


def _create_job(body: JobCreate, settings: Settings, account: str) -> tuple[JobPublic, int]:
    options = job_options(settings, account, body)
    if options.webhook_url is not None:
        try:
            check_webhook_url(options.webhook_url, allow_private=settings.allow_private_urls)
        except UnsafeWebhookUrlError as err:
            raise field_error("webhook_url", str(err), options.webhook_url,
                              reason=err.reason) from err
    image = product_image_path(settings, account, body.product_image_url)
    limits = JobLimits(max_concurrent=settings.max_concurrent_jobs,
                       max_daily=settings.max_daily_jobs)
    try:
        if body.idempotency_key is not None:
            job_id, created = service.submit_job_once(
                settings, account_id=account, options=options, image=image,
                idempotency_key=body.idempotency_key, request_hash=body.request_hash(),
                limits=limits, template_id=body.template_id)
        else:
            job = service.submit_job(settings, account_id=account, options=options,
                                     image=image, limits=limits, template_id=body.template_id)
            # The job as written (a worker may have moved it on since: clients poll).
            return job_public(job.job, job.stages, settings), 201
    except service.TemplateNotFoundError as err:  # deleted since its config was read
        raise _unknown_template(err.template_id) from None
    return load_job(settings, account, job_id), 201 if created else 200


def _unknown_template(template_id: str) -> RequestValidationError:
    return field_error("template_id", f"{template_id!r} is no template of this account; see "
                       "GET /api/v1/templates", template_id, reason="template_not_found")


def job_options(settings: Settings, account: str, body: TemplatedOptions) -> JobOptions:
    """The body's options, or with ``template_id`` the template's under the body's own.

    Raises:
        RequestValidationError: an unknown template, or merged options that make no job.
    """
    if body.template_id is None:
        return body.to_options()
    try:
        return service.options_with_template(settings, account, body.template_id,
                                             {"product_name": body.product_name,
                                              **body.own_fields()})
    except service.TemplateNotFoundError:
        raise _unknown_template(body.template_id) from None
    except ValidationError as err:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                      for e in err.errors()]) from None


@router.get("")
def list_jobs(settings: SettingsDep, account: AccountDep,
              page: PageQ = 1,
              page_size: Annotated[int, Query(ge=1, le=100)] = 20,
              status: JobStatus | None = None) -> JobsPublic:
    """List the account's jobs, newest first."""
    items, total = service.list_job_views(settings, account, status=status, page=page,
                                          page_size=page_size)
    return JobsPublic(items=items, total=total, page=page, page_size=page_size,
                      total_pages=total_pages(total, page_size))


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job_id: str, request: Request, api_key: ApiKeyDep) -> Response:
    """Get a job: status, stage, progress, stages, credits and outputs."""
    # The hot path of every polling client, answered on the event loop (a thread-pool trip
    # costs more than the reads). The app's fast path (``ugen.api.fast_status``) answers it
    # before routing with the same JobStatuses; this route documents it and is the fallback.
    statuses: JobStatuses = request.app.state.job_statuses
    return Response(statuses.body(api_key, job_id, client_address(request)),
                    media_type="application/json")


@router.post("/{job_id}/retry", responses={402: {"model": ErrorPublic},
                                           409: {"model": ErrorPublic}})
def retry_job(job_id: str, settings: SettingsDep, account: AccountDep,
              body: Annotated[RetryCreate | None, Body()] = None) -> RetryPublic:
    """Retry a failed, stopped or cancelled job from a stage."""
    owned_job(settings, account, job_id)
    body = body or RetryCreate.model_validate({})
    result = service.retry_job(settings, job_id, body.from_stage, qai_mode=body.qai_mode,
                               max_retries_keyframe=body.max_retries_keyframe,
                               max_retries_video=body.max_retries_video)
    return RetryPublic(**result)


@router.post("/{job_id}/cancel", responses={409: {"model": ErrorPublic}})
def cancel_job(job_id: str, settings: SettingsDep, account: AccountDep) -> JobPublic:
    """Cancel a queued or running job; its unused credits are released at once."""
    owned_job(settings, account, job_id)
    service.cancel_job(settings, job_id)
    return load_job(settings, account, job_id)


@router.delete("/{job_id}", status_code=204, response_class=Response,
               responses={409: {"model": ErrorPublic, "description": "The job is queued or "
                                "running: cancel it first."}})
def delete_job(job_id: str, settings: SettingsDep, account: AccountDep) -> Response:
    """Delete a finished job with its files; its credit transactions stay in the ledger."""
    try:
        service.delete_job(settings, job_id, account_id=account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None
    except service.JobActiveError as err:
        raise ApiError(409, "JOB_ACTIVE", str(err), {"status": err.status}) from None
    return Response(status_code=204)


def _download(settings: Settings, account: str, job_id: str,
              which: Literal["video", "thumbnail"]) -> Response:
    """The file itself with local storage; with S3 a redirect to the store's presigned URL
    (valid ``download_url_ttl_s``), so the bytes never pass through the API."""
    try:
        found = service.job_output_download(settings, job_id, which, account_id=account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None
    except service.OutputNotReadyError as err:
        raise ApiError(404, "OUTPUT_NOT_READY", str(err), {"status": err.status}) from None
    except FileNotFoundError as err:
        raise ApiError(404, "OUTPUT_NOT_FOUND", str(err)) from None
    if found.url is not None:
        return RedirectResponse(found.url, status_code=307)
    assert found.path is not None
    media_type = "video/mp4" if which == "video" else "image/jpeg"
    return FileResponse(found.path, media_type=media_type, filename=found.filename)


def binary_response(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    """A 200 of raw bytes in OpenAPI: ``application/octet-stream`` is listed first so that
    client generators, which know no ``video/mp4`` or ``image/jpeg``, return the bytes; and
    the 307 to the store's presigned URL when artifacts are in S3."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": f"{what}, sent as `Content-Type: {media_type}`.",
                  "content": {"application/octet-stream": binary, media_type: binary}},
            307: {"description": "With S3 storage: `Location` is the store's presigned URL "
                  "of the file, valid as long as `final_video_url`."}}


@router.get("/{job_id}/video", response_class=FileResponse,
            responses=binary_response("video/mp4", "The MP4"))
def download_video(job_id: str, settings: SettingsDep, account: AccountDep) -> Response:
    """Download the finished MP4 of a completed job."""
    return _download(settings, account, job_id, "video")


@router.get("/{job_id}/thumbnail", response_class=FileResponse,
            responses=binary_response("image/jpeg", "The poster JPEG"))
def download_thumbnail(job_id: str, settings: SettingsDep, account: AccountDep) -> Response:
    """Download the poster JPEG of a completed job."""
    return _download(settings, account, job_id, "thumbnail")


@router.get("/{job_id}/stages", response_model=list[StageDetailPublic])
def list_stages(job_id: str, settings: SettingsDep, account: AccountDep) -> Response:
    """The job's eight stages in order, each with its status, run, times, credits, error
    (category, item, message) and what it made: the script and keyframe plan, the anchor,
    every keyframe and segment with the QA verdict of each attempt and when each was made,
    the join plan, the voice and mix with their loudness, the word timings, the final video
    and poster. Media come as `{key, url}`, the `url` signed and expiring like
    `final_video_url` (no API key needed, `Range` supported)."""
    try:
        details = service.job_stages(settings, job_id, account_id=account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None
    return Response(signed_json(details, settings, job_id), media_type="application/json")


@router.get("/{job_id}/stages/{stage}", response_model=StageDetailPublic)
def get_stage(job_id: str, stage: StageName, settings: SettingsDep,
              account: AccountDep) -> Response:
    """One stage of the job with what it made (as in the list of stages)."""
    try:
        details = service.job_stages(settings, job_id, account_id=account)
    except service.JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None
    found = next(d for d in details if d.name == stage)
    return Response(signed_json(found, settings, job_id), media_type="application/json")
