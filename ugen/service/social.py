"""Social accounts and posts, as users act on them (API, CLI and dashboard alike).

Connect and disconnect a platform, list connections (never their tokens), post a completed
job's video and list a job's posts. Posting records the request and enqueues its durable
workflow (:mod:`ugen.pipeline.posting`); the answer comes at once, the outcome later.
"""

from __future__ import annotations

from typing import Any

from ugen.core.config import Settings
from ugen.pipeline import posting, runtime
from ugen.service.jobs import JobStateError, owned
from ugen.social import connections, posts
from ugen.social.base import PLATFORMS
from ugen.social.connections import ConnectionView, ConnectStart
from ugen.social.errors import NotConnectedError, OAuthError, PlatformNotConfiguredError
from ugen.social.posts import PostView
from ugen.social.registry import platform_for
from ugen.store import jobs as job_store
from ugen.store.db import session_scope


def connect_platform(settings: Settings, account_id: str, platform: str, *,
                     from_dashboard: bool = False) -> ConnectStart:
    """Start connecting ``platform``: the consent URL, with its single-use state
    (``from_dashboard``: the callback sends the browser back to the dashboard)."""
    return connections.start_connect(settings, platform_for(settings, platform), account_id,
                                     from_dashboard=from_dashboard)


def configured_platforms(settings: Settings) -> dict[str, str | None]:
    """Every platform, with why it cannot be connected here (None: it can)."""
    found: dict[str, str | None] = {}
    for name in PLATFORMS:
        try:
            platform_for(settings, name)
            found[name] = None
        except PlatformNotConfiguredError as err:
            found[name] = str(err)
    return found


def complete_connection(settings: Settings, platform: str, *, state: str, code: str | None,
                        error: str | None = None) -> ConnectionView:
    """The platform's redirect back: the state is consumed, the code exchanged.

    Raises:
        OAuthError: a bad or used state, the user declined, or the code was refused.
    """
    adapter = platform_for(settings, platform)
    if error is not None or not code:
        # The attempt is spent either way: a declined consent cannot be replayed.
        connections.consume_state(settings, platform, state)
        raise OAuthError(f"{platform} did not grant access: {error or 'no code'}",
                         platform=platform, reason=error or "no_code")
    _, view = connections.finish_connect(settings, adapter, state=state, code=code)
    return view


def connections_of(settings: Settings, account_id: str) -> list[ConnectionView]:
    return connections.list_connections(settings, account_id)


def disconnect_platform(settings: Settings, account_id: str, platform: str) -> bool:
    """Revoke at the platform where it can, delete the connection; whether it revoked.

    Raises:
        NotConnectedError: nothing to disconnect.
    """
    return connections.disconnect(settings, platform_for(settings, platform), account_id)


def create_post(settings: Settings, account_id: str, job_id: str, request: dict[str, Any], *,
                idempotency_key: str | None = None) -> tuple[PostView, bool]:
    """Record a post of the job's video and enqueue it; (the post, whether it is new).

    Raises:
        JobNotFoundError: no such job, or another account's; JobStateError: the job has no
        final video yet; PlatformNotConfiguredError; NotConnectedError;
        PostIdempotencyConflictError: the key was used with another request.
    """
    platform = str(request["platform"])
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id, account_id)
        ready = job.status == "completed" and bool(job.final_video)
        status = job.status
    if not ready:
        raise JobStateError(f"job {job_id} is {status}; a video can be posted once the job "
                            "completed")
    platform_for(settings, platform)
    if not connections.is_connected(settings, account_id, platform):
        raise NotConnectedError(f"the account has no {platform} connection: connect it at "
                                f"/api/v1/social/{platform}/connect", platform=platform,
                                reason="not_connected")
    body = {k: v for k, v in request.items() if k != "platform"}
    post, created = posts.create_post(settings, account_id=account_id, job_id=job_id,
                                      platform=platform, request=body,
                                      idempotency_key=idempotency_key)
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    posting.start_post(post.id)  # idempotent: a replay finds the same workflow
    return post, created


def job_account(settings: Settings, job_id: str) -> str:
    """The account that owns the job (for the CLI, which acts on any job of this install).

    Raises:
        JobNotFoundError: no such job.
    """
    with session_scope(settings) as s:
        return owned(job_store.get_job(s, job_id), job_id).account_id


def posts_of(settings: Settings, account_id: str, job_id: str) -> list[PostView]:
    """Raises: JobNotFoundError: no such job, or another account's."""
    with session_scope(settings) as s:
        owned(job_store.get_job(s, job_id), job_id, account_id)
    return posts.posts_of_job(settings, job_id)
