"""The one interface every platform adapter implements, and the values that cross it.

A post is three calls, each its own checkpointed step in the post workflow, so a crash
resumes where it stopped and never uploads twice:

1. :meth:`SocialPlatform.begin_upload` opens the platform's upload (YouTube: a resumable
   session URI; TikTok: ``video/init`` → ``publish_id`` + ``upload_url``; Instagram: a
   ``REELS`` container from the video's signed URL) after any pre-flight query the platform
   wants (TikTok ``creator_info``, Instagram ``content_publishing_limit``);
2. :meth:`SocialPlatform.transfer` sends the bytes, asking the platform first how much it
   already has, so a retry resumes instead of starting over (Instagram pulls the URL itself:
   nothing to send);
3. :meth:`SocialPlatform.finish` waits for / triggers publication (YouTube: the video's
   ``uploadStatus``; TikTok: ``status/fetch``; Instagram: ``FINISHED`` then
   ``media_publish``) and returns the platform's post id and URL.

Values are frozen and small (ids, URLs, paths), so DBOS can checkpoint them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

PlatformName = Literal["youtube", "tiktok", "instagram"]
PLATFORMS: tuple[PlatformName, ...] = ("youtube", "tiktok", "instagram")


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint answered (a refresh may omit the refresh token: keep the old)."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scopes: tuple[str, ...]
    platform_user_id: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class VideoFacts:
    """The figures of the video a platform's limits are checked against (from ffprobe)."""

    path: Path
    size_bytes: int
    duration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    container: str
    url: str | None = None
    """A signed URL the platform can fetch the video from (set for platforms that pull it,
    Instagram, just before the upload begins: it expires)."""

    @property
    def vertical_or_square(self) -> bool:
        return self.height >= self.width


@dataclass(frozen=True)
class PostContent:
    """What the user asked to post with the video (platform-native privacy value)."""

    title: str
    description: str = ""
    hashtags: tuple[str, ...] = ()
    privacy: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)

    def caption(self) -> str:
        """Title, description and hashtags as one text, for platforms with one text field
        (TikTok's ``post_info.title``, an Instagram Reel's caption)."""
        tags = " ".join(f"#{t.lstrip('#')}" for t in self.hashtags if t.lstrip("#"))
        text = "\n\n".join(p for p in (self.title.strip(), self.description.strip()) if p)
        return f"{text}\n\n{tags}".strip() if tags and tags not in text else text


@dataclass(frozen=True)
class UploadSession:
    """An opened upload: where the bytes go and what the platform calls it so far."""

    platform: PlatformName
    upload_url: str | None
    total_bytes: int
    remote_id: str | None = None
    """The platform's id once it has one (YouTube's video id after the last byte; TikTok's
    ``publish_id`` from ``video/init``)."""
    notices: tuple[str, ...] = ()
    chunk_bytes: int | None = None
    """The chunk size the platform was told at the start (TikTok's ``chunk_size``: every
    chunk but the last is exactly this long)."""
    account_handle: str | None = None
    """The creator's public handle, for the post's URL (TikTok's ``creator_username``)."""
    transferred: bool = False
    """Every byte is with the platform (a resumed transfer step sends nothing)."""


@dataclass(frozen=True)
class PublishedPost:
    post_id: str
    url: str
    notices: tuple[str, ...] = ()


class SocialPlatform(Protocol):
    """A social platform's OAuth and posting API (one implementation per platform)."""

    name: PlatformName
    scopes: tuple[str, ...]
    """What the connect flow asks for; a post needs all of them."""
    uses_pkce: bool
    """Whether the authorization request carries a PKCE S256 challenge."""
    pulls_video: bool
    """Whether the platform fetches the video from ``VideoFacts.url`` itself (Instagram)."""
    revoke_token: Literal["access", "refresh"]
    """Which token the revoke endpoint takes (Google: either, the refresh token outlives the
    other; TikTok: the access token)."""

    def authorization_url(self, *, state: str, code_challenge: str | None,
                          redirect_uri: str) -> str:
        """The platform's consent page for this connect attempt."""
        ...

    def exchange_code(self, *, code: str, code_verifier: str | None,
                      redirect_uri: str) -> TokenSet: ...

    def refresh(self, refresh_token: str) -> TokenSet: ...

    def revoke(self, token: str) -> bool:
        """Revoke the grant at the platform; False when it has no revoke endpoint."""
        ...

    def check_video(self, video: VideoFacts, content: PostContent) -> tuple[str, ...]:
        """Notices about the post (``short``); raises VideoSpecError or
        PermanentSocialError when the video or content breaks the platform's limits."""
        ...

    def begin_upload(self, access_token: str, video: VideoFacts,
                     content: PostContent) -> UploadSession: ...

    def transfer(self, access_token: str, session: UploadSession,
                 path: Path) -> UploadSession: ...

    def finish(self, access_token: str, session: UploadSession) -> PublishedPost: ...
