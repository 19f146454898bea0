"""Post records: one row per request to post a job's video, and how it ended.

A request with an ``Idempotency-Key`` gets a post id derived from the account and key, so
the post's workflow id (``post-{id}``) is the same however often the request is sent: a
replay returns the first post, a different request under the same key is refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import SocialPost, utcnow

PostStatus = Literal["queued", "uploading", "published", "failed"]
_NAMESPACE = uuid.UUID("0b8f5a52-4a39-4b8e-9d0c-7f1b6f2d9e11")


class PostIdempotencyConflictError(Exception):
    """The Idempotency-Key was used before with a different request."""

    def __init__(self, post_id: str) -> None:
        super().__init__("the Idempotency-Key was already used with a different request")
        self.post_id = post_id


@dataclass(frozen=True)
class PostView:
    id: str
    job_id: str
    platform: str
    status: str
    request: dict[str, Any]
    platform_post_id: str | None
    url: str | None
    error_code: str | None
    error_message: str | None
    notices: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    workflow_id: str = field(repr=False, default="")


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _view(row: SocialPost) -> PostView:
    return PostView(id=row.id, job_id=row.job_id, platform=row.platform, status=row.status,
                    request=dict(row.request), platform_post_id=row.platform_post_id,
                    url=row.platform_url, error_code=row.error_code,
                    error_message=row.error_message,
                    notices=tuple(row.notices.get("items", [])),
                    created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
                    published_at=_aware(row.published_at) if row.published_at else None,
                    workflow_id=row.workflow_id)


def post_id_for(account_id: str, idempotency_key: str | None) -> str:
    if idempotency_key is None:
        return f"post_{uuid.uuid4().hex[:24]}"
    return f"post_{uuid.uuid5(_NAMESPACE, f'{account_id}:{idempotency_key}').hex[:24]}"


def create_post(settings: Settings, *, account_id: str, job_id: str, platform: str,
                request: dict[str, Any], idempotency_key: str | None) -> tuple[PostView, bool]:
    """The post of this request, recorded ``queued`` if new; (post, whether it is new).

    Raises:
        PostIdempotencyConflictError: the key was used with another request.
    """
    digest = hashlib.sha256(json.dumps({"job_id": job_id, "platform": platform, **request},
                                       sort_keys=True).encode()).hexdigest()
    post_id = post_id_for(account_id, idempotency_key)
    try:
        with session_scope(settings) as s:
            existing = s.get(SocialPost, post_id)
            if existing is None:
                row = SocialPost(id=post_id, account_id=account_id, job_id=job_id,
                                 platform=platform, status="queued", request=request,
                                 idempotency_key=idempotency_key, request_hash=digest,
                                 workflow_id=f"post-{post_id}", notices={})
                s.add(row)
                s.flush()
                return _view(row), True
    except IntegrityError:  # the same key, sent twice at once: the other one won
        pass
    with session_scope(settings) as s:
        existing = s.get(SocialPost, post_id)
        assert existing is not None
        if existing.request_hash != digest:
            raise PostIdempotencyConflictError(post_id)
        return _view(existing), False


def get_post(settings: Settings, post_id: str) -> PostView | None:
    with session_scope(settings) as s:
        row = s.get(SocialPost, post_id)
        return None if row is None else _view(row)


def owner_of(settings: Settings, post_id: str) -> str | None:
    with session_scope(settings) as s:
        row = s.get(SocialPost, post_id)
        return None if row is None else row.account_id


def posts_of_job(settings: Settings, job_id: str) -> list[PostView]:
    with session_scope(settings) as s:
        rows = s.scalars(select(SocialPost).where(SocialPost.job_id == job_id)
                         .order_by(SocialPost.created_at, SocialPost.id))
        return [_view(r) for r in rows]


def set_uploading(settings: Settings, post_id: str) -> None:
    with session_scope(settings) as s:
        row = s.get(SocialPost, post_id)
        if row is not None and row.status == "queued":
            row.status = "uploading"


def set_published(settings: Settings, post_id: str, *, platform_post_id: str, url: str,
                  notices: tuple[str, ...]) -> PostView:
    with session_scope(settings) as s:
        row = s.get(SocialPost, post_id)
        assert row is not None
        row.status, row.platform_post_id, row.platform_url = "published", platform_post_id, url
        row.notices = {"items": list(notices)}
        row.error_code = row.error_message = None
        row.published_at = row.published_at or utcnow()
        s.flush()
        return _view(row)


def set_failed(settings: Settings, post_id: str, *, code: str, message: str,
               platform_post_id: str | None = None) -> PostView:
    with session_scope(settings) as s:
        row = s.get(SocialPost, post_id)
        assert row is not None
        row.status, row.error_code, row.error_message = "failed", code, message[:4000]
        if platform_post_id is not None:
            row.platform_post_id = platform_post_id
        s.flush()
        return _view(row)
