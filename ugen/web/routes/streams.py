"""Live updates of the dashboard's pages, as Server-Sent Events.

``/jobs/{job_id}/events`` is the job's event stream for a signed-in browser (an
``EventSource`` sends no API key): every event of the job's log as the API's
``/api/v1/jobs/{job_id}/events`` sends it (``id:``, ``event:`` its type, ``data:`` the same
JSON, resumable with ``Last-Event-ID``), the same ``progress`` events, and for the page:
``partials`` (``{element id: html}``, parts of the page rendered again because they
changed) and ``append`` (new lines of the event log). ``/events`` does the same for one page
of the job list. A stream re-checks its session at every poll and ends with an ``end`` event
when the job has ended (or the session has), so the page closes it instead of reconnecting.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from ugen import service
from ugen.core.config import Settings
from ugen.core.types import STAGES, JobStatus
from ugen.store.web_sessions import SessionRecord
from ugen.views import JobPublic
from ugen.web.auth import SESSION_COOKIE, SessionDep, SettingsDep
from ugen.web.job_parts import (
    JobParts,
    StateKey,
    job_key,
    read_job_page,
    stage_key,
    state_token,
)
from ugen.web.routes.jobs import PAGE_SIZE, ListParts, job_parts, list_partials, signer_of
from ugen.web.signing import MediaSigner
from ugen.web.templating import Templates, templates_of

router = APIRouter(include_in_schema=False)

_BATCH = 200
MAX_EVENT_ID = 2**63 - 1
_LIST_POLL_S = 1.0


def format_event(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One Server-Sent Event in wire format (as the API writes it)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@dataclass(frozen=True)
class _JobPoll:
    job: JobPublic
    events: list[service.JobEventView]
    parts: dict[str, str]
    log_lines: str


def _session_live(settings: Settings, token: str, account_id: str) -> SessionRecord | None:
    record = service.web_session(settings, token)
    return record if record is not None and record.account_id == account_id else None


@dataclass
class _Shown:
    """What the page shows now: the job's state and the stages' records it was drawn from."""

    job: StateKey | None = None
    stages: dict[str, StateKey] = field(default_factory=dict)
    token: str = ""
    """The state the page was rendered in (:func:`state_token`), until the first poll."""


def _poll_job(settings: Settings, parts_of: Callable[[str], JobParts], token: str,
              account_id: str, job_id: str, after_id: int, shown: _Shown) -> _JobPoll | None:
    """The job now, its new events, and the page's parts that may have changed since
    ``shown`` (updated): the summary and the pipeline when the job moved; a stage's head
    and details when its record changed or an event of that stage arrived."""
    session = _session_live(settings, token, account_id)
    if session is None:
        return None
    try:
        job = service.job_view(settings, job_id, account_id=account_id)
        events = service.job_events(settings, account_id, job_id, after_id=after_id,
                                    limit=_BATCH)
    except service.JobNotFoundError:
        return None
    render = parts_of(session.csrf_token)
    log = render.templates.render("job/_event_lines.html", events=events) if events else ""
    stages: dict[str, StateKey] = {st.name: stage_key(st) for st in job.stages}
    if shown.token and shown.token == state_token(job):  # the page shows this state
        shown.job, shown.stages = job_key(job), stages
    shown.token = ""
    touched = {e.stage for e in events}

    def changed(now: dict[str, StateKey]) -> list[str]:
        return [name for name in STAGES if shown.stages.get(name) != now[name] or name in touched]

    parts: dict[str, str] = {}
    if job_key(job) != shown.job or changed(stages):
        try:  # something moved: read it all, and compare again with what was read
            page = read_job_page(settings, account_id, job_id)
        except service.JobNotFoundError:
            return None
        job = page.job
        stages = {st.name: stage_key(st) for st in job.stages}
        moved = job_key(job) != shown.job
        parts = {**(render.summary(page) if moved else {}), **render.stages(page, changed(stages))}
        shown.job, shown.stages = job_key(job), stages
    return _JobPoll(job, events, parts, log)


class _Pacer:
    """Ends a stream after ``max_s``; says when a keep-alive comment is due."""

    def __init__(self, settings: Settings) -> None:
        self.started = self.last_sent = time.monotonic()
        self.max_s = settings.events_max_stream_s
        self.keepalive_s = settings.events_keepalive_s

    def running(self) -> bool:
        return time.monotonic() - self.started < self.max_s

    def sent(self) -> None:
        self.last_sent = time.monotonic()

    def keepalive_due(self) -> bool:
        if time.monotonic() - self.last_sent >= self.keepalive_s:
            self.sent()
            return True
        return False


async def _job_stream(settings: Settings, parts_of: Callable[[str], JobParts], token: str,
                      account_id: str, job_id: str, after_id: int, state: str
                      ) -> AsyncIterator[str]:
    yield f"retry: {int(settings.events_poll_interval_s * 1000) + 1000}\n\n"
    pace = _Pacer(settings)
    shown = _Shown(token=state)
    sent: dict[str, str] = {}
    progress: tuple[object, ...] | None = None
    while pace.running():
        poll = await asyncio.to_thread(_poll_job, settings, parts_of, token, account_id,
                                       job_id, after_id, shown)
        if poll is None:
            yield format_event("end", {"reason": "signed_out"})
            return
        for e in poll.events:
            after_id = e.id
            yield format_event(e.type, e.public(), e.id)
        if poll.log_lines:
            yield format_event("append", {"event-lines": poll.log_lines})
        now = (poll.job.status, poll.job.current_stage, poll.job.progress_percent,
               poll.job.run_number)
        if now != progress:
            progress = now
            yield format_event("progress", {
                "job_id": job_id, "status": poll.job.status,
                "current_stage": poll.job.current_stage,
                "progress_percent": poll.job.progress_percent,
                "run_number": poll.job.run_number})
        changed = {k: v for k, v in poll.parts.items() if sent.get(k) != v}
        sent.update(changed)
        if changed:
            yield format_event("partials", changed)
        if poll.events or changed:
            pace.sent()
        if poll.job.ended and len(poll.events) < _BATCH:
            yield format_event("end", {"status": poll.job.status})
            return
        if pace.keepalive_due():
            yield ": keep-alive\n\n"
        await asyncio.sleep(settings.events_poll_interval_s)


def _sse(stream: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/jobs/{job_id}/events")
def job_events(job_id: str, request: Request, settings: SettingsDep, session: SessionDep,
               last_event_id_header: Annotated[int | None, Header(
                   alias="Last-Event-ID", ge=0, le=MAX_EVENT_ID)] = None,
               last_event_id: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
               state: Annotated[str, Query(max_length=64)] = "",
               ) -> StreamingResponse:
    """The job's events and the job page's changed parts, live, until the job ends."""
    service.check_owner(settings, job_id, session.account_id)  # 404 for another's job
    after = last_event_id_header if last_event_id_header is not None else last_event_id
    return _sse(_job_stream(settings, lambda csrf: job_parts(request, csrf),
                            request.cookies.get(SESSION_COOKIE, ""), session.account_id,
                            job_id, after or 0, state))


def _poll_list(settings: Settings, templates: Templates, signer: MediaSigner, token: str,
               account_id: str, status: str | None, page: int) -> ListParts | None:
    if _session_live(settings, token, account_id) is None:
        return None
    rows, total = service.list_job_views(settings, account_id, status=status, page=page,
                                        page_size=PAGE_SIZE)
    return list_partials(templates, signer, rows, total, status=status, page=page)


async def _list_stream(settings: Settings, templates: Templates, signer: MediaSigner,
                       token: str, account_id: str, status: str | None, page: int
                       ) -> AsyncIterator[str]:
    yield f"retry: {int(_LIST_POLL_S * 1000) + 1000}\n\n"
    pace = _Pacer(settings)
    shown: ListParts | None = None
    while pace.running():
        parts = await asyncio.to_thread(_poll_list, settings, templates, signer, token,
                                        account_id, status, page)
        if parts is None:
            yield format_event("end", {"reason": "signed_out"})
            return
        changed = parts.changed_since(shown)
        shown = parts
        if changed:
            yield format_event("partials", changed)
            pace.sent()
        elif pace.keepalive_due():
            yield ": keep-alive\n\n"
        await asyncio.sleep(_LIST_POLL_S)


@router.get("/events")
def job_list_events(request: Request, settings: SettingsDep, session: SessionDep,
                    status: JobStatus | None = None,
                    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> StreamingResponse:
    """One page of the job list, live: rows that changed, or the whole page when jobs came
    or went."""
    return _sse(_list_stream(settings, templates_of(request), signer_of(request),
                             request.cookies.get(SESSION_COOKIE, ""), session.account_id,
                             status, page))
