"""``/jobs/{job_id}/posts``: post a completed job's video to a connected platform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.schemas import ErrorPublic
from ugen.api.social_schemas import PostCreate, PostPublic, PostsPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.service import social

router = APIRouter(prefix="/jobs", tags=["posts"], route_class=StrictJsonRoute,
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})


@router.post("/{job_id}/posts", status_code=202, responses={409: {"model": ErrorPublic}})
def create_post(settings: SettingsDep, account: AccountDep, job_id: str, body: PostCreate,
                response: Response,
                idempotency_key: Annotated[str | None, Header(min_length=1,
                                                              max_length=200)] = None,
                ) -> PostPublic:
    """Post the job's video (202: queued); a repeated ``Idempotency-Key`` returns the
    same post."""
    post, created = social.create_post(settings, account, job_id, body.model_dump(),
                                       idempotency_key=idempotency_key)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return PostPublic.of(post)


@router.get("/{job_id}/posts")
def list_posts(settings: SettingsDep, account: AccountDep, job_id: str) -> PostsPublic:
    """The job's posts, oldest first, with their status, URL or failure reason."""
    return PostsPublic(items=[PostPublic.of(p)
                              for p in social.posts_of(settings, account, job_id)])
