"""``/`` (the account's jobs) and ``/jobs/{job_id}`` (one job: the pipeline of 8 stages,
each stage's details below it, retry and cancel, the event log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from ugen import service
from ugen.core.types import JobStatus
from ugen.service import review as review_service
from ugen.store import ledger
from ugen.views import JobPublic
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.job_parts import JobPage, JobParts, read_job_page, state_token
from ugen.web.signing import MediaSigner
from ugen.web.templating import Templates, templates_of

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
STATUS_FILTERS: tuple[JobStatus, ...] = ("queued", "running", "awaiting_review", "completed",
                                         "failed", "cancelled", "stopped")
EVENT_LOG_SIZE = 500


@dataclass(frozen=True)
class ListParts:
    """One page of the job list in parts: the rows (each its own), and the whole body."""

    ids: tuple[str, ...]
    body: str
    rows: dict[str, str]
    extras: dict[str, str]

    def changed_since(self, before: ListParts | None) -> dict[str, str]:
        """What the page must swap to show this: the whole list when jobs came or went,
        else only the rows that changed."""
        if before is None or before.ids != self.ids:
            return {"job-rows": self.body, **self.extras}
        changed = {k: v for k, v in self.rows.items() if before.rows.get(k) != v}
        changed.update({k: v for k, v in self.extras.items() if before.extras.get(k) != v})
        return changed


def total_pages(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def list_partials(templates: Templates, signer: MediaSigner, rows: list[JobPublic],
                  total: int, *, status: str | None, page: int) -> ListParts:
    posters = {r.job_id: signer.again(r.thumbnail_url) for r in rows}
    body = templates.render("jobs/_rows.html", rows=rows, status=status, posters=posters)
    cells = {f"job-{r.job_id}": templates.render("jobs/_row.html", row=r, posters=posters)
             for r in rows}
    extras = {"jobs-count": templates.render("jobs/_count.html", total=total, page=page,
                                             pages=total_pages(total), status=status)}
    return ListParts(tuple(r.job_id for r in rows), body, cells, extras)


def signer_of(request: Request) -> MediaSigner:
    signer: MediaSigner = request.app.state.signer
    return signer


def job_parts(request: Request, csrf: str) -> JobParts:
    """The job page's renderer for this app (its rendered stage details shared)."""
    return JobParts(templates_of(request), signer_of(request), csrf, request.app.state.rendered)


@router.get("/")
def jobs_page(request: Request, settings: SettingsDep, session: SessionDep,
              status: Annotated[JobStatus | None, Query()] = None,
              page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    """The account's jobs, newest first, live."""
    rows, total = service.list_job_views(settings, session.account_id, status=status,
                                        page=page, page_size=PAGE_SIZE)
    posters = {r.job_id: signer_of(request).again(r.thumbnail_url) for r in rows}
    return templates_of(request).page(
        request, "jobs/list.html", session=session, nav="jobs", rows=rows, total=total,
        page=page, pages=total_pages(total), status=status, filters=STATUS_FILTERS,
        posters=posters)


def _job_page(request: Request, session: SessionDep, page: JobPage,
              events: list[service.EventLine], *, status_code: int = 200,
              action_error: str | None = None) -> Response:
    templates = templates_of(request)
    parts = job_parts(request, session.csrf_token).all(page)
    review = (review_service.review_state(signer_of(request).settings, page.job.job_id)
              if page.job.status == "awaiting_review" else None)
    return templates.page(
        request, "job/page.html", status_code=status_code, session=session, nav="jobs",
        job=page.job, parts=parts, events=events, state=state_token(page.job),
        last_event_id=events[-1].id if events else 0, action_error=action_error,
        review=review)


def _events(settings: SettingsDep, account_id: str, job_id: str) -> list[service.EventLine]:
    events: list[service.EventLine] = []
    while True:  # the whole log, a batch at a time (a job has a few hundred events at most)
        batch = service.job_event_lines(settings, account_id, job_id,
                                        after_id=events[-1].id if events else 0,
                                        limit=EVENT_LOG_SIZE)
        events.extend(batch)
        if len(batch) < EVENT_LOG_SIZE:
            return events


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, settings: SettingsDep,
             session: SessionDep) -> Response:
    """One job: the 8-stage pipeline, live, with each stage's details below it."""
    page = read_job_page(settings, session.account_id, job_id)
    return _job_page(request, session, page, _events(settings, session.account_id, job_id))


def _after_action(request: Request, settings: SettingsDep, session: SessionDep, job_id: str,
                  error: str | None, status_code: int) -> Response:
    if error is None:
        return RedirectResponse(f"/jobs/{job_id}", status_code=303)
    page = read_job_page(settings, session.account_id, job_id)
    return _job_page(request, session, page, _events(settings, session.account_id, job_id),
                     status_code=status_code, action_error=error)


@router.post("/jobs/{job_id}/retry")
def retry_job(job_id: str, request: Request, settings: SettingsDep,
              session: CheckedSessionDep,
              from_stage: Annotated[str | None, Form(max_length=20)] = None) -> Response:
    """Retry the job from a stage (credits are reserved for that stage onward)."""
    service.check_owner(settings, job_id, session.account_id)  # 404 for another's job
    error: str | None = None
    status_code = 200
    try:
        service.retry_job(settings, job_id, from_stage or None)
    except ledger.InsufficientCreditsError as err:
        error, status_code = (f"Not enough credits to retry: {err.required:,} needed, "
                              f"{err.available:,} available."), 402
    except service.JobStateError as err:
        error, status_code = f"This job cannot be retried now: {err}", 409
    except ValueError as err:
        error, status_code = f"This retry is not possible: {err}", 400
    return _after_action(request, settings, session, job_id, error, status_code)


@router.post("/jobs/{job_id}/review")
def review_keyframe(job_id: str, request: Request, settings: SettingsDep,
                    session: CheckedSessionDep,
                    keyframe: Annotated[int, Form(ge=0, le=64)],
                    decision: Annotated[Literal["approve", "reject"], Form()],
                    reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Approve or reject a keyframe that awaits review (a rejection needs a reason)."""
    service.check_owner(settings, job_id, session.account_id)  # 404 for another's job
    reason = " ".join(reason.split())
    if decision == "reject" and not reason:
        return _after_action(request, settings, session, job_id,
                             "Say why the keyframe is rejected: the reason goes into the "
                             "prompt it is made again with.", 400)
    try:
        review_service.submit_review(settings, job_id, [review_service.ReviewDecision(
            keyframe, decision == "approve", reason or None)], session.account_id)
    except review_service.ReviewStateError as err:
        return _after_action(request, settings, session, job_id,
                             f"This keyframe cannot be reviewed now: {err}", 409)
    return _after_action(request, settings, session, job_id, None, 303)


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, request: Request, settings: SettingsDep,
               session: CheckedSessionDep) -> Response:
    """Cancel a queued or running job; its unused credits are released at once."""
    service.check_owner(settings, job_id, session.account_id)  # 404 for another's job
    try:
        service.cancel_job(settings, job_id)
    except service.JobStateError as err:
        return _after_action(request, settings, session, job_id,
                             f"This job cannot be cancelled: {err}", 409)
    return _after_action(request, settings, session, job_id, None, 303)
