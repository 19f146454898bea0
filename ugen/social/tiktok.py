"""TikTok Content Posting API, Direct Post: Login Kit OAuth v2 and the chunked FILE_UPLOAD.

Sources (TikTok for Developers):

- Login Kit for Web — developers.tiktok.com/doc/login-kit-web: ``www.tiktok.com/v2/auth/
  authorize/`` with ``client_key``, comma-separated ``scope``, ``response_type=code``,
  ``redirect_uri``, ``state``. The web flow documents no PKCE parameters (PKCE is required
  for Login Kit for Desktop and mobile, where TikTok's challenge is the *hex* SHA-256 of the
  verifier, not RFC 7636's base64url: developers.tiktok.com/doc/login-kit-desktop), so this
  server-side web client sends ``state`` only and ``uses_pkce`` is False.
- Token management — developers.tiktok.com/doc/oauth-user-access-token-management:
  ``POST open.tiktokapis.com/v2/oauth/token/`` (form: ``client_key``, ``client_secret``,
  ``code``, ``grant_type=authorization_code``, ``redirect_uri``; refresh with
  ``grant_type=refresh_token``) answering ``access_token``, ``expires_in`` (24 h),
  ``refresh_token`` (365 d, may change on refresh), ``open_id``, ``scope``;
  ``POST /v2/oauth/revoke/`` with the user's *access* token.
- Direct Post — developers.tiktok.com/doc/content-posting-api-reference-direct-post and
  …-query-creator-info: ``POST /v2/post/publish/creator_info/query/`` first
  (``privacy_level_options``, ``comment_disabled``, ``duet_disabled``, ``stitch_disabled``,
  ``max_video_post_duration_sec``, ``creator_username``); ``POST /v2/post/publish/video/
  init/`` (6 requests a minute per user token) with ``post_info`` (``title`` ≤ 2200,
  ``privacy_level``, ``disable_*``, ``is_aigc``: "set to true if the video is AI generated
  content") and ``source_info`` ``FILE_UPLOAD`` → ``publish_id``, ``upload_url``;
  ``POST /v2/post/publish/status/fetch/`` → ``status`` (``PROCESSING_UPLOAD``, …,
  ``PUBLISH_COMPLETE``, ``FAILED`` with ``fail_reason``), ``uploaded_bytes``,
  ``publicaly_available_post_id`` (sic). "All content posted by unaudited clients will be
  restricted to private viewing mode."
- Media transfer guide — developers.tiktok.com/doc/content-posting-api-media-transfer-guide:
  chunks of 5–64 MB, the last may be up to 128 MB (it takes the remainder), a file under
  5 MB is one chunk, ``total_chunk_count = floor(video_size / chunk_size)``, 1–1000 chunks
  sent in order; ``PUT upload_url`` with ``Content-Type: video/mp4`` and ``Content-Range:
  bytes FIRST-LAST/TOTAL``; ``206`` until the last chunk, then ``201``. Video restrictions:
  MP4/WebM/MOV, H.264 (recommended)/H.265/VP8/VP9, 360–4096 px a side, up to 4 GB, up to
  10 minutes (the creator's own maximum comes from ``creator_info``).

Errors are mapped once, in :mod:`ugen.social._tiktok_errors`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import urlencode

import httpx

from ugen.core.config import Settings
from ugen.social._http import send
from ugen.social._tiktok_errors import error_of, translate
from ugen.social.base import (
    PlatformName,
    PostContent,
    PublishedPost,
    TokenSet,
    UploadSession,
    VideoFacts,
)
from ugen.social.errors import (
    ConnectionRevokedError,
    OAuthError,
    PermanentSocialError,
    TransientSocialError,
    VideoSpecError,
)
from ugen.social.specs import VideoLimits, check_limits

PUBLISH_SCOPE = "video.publish"
BASIC_SCOPE = "user.info.basic"
PRIVACY = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
PRIVATE = "SELF_ONLY"
MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST_CHUNK, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
CAPTION_MAX = 2200
LIMITS = VideoLimits(
    containers=frozenset({"mp4", "mov", "webm"}),
    video_codecs=frozenset({"h264", "hevc", "vp8", "vp9"}),
    max_bytes=4 * 1024**3,
    min_duration_s=1.0,
    max_duration_s=600.0,
)
AUDIO_CODECS = frozenset({"aac", "mp3", "opus"})
MIN_SIDE, MAX_SIDE = 360, 4096


def chunk_plan(video_size: int, preferred: int) -> tuple[int, int]:
    """``(chunk_size, total_chunk_count)`` for ``video_size`` bytes, per the transfer guide.

    Under 5 MB, or no larger than one chunk: one chunk of the whole file. Otherwise chunks of
    ``preferred`` clamped to 5–64 MB, ``floor(size / chunk)`` of them, the last taking the
    remainder (so it is under twice the chunk, within 128 MB); never more than 1000.
    """
    chunk = min(max(preferred, MIN_CHUNK), MAX_CHUNK)
    if video_size <= chunk:
        return video_size, 1
    chunk = max(chunk, -(-video_size // MAX_CHUNKS))
    return chunk, video_size // chunk


def chunk_ranges(video_size: int, chunk: int, count: int) -> list[tuple[int, int]]:
    """``(first, last)`` byte of every chunk: all ``chunk`` long but the last."""
    return [(i * chunk, video_size - 1 if i == count - 1 else (i + 1) * chunk - 1)
            for i in range(count)]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TikTok:
    """The TikTok adapter; hosts come from the settings (a fake in the tests)."""

    name: PlatformName = "tiktok"
    scopes: tuple[str, ...] = (BASIC_SCOPE, PUBLISH_SCOPE)
    uses_pkce: bool = False
    pulls_video: bool = False
    revoke_token: Literal["access", "refresh"] = "access"

    def __init__(self, settings: Settings, *, client_key: str, client_secret: str) -> None:
        self._settings = settings
        self._client_key = client_key
        self._client_secret = client_secret
        self._api = settings.tiktok_api_base_url.rstrip("/")

    # --- HTTP and errors -----------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.name, "TikTok", method, url, **kwargs)

    def _fail(self, response: httpx.Response, call: str) -> NoReturn:
        try:
            code, message, log_id = error_of(response.json())
        except ValueError:
            code, message, log_id = "http_error", response.text[:300], None
        raise translate(code, message, status=response.status_code, call=call, log_id=log_id,
                        rate_wait_s=self._settings.tiktok_rate_limit_wait_s)

    def _api_call(self, path: str, token: str, body: Mapping[str, Any],
                  call: str) -> dict[str, Any]:
        """POST a JSON body to an API endpoint; its ``data`` when ``error.code`` is ok."""
        response = self._send("POST", f"{self._api}{path}", json=dict(body), headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=UTF-8"})
        try:
            payload = response.json()
        except ValueError:
            self._fail(response, call)
        if response.status_code != 200 or error_of(payload)[0] != "ok":
            self._fail(response, call)
        data = payload.get("data")
        return data if isinstance(data, dict) else {}

    # --- OAuth ---------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str | None,
                          redirect_uri: str) -> str:
        query = {"client_key": self._client_key, "scope": ",".join(self.scopes),
                 "response_type": "code", "redirect_uri": redirect_uri, "state": state}
        return f"{self._settings.tiktok_auth_url}?{urlencode(query)}"

    def _token(self, form: Mapping[str, str], *, refreshing: bool) -> TokenSet:
        response = self._send("POST", f"{self._api}/v2/oauth/token/", data={
            "client_key": self._client_key, "client_secret": self._client_secret, **form})
        try:
            body = response.json()
        except ValueError:
            self._fail(response, "the token request")
        code, message, log_id = error_of(body)
        if response.status_code >= 500:
            self._fail(response, "the token request")
        if response.status_code != 200 or code != "ok" or "access_token" not in body:
            cls = ConnectionRevokedError if refreshing else OAuthError
            raise cls(f"TikTok refused the token request: {code}: {message}"
                      + (f" (log_id {log_id})" if log_id else ""), platform=self.name,
                      reason=code, status_code=response.status_code)
        expires_in = body.get("expires_in")
        scopes = str(body.get("scope", "")).replace(",", " ").split()
        return TokenSet(
            access_token=body["access_token"], refresh_token=body.get("refresh_token"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in is not None else None,
            scopes=tuple(scopes), platform_user_id=body.get("open_id"))

    def exchange_code(self, *, code: str, code_verifier: str | None,
                      redirect_uri: str) -> TokenSet:
        tokens = self._token({"code": code, "grant_type": "authorization_code",
                              "redirect_uri": redirect_uri}, refreshing=False)
        if PUBLISH_SCOPE not in tokens.scopes:
            raise OAuthError("the TikTok posting permission (video.publish) was not granted; "
                             "connect again and allow it", platform=self.name, reason="scope")
        return self._with_user(tokens)

    def _with_user(self, tokens: TokenSet) -> TokenSet:
        """The tokens with the user's display name (``GET /v2/user/info/``)."""
        response = self._send("GET", f"{self._api}/v2/user/info/",
                              params={"fields": "open_id,display_name"},
                              headers={"Authorization": f"Bearer {tokens.access_token}"})
        try:
            body = response.json()
        except ValueError:
            self._fail(response, "the user lookup")
        if response.status_code != 200 or error_of(body)[0] != "ok":
            self._fail(response, "the user lookup")
        user = (body.get("data") or {}).get("user") or {}
        return replace(tokens, platform_user_id=user.get("open_id") or tokens.platform_user_id,
                       display_name=user.get("display_name"))

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token},
                           refreshing=True)

    def revoke(self, token: str) -> bool:
        response = self._send("POST", f"{self._api}/v2/oauth/revoke/", data={
            "client_key": self._client_key, "client_secret": self._client_secret,
            "token": token})
        try:
            code = error_of(response.json())[0]
        except ValueError:
            code = "ok" if response.status_code == 200 else "http_error"
        if response.status_code == 200 and code == "ok":
            return True
        if code in ("invalid_grant", "access_token_invalid"):
            return True  # already gone
        self._fail(response, "the revocation")

    # --- posting -------------------------------------------------------------------------

    def check_video(self, video: VideoFacts, content: PostContent) -> tuple[str, ...]:
        check_limits(video, LIMITS, platform=self.name)
        if video.audio_codec is not None and video.audio_codec not in AUDIO_CODECS:
            raise VideoSpecError(f"tiktok refuses this video: audio codec {video.audio_codec} "
                                 f"is not one of {', '.join(sorted(AUDIO_CODECS))}",
                                 platform=self.name, field="codec")
        if min(video.width, video.height) < MIN_SIDE or max(video.width, video.height) > MAX_SIDE:
            raise VideoSpecError(f"tiktok refuses this video: {video.width}x{video.height} is "
                                 f"outside {MIN_SIDE}–{MAX_SIDE} px a side",
                                 platform=self.name, field="size")
        if _utf16_len(content.caption()) > CAPTION_MAX:
            raise VideoSpecError("the TikTok caption (title, description and hashtags) is "
                                 f"over {CAPTION_MAX} characters", platform=self.name,
                                 field="title")
        if content.privacy is not None and content.privacy not in PRIVACY:
            raise VideoSpecError(f"TikTok privacy is one of {', '.join(PRIVACY)}",
                                 platform=self.name, field="privacy")
        return ()

    def creator_info(self, access_token: str) -> dict[str, Any]:
        return self._api_call("/v2/post/publish/creator_info/query/", access_token, {},
                              "creator_info/query")

    def post_info(self, content: PostContent, creator: Mapping[str, Any],
                  video: VideoFacts) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The ``post_info`` of ``video/init`` and the post's notices, checked against what
        the creator allows.

        Raises:
            PermanentSocialError: the creator does not allow the asked privacy.
            VideoSpecError: the video is longer than the creator may post.
        """
        asked = content.privacy or PRIVATE
        allowed = [str(p) for p in creator.get("privacy_level_options") or []]
        if asked not in allowed:
            raise PermanentSocialError(
                f"this TikTok account does not allow privacy {asked}; choose one of "
                f"{', '.join(allowed) or 'none'}", platform=self.name,
                reason="privacy_level_option_mismatch")
        max_s = creator.get("max_video_post_duration_sec")
        if isinstance(max_s, int | float) and video.duration_s > max_s:
            raise VideoSpecError(f"tiktok refuses this video: {video.duration_s:.1f} s is over "
                                 f"this account's {max_s:g} s maximum", platform=self.name,
                                 field="duration")
        notices: list[str] = []
        privacy = asked
        if not self._settings.tiktok_audited and asked != PRIVATE:
            privacy = PRIVATE
            notices.append(f"unaudited_app: TikTok keeps posts from apps it has not audited "
                           f"private (SELF_ONLY); {asked} was asked")
        notices.append(f"privacy:{privacy}")
        options = content.options
        info: dict[str, Any] = {
            "title": content.caption(), "privacy_level": privacy,
            # A setting the creator turned off stays off (TikTok's UX guidelines).
            "disable_comment": bool(options.get("disable_comment", False))
            or bool(creator.get("comment_disabled")),
            "disable_duet": bool(options.get("disable_duet", False))
            or bool(creator.get("duet_disabled")),
            "disable_stitch": bool(options.get("disable_stitch", False))
            or bool(creator.get("stitch_disabled")),
            "is_aigc": True,  # every U-Gen video is AI-generated
        }
        cover = options.get("video_cover_timestamp_ms")
        if isinstance(cover, int) and not isinstance(cover, bool):
            info["video_cover_timestamp_ms"] = cover
        return info, tuple(notices)

    def begin_upload(self, access_token: str, video: VideoFacts,
                     content: PostContent) -> UploadSession:
        """``creator_info/query`` then ``video/init`` (FILE_UPLOAD)."""
        self.check_video(video, content)
        creator = self.creator_info(access_token)
        info, notices = self.post_info(content, creator, video)
        chunk, count = chunk_plan(video.size_bytes, self._settings.social_chunk_bytes)
        data = self._api_call("/v2/post/publish/video/init/", access_token, {
            "post_info": info,
            "source_info": {"source": "FILE_UPLOAD", "video_size": video.size_bytes,
                            "chunk_size": chunk, "total_chunk_count": count}}, "video/init")
        return UploadSession(platform=self.name, upload_url=str(data["upload_url"]),
                             total_bytes=video.size_bytes, remote_id=str(data["publish_id"]),
                             notices=notices, chunk_bytes=chunk,
                             account_handle=creator.get("creator_username"))

    def status(self, access_token: str, publish_id: str) -> dict[str, Any]:
        return self._api_call("/v2/post/publish/status/fetch/", access_token,
                              {"publish_id": publish_id}, "status/fetch")

    def transfer(self, access_token: str, session: UploadSession,
                 path: Path) -> UploadSession:
        """PUT the chunks TikTok does not hold yet (``uploaded_bytes`` says), in order."""
        if session.transferred:
            return session
        if session.upload_url is None or session.remote_id is None or not session.chunk_bytes:
            raise PermanentSocialError("no TikTok upload to send to", platform=self.name)
        total, chunk = session.total_bytes, session.chunk_bytes
        count = max(1, total // chunk)
        held = int(self.status(access_token, session.remote_id).get("uploaded_bytes") or 0)
        with path.open("rb") as f:
            for first, last in chunk_ranges(total, chunk, count):
                if last < held:
                    continue  # TikTok has this chunk already
                f.seek(first)
                response = self._send("PUT", session.upload_url, content=f.read(last - first + 1),
                                      headers={"Content-Type": "video/mp4",
                                               "Content-Range": f"bytes {first}-{last}/{total}"})
                if response.status_code not in (201, 206):
                    if response.status_code in (403, 404):
                        raise PermanentSocialError(
                            "the TikTok upload URL expired (it lasts an hour); post again",
                            platform=self.name, reason="upload_url_expired",
                            status_code=response.status_code)
                    self._fail(response, "the upload")
        return replace(session, transferred=True)

    def finish(self, access_token: str, session: UploadSession) -> PublishedPost:
        """Poll ``status/fetch`` until ``PUBLISH_COMPLETE`` (or ``FAILED``)."""
        if session.remote_id is None:
            raise PermanentSocialError("the upload did not start", platform=self.name)
        deadline = time.monotonic() + self._settings.social_poll_timeout_s
        while True:
            data = self.status(access_token, session.remote_id)
            state = data.get("status")
            if state == "PUBLISH_COMPLETE":
                return self._published(session, data)
            if state == "FAILED":
                why = str(data.get("fail_reason") or "unknown")
                raise PermanentSocialError(f"TikTok did not publish the video: {why}",
                                           platform=self.name, reason=why)
            if time.monotonic() >= deadline:
                raise TransientSocialError(f"TikTok is still processing the video ({state})",
                                           platform=self.name, reason=str(state))
            time.sleep(self._settings.social_poll_interval_s)

    def _published(self, session: UploadSession, data: Mapping[str, Any]) -> PublishedPost:
        ids = [str(i) for i in data.get("publicaly_available_post_id") or []]
        handle = session.account_handle or ""
        if ids:
            return PublishedPost(post_id=ids[0],
                                 url=f"https://www.tiktok.com/@{handle}/video/{ids[0]}",
                                 notices=session.notices)
        # Private (and not yet moderated) posts have no public id: name the profile.
        return PublishedPost(post_id=str(session.remote_id),
                             url=f"https://www.tiktok.com/@{handle}",
                             notices=(*session.notices, "post_id:publish_id"))
