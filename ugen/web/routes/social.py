"""``/connections`` (the account's social accounts: connect, disconnect) and the job page's
"Post to…" form (``POST /jobs/{job_id}/posts``).

Connect is a link, not a form: it starts the OAuth flow (a single-use, server-side state)
and answers 303 to the platform's consent page. A form whose answer redirects to another
origin would be blocked by the dashboard's ``form-action 'self'`` policy, and starting a
flow changes nothing the user has until they consent at the platform and come back (the
callback then sends the browser back here). Disconnect and posting are POST forms with the
session's CSRF token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from ugen import service
from ugen.api.social_schemas import PostCreate
from ugen.service import social
from ugen.social.connections import ConnectionView
from ugen.social.errors import NotConnectedError, PlatformNotConfiguredError, SocialError
from ugen.social.posts import PostIdempotencyConflictError
from ugen.store.web_sessions import SessionRecord
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.routes.jobs import _after_action
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)

Platform = Literal["youtube", "tiktok", "instagram"]
PLATFORM_LABELS: dict[str, str] = {"youtube": "YouTube Shorts", "tiktok": "TikTok",
                                   "instagram": "Instagram Reels"}
_CODE = re.compile(r"^[A-Za-z0-9_.]{1,60}$")
PlatformQ = Annotated[str | None, Query(max_length=20)]


@dataclass(frozen=True)
class ConnectionRow:
    """One platform on the Connections page."""

    platform: str
    label: str
    connection: ConnectionView | None
    unavailable: str | None
    """Why it cannot be connected here (its OAuth client is not configured); None: it can."""


def _connections_page(request: Request, settings: SettingsDep, session: SessionRecord, *,
                      status_code: int = 200, notice: str | None = None,
                      error: str | None = None) -> Response:
    views = {c.platform: c for c in social.connections_of(settings, session.account_id)}
    unavailable = social.configured_platforms(settings)
    rows = [ConnectionRow(name, label, views.get(name), unavailable.get(name))
            for name, label in PLATFORM_LABELS.items()]
    return templates_of(request).page(
        request, "connections.html", status_code=status_code, session=session,
        nav="connections", rows=rows, notice=notice, error=error)


@router.get("/connections")
def connections_page(request: Request, settings: SettingsDep, session: SessionDep,
                     connected: PlatformQ = None, disconnected: PlatformQ = None,
                     failed: PlatformQ = None,
                     reason: Annotated[str | None, Query(max_length=60)] = None) -> Response:
    """Each platform's connection (account, when, scopes, expiry) with Connect/Disconnect."""
    notice = error = None
    if connected in PLATFORM_LABELS:
        notice = f"{PLATFORM_LABELS[connected]} is connected."
    elif disconnected in PLATFORM_LABELS:
        notice = f"{PLATFORM_LABELS[disconnected]} is disconnected."
    if failed in PLATFORM_LABELS:
        why = reason if reason is not None and _CODE.match(reason) else "unknown"
        error = f"Connecting {PLATFORM_LABELS[failed]} did not complete ({why}). Try again."
    return _connections_page(request, settings, session, notice=notice, error=error)


@router.get("/connections/{platform}/connect")
def connect(platform: Platform, request: Request, settings: SettingsDep,
            session: SessionDep) -> Response:
    """Start the platform's OAuth flow: 303 to its consent page (it comes back here)."""
    try:
        start = social.connect_platform(settings, session.account_id, platform,
                                        from_dashboard=True)
    except PlatformNotConfiguredError as err:
        return _connections_page(request, settings, session, status_code=409, error=str(err))
    return RedirectResponse(start.authorization_url, status_code=303)


@router.post("/connections/{platform}/disconnect")
def disconnect(platform: Platform, request: Request, settings: SettingsDep,
               session: CheckedSessionDep) -> Response:
    """Revoke the grant at the platform (where it can) and forget the connection."""
    try:
        social.disconnect_platform(settings, session.account_id, platform)
    except NotConnectedError:
        return _connections_page(request, settings, session, status_code=404,
                                 error=f"{PLATFORM_LABELS[platform]} is not connected.")
    except SocialError as err:
        return _connections_page(request, settings, session, status_code=502,
                                 error=f"{PLATFORM_LABELS[platform]} did not answer: {err}")
    return RedirectResponse(f"/connections?disconnected={platform}", status_code=303)


def _hashtags(raw: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", raw.strip()) if t]


@router.post("/jobs/{job_id}/posts")
def post_video(job_id: str, request: Request, settings: SettingsDep,
               session: CheckedSessionDep,
               platform: Annotated[str, Form(max_length=20)] = "",
               title: Annotated[str, Form(max_length=2200)] = "",
               hashtags: Annotated[str, Form(max_length=4000)] = "",
               privacy: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Post the job's video to a connected platform (queued; the job page lists it)."""
    service.check_owner(settings, job_id, session.account_id)  # 404 for another's job
    try:
        body = PostCreate.model_validate({
            "platform": platform, "title": title.strip(), "hashtags": _hashtags(hashtags),
            "privacy": privacy.strip() or None})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "post"
        return _after_action(request, settings, session, job_id,
                             f"This post is not valid: {where}: {first['msg']}", 422)
    error: str | None = None
    status_code = 303
    try:
        social.create_post(settings, session.account_id, job_id, body.model_dump())
    except service.JobStateError as err:
        error, status_code = f"This video cannot be posted yet: {err}", 409
    except (NotConnectedError, PlatformNotConfiguredError) as err:
        error, status_code = f"{err} (see Connections)", 409
    except PostIdempotencyConflictError:  # pragma: no cover - no key is sent from here
        raise HTTPException(409) from None
    return _after_action(request, settings, session, job_id, error, status_code)
