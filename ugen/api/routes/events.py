"""``/jobs/{job_id}/events``: a job's event log as Server-Sent Events, resumable by event id.

Each ``job_events`` row is sent as ``id:`` (the row id), ``event:`` (its type, such as
``stage_started`` or ``job_completed``) and ``data:`` (JSON). A ``progress`` event without an
id is sent whenever the job's status, stage or ``progress_percent`` changes, so resuming with
``Last-Event-ID`` replays only the log. The stream ends once the job is in a terminal state
and every event has been sent (or after ``UGEN_EVENTS_MAX_STREAM_S``: reconnect with the
last id); while idle, a comment line keeps proxies from closing it. The stream's API key is
checked again at every poll, in the poll's own transaction (one indexed read): once it is
revoked or expired, or no longer the job's account's, the stream ends (a reconnect gets 401).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from ugen import service
from ugen.api.deps import AccountDep, ApiKeyDep, SettingsDep
from ugen.api.routes.jobs import owned_job
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.config import Settings
from ugen.core.types import TERMINAL_STATUSES

router = APIRouter(prefix="/jobs", tags=["jobs"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)

_BATCH = 200
MAX_EVENT_ID = 2**63 - 1
"""Event ids are 64-bit integers; a larger ``Last-Event-ID`` is refused (422), not a 500."""


@dataclass(frozen=True)
class StreamAuth:
    """Who opened a stream: the raw key is checked again at every poll."""

    api_key: str
    account_id: str


def _poll(settings: Settings, job_id: str, after_id: int, auth: StreamAuth
          ) -> service.EventPoll:
    return service.job_event_poll(settings, job_id, after_id, api_key=auth.api_key,
                                  account_id=auth.account_id, limit=_BATCH)


def format_event(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    """One Server-Sent Event in wire format."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def job_event_stream(settings: Settings, job_id: str, after_id: int,
                           auth: StreamAuth) -> AsyncIterator[str]:
    """Events after ``after_id`` until the job has ended and everything was sent.

    A stream also ends after ``events_max_stream_s`` (the client resumes from its last id),
    and at the first poll after its key was revoked or expired.
    """
    yield f"retry: {int(settings.events_poll_interval_s * 1000) + 1000}\n\n"
    last_progress: dict[str, Any] | None = None
    last_sent = started = time.monotonic()
    while time.monotonic() - started < settings.events_max_stream_s:
        poll = await asyncio.to_thread(_poll, settings, job_id, after_id, auth)
        if not poll.authorized:
            return
        for e in poll.events:
            after_id = e.id
            yield format_event(e.type, e.public(), e.id)
        changed = poll.progress != last_progress
        if changed:
            last_progress = poll.progress
            yield format_event("progress", {"job_id": job_id, **poll.progress})
        if poll.events or changed:
            last_sent = time.monotonic()
        if poll.progress["status"] in TERMINAL_STATUSES and len(poll.events) < _BATCH:
            return
        if time.monotonic() - last_sent >= settings.events_keepalive_s:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(settings.events_poll_interval_s)


@router.get("/{job_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
def job_events(job_id: str, settings: SettingsDep, account: AccountDep, api_key: ApiKeyDep,
               last_event_id_header: Annotated[int | None, Header(
                   alias="Last-Event-ID", ge=0, le=MAX_EVENT_ID)] = None,
               last_event_id: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID)] = None,
               ) -> StreamingResponse:
    """Stream a job's events (Server-Sent Events) until it ends; resume with Last-Event-ID."""
    owned_job(settings, account, job_id)
    after = last_event_id_header if last_event_id_header is not None else last_event_id
    return StreamingResponse(
        job_event_stream(settings, job_id, after or 0, StreamAuth(api_key, account)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
