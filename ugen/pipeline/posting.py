"""The post workflow: a job's final video to one social platform, durably, exactly once.

``post_workflow(post_id)`` runs on the ``ugen_social`` queue under the workflow id
``post-{post_id}`` (one per request: a repeated request finds the same workflow). It is a
recipe of checkpointed steps:

1. ``prepare_post_step``  the video's figures, checked against the platform's limits;
2. ``begin_upload_step``  the platform's upload session (YouTube: a resumable session URI);
3. ``transfer_step``      the bytes, resuming from what the platform already holds;
4. ``finish_step``        the platform's post id and URL;

(an expired session, :class:`~ugen.social.errors.UploadSessionExpiredError`, opens a new
one and sends the bytes again: the old session made no video) then the post is recorded
``published`` or ``failed`` (with the platform's reason) and the
``post.published`` / ``post.failed`` webhook is queued. A crash after any step resumes at
the next one with the checkpointed session, so the video is never uploaded twice. Each
platform call is retried on transient errors (5xx, timeouts, rate limits: ``Retry-After``
honoured) with exponential backoff (:func:`ugen.providers.retry.call_with_retries`); every
step asks for a fresh access token first (refreshed when close to expiry).

A job's ``auto_post`` entries become posts at the end of its workflow
(:func:`auto_post_step`), keyed by job id and platform, so a retried or replayed end of the
job finds the same posts and the same post workflows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

from dbos import DBOS, SetWorkflowID

from ugen.core.config import Settings, get_settings
from ugen.pipeline.context import JobContext
from ugen.providers.retry import call_with_retries
from ugen.social import connections, posts
from ugen.social.base import PostContent, PublishedPost, SocialPlatform, UploadSession, VideoFacts
from ugen.social.errors import (
    ConnectionRevokedError,
    SocialError,
    UploadSessionExpiredError,
    VideoSpecError,
)
from ugen.social.registry import platform_for
from ugen.social.specs import video_facts
from ugen.store import jobs as job_store
from ugen.store.artifacts import ArtifactError, ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.signed_urls import sign_artifact
from ugen.webhooks.events import notify_event

T = TypeVar("T")
SESSION_RESTARTS = 2
"""New upload sessions a post may open when the platform forgets one (YouTube's 404 on an
expired session URI)."""


def workflow_id_for(post_id: str) -> str:
    return f"post-{post_id}"


def start_post(post_id: str) -> str:
    """Enqueue the post's workflow (idempotent: the same id is one workflow); its id."""
    from ugen.pipeline.queues import SOCIAL_QUEUE, get_queue

    wfid = workflow_id_for(post_id)
    with SetWorkflowID(wfid):
        get_queue(SOCIAL_QUEUE).enqueue(post_workflow, post_id)
    return wfid


def _post(settings: Settings, post_id: str) -> tuple[posts.PostView, str]:
    post = posts.get_post(settings, post_id)
    account = posts.owner_of(settings, post_id)
    if post is None or account is None:
        raise LookupError(f"no post {post_id}")
    return post, account


def _content(post: posts.PostView) -> PostContent:
    r = post.request
    return PostContent(title=str(r.get("title") or ""),
                       description=str(r.get("description") or ""),
                       hashtags=tuple(r.get("hashtags") or ()), privacy=r.get("privacy"),
                       options=dict(r.get("options") or {}))


def _video_path(settings: Settings, post: posts.PostView) -> Path:
    """The job's final video on this worker (fetched from the store if it is remote)."""
    with session_scope(settings) as s:
        job = job_store.get_job(s, post.job_id)
        key = job.final_video if job is not None and job.status == "completed" else None
    if key is None:
        raise VideoSpecError(f"job {post.job_id} has no final video to post",
                             platform=post.platform, field="file")
    return artifact_store(settings).path(ArtifactKey(key))


def _call(settings: Settings, platform: SocialPlatform, fn: Callable[[], T]) -> T:
    return call_with_retries(fn, attempts=settings.social_max_attempts,
                             base_delay_s=settings.social_backoff_s, vendor=platform.name)


def _token(settings: Settings, platform: SocialPlatform, account_id: str) -> str:
    return _call(settings, platform, lambda: connections.fresh_access_token(
        settings, platform, account_id))


@DBOS.step()
def prepare_post_step(post_id: str) -> VideoFacts:
    """The video's figures, checked against the platform's limits (and the post marked
    ``uploading``)."""
    settings = get_settings()
    post, _ = _post(settings, post_id)
    platform = platform_for(settings, post.platform)
    facts = video_facts(_video_path(settings, post), platform=post.platform)
    platform.check_video(facts, _content(post))
    posts.set_uploading(settings, post_id)
    return facts


def _video_url(settings: Settings, post: posts.PostView) -> str:
    """A signed URL of the job's final video that a platform can fetch (Instagram pulls):
    the store's presigned URL, else this API's ``/files`` URL under its public base."""
    with session_scope(settings) as s:
        job = job_store.get_job(s, post.job_id)
        key = job.final_video if job is not None else None
    if key is None:
        raise VideoSpecError(f"job {post.job_id} has no final video to post",
                             platform=post.platform, field="file")
    url = sign_artifact(settings, post.job_id, key)
    if url.startswith("/"):
        base = settings.social_media_base_url or settings.social_redirect_base_url
        url = f"{base.rstrip('/')}{url}"
    return url


