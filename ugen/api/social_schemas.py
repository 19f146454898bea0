"""Request and response bodies of the social endpoints (connections and posts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ugen.social.connections import ConnectionView, ConnectStart
from ugen.social.posts import PostView

Platform = Literal["youtube", "tiktok", "instagram"]
Hashtag = Annotated[str, StringConstraints(pattern=r"^#?[^\s#]{1,100}$")]
OptionValue = str | int | float | bool


class ConnectStartPublic(BaseModel):
    authorization_url: str
    """Send the user here; the platform redirects back to ``/social/{platform}/callback``."""
    state: str
    expires_at: datetime

    @classmethod
    def of(cls, start: ConnectStart) -> ConnectStartPublic:
        return cls(authorization_url=start.authorization_url, state=start.state,
                   expires_at=start.expires_at)


class ConnectionPublic(BaseModel):
    """A connected account; its tokens are never returned."""

    platform: str
    platform_user_id: str | None
    display_name: str | None
    scopes: list[str]
    status: Literal["active", "revoked"]
    status_reason: str | None
    token_expires_at: datetime | None
    connected_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ConnectionView) -> ConnectionPublic:
        return cls(platform=view.platform, platform_user_id=view.platform_user_id,
                   display_name=view.display_name, scopes=list(view.scopes),
                   status=view.status,  # type: ignore[arg-type]
                   status_reason=view.status_reason, token_expires_at=view.token_expires_at,
                   connected_at=view.connected_at, updated_at=view.updated_at)


class ConnectionsPublic(BaseModel):
    items: list[ConnectionPublic]


class DisconnectPublic(BaseModel):
    platform: str
    deleted: bool
    revoked_at_platform: bool


class PostCreate(BaseModel):
    """What to post: the platform and its texts; privacy in the platform's own words
    (YouTube: ``public``, ``unlisted``, ``private``; default ``private``. TikTok: one of the
    creator's ``PUBLIC_TO_EVERYONE``, ``MUTUAL_FOLLOW_FRIENDS``, ``FOLLOWER_OF_CREATOR``,
    ``SELF_ONLY``; default ``SELF_ONLY``. Instagram: none, leave it out)."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    title: str = Field(min_length=1, max_length=2200,
                       description="YouTube title (≤ 100), TikTok / Instagram caption")
    description: str = Field(default="", max_length=5000)
    hashtags: list[Hashtag] = Field(default_factory=list, max_length=30)
    privacy: str | None = Field(default=None, max_length=40)
    options: dict[Annotated[str, StringConstraints(max_length=64)], OptionValue] = Field(
        default_factory=dict, max_length=20,
        description="Platform options (YouTube: category_id, made_for_kids; TikTok: "
                    "disable_comment, disable_duet, disable_stitch, video_cover_timestamp_ms; "
                    "Instagram: share_to_feed)")


class PostPublic(BaseModel):
    id: str
    job_id: str
    platform: str
    status: Literal["queued", "uploading", "published", "failed"]
    title: str
    privacy: str | None
    platform_post_id: str | None
    url: str | None
    error_code: str | None
    error_message: str | None
    notices: list[str]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None

    @classmethod
    def of(cls, view: PostView) -> PostPublic:
        return cls(id=view.id, job_id=view.job_id, platform=view.platform,
                   status=view.status,  # type: ignore[arg-type]
                   title=str(view.request.get("title", "")),
                   privacy=view.request.get("privacy"),
                   platform_post_id=view.platform_post_id, url=view.url,
                   error_code=view.error_code, error_message=view.error_message,
                   notices=list(view.notices), created_at=view.created_at,
                   updated_at=view.updated_at, published_at=view.published_at)


class PostsPublic(BaseModel):
    items: list[PostPublic]