@DBOS.step()
def begin_upload_step(post_id: str, facts: VideoFacts) -> UploadSession:
    settings = get_settings()
    post, account_id = _post(settings, post_id)
    platform = platform_for(settings, post.platform)
    if platform.pulls_video:  # signed now, not in the checkpointed facts: it expires
        facts = replace(facts, url=_video_url(settings, post))
    token = _token(settings, platform, account_id)
    return _call(settings, platform,
                 lambda: platform.begin_upload(token, facts, _content(post)))


@DBOS.step()
def transfer_step(post_id: str, session: UploadSession) -> UploadSession:
    """Send the bytes; every retry asks the platform what it holds and resumes from there."""
    settings = get_settings()
    post, account_id = _post(settings, post_id)
    platform = platform_for(settings, post.platform)
    path = _video_path(settings, post)
    token = _token(settings, platform, account_id)
    return _call(settings, platform, lambda: platform.transfer(token, session, path))


@DBOS.step()
def finish_step(post_id: str, session: UploadSession) -> PublishedPost:
    settings = get_settings()
    post, account_id = _post(settings, post_id)
    platform = platform_for(settings, post.platform)
    token = _token(settings, platform, account_id)
    return _call(settings, platform, lambda: platform.finish(token, session))


def _payload(post: posts.PostView) -> dict[str, Any]:
    event = "post.published" if post.status == "published" else "post.failed"
    return {"event": event, "post_id": post.id, "job_id": post.job_id,
            "platform": post.platform, "status": post.status,
            "platform_post_id": post.platform_post_id, "url": post.url,
            "error_code": post.error_code, "error_message": post.error_message,
            "timestamp": post.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


@DBOS.step()
def record_published_step(post_id: str, published: PublishedPost) -> dict[str, Any]:
    view = posts.set_published(get_settings(), post_id, platform_post_id=published.post_id,
                               url=published.url, notices=published.notices)
    return _payload(view)


@DBOS.step()
def record_failed_step(post_id: str, code: str, message: str,
                       platform_post_id: str | None) -> dict[str, Any]:
    settings = get_settings()
    post, account_id = _post(settings, post_id)
    if code == ConnectionRevokedError.code:
        connections.mark_revoked(settings, account_id, post.platform, message)
    view = posts.set_failed(settings, post_id, code=code, message=message,
                            platform_post_id=platform_post_id)
    return _payload(view)


@DBOS.workflow()
def post_workflow(post_id: str) -> str:
    """Post one job's video to one platform; ``published`` or ``failed``."""
    session: UploadSession | None = None
    try:
        facts = prepare_post_step(post_id)
        session = begin_upload_step(post_id, facts)
        for restart in range(SESSION_RESTARTS + 1):
            try:
                session = transfer_step(post_id, session)
                break
            except UploadSessionExpiredError:
                if restart == SESSION_RESTARTS:
                    raise
                session = begin_upload_step(post_id, facts)  # a new session: no video yet
        payload = record_published_step(post_id, finish_step(post_id, session))
    except SocialError as err:
        payload = record_failed_step(post_id, err.code, str(err),
                                     session.remote_id if session else None)
    except ArtifactError as err:  # the stored video is gone or corrupt
        payload = record_failed_step(post_id, "VIDEO_UNAVAILABLE", str(err), None)
    account_id = post_owner_step(post_id)
    notify_event(account_id=account_id, job_id=payload["job_id"], event=payload["event"],
                 payload=payload, key=workflow_id_for(post_id))
    return str(payload["status"])


@DBOS.step()
def post_owner_step(post_id: str) -> str:
    return _post(get_settings(), post_id)[1]


def auto_post_key(job_id: str, platform: str) -> str:
    """The idempotency key of a job's automatic post to ``platform``: one post per job and
    platform, however often the job's end is run again (a retry, a replay)."""
    return f"auto_post:{job_id}:{platform}"


@DBOS.step()
def auto_post_step(job_id: str, run_number: int) -> tuple[str, ...]:
    """Record the job's ``auto_post`` entries as posts (``queued``); their ids.

    Keyed by job id and platform (:func:`auto_post_key`), so a retried or replayed end of
    the job finds the posts it made before instead of making new ones; a retry that changed
    an entry keeps the first post (a video is never posted twice to one platform).
    """
    settings = get_settings()
    entries = JobContext(job_id, run_number).options.auto_post
    if not entries:
        return ()
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        account_id = job.account_id if job is not None else None
    if account_id is None:
        return ()
    ids: list[str] = []
    for entry in entries:
        request = entry.model_dump(exclude={"platform"}, mode="json")
        key = auto_post_key(job_id, entry.platform)
        try:
            post, _ = posts.create_post(settings, account_id=account_id, job_id=job_id,
                                        platform=entry.platform, request=request,
                                        idempotency_key=key)
            ids.append(post.id)
        except posts.PostIdempotencyConflictError as err:
            ids.append(err.post_id)
    return tuple(ids)
