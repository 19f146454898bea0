"""Instagram Reels through the Instagram API with Instagram Login (Business Login).

Meta documents content publishing for both the Instagram API with Instagram Login
(``graph.instagram.com``, permissions ``instagram_business_basic`` and
``instagram_business_content_publish``) and with Facebook Login (``graph.facebook.com``, a
Facebook Page linked to the account). Instagram Login needs no Facebook Page and is the one
Meta's current content-publishing guide leads with, so U-Gen uses it.

Sources (developers.facebook.com/docs/instagram-platform/…):

- Business Login — instagram-api-with-instagram-login/business-login: ``www.instagram.com/
  oauth/authorize`` with ``client_id``, ``redirect_uri``, ``response_type=code``, comma-
  separated ``scope``, ``state``; ``POST api.instagram.com/oauth/access_token`` (form:
  ``client_id``, ``client_secret``, ``grant_type=authorization_code``, ``redirect_uri``,
  ``code``) → ``{"data": [{"access_token", "user_id", "permissions"}]}``, a short-lived
  (1 h) token. No PKCE is documented, and no revoke endpoint: an app is removed by the user
  in Instagram's settings.
- Long-lived tokens — reference/access_token and reference/refresh_access_token:
  ``GET graph.instagram.com/access_token?grant_type=ig_exchange_token&client_secret&
  access_token`` → 60-day token; ``GET /refresh_access_token?grant_type=ig_refresh_token&
  access_token`` refreshes a long-lived token that is at least 24 h old and not expired
  (the token is its own refresh token).
- Content publishing — instagram-api-with-instagram-login/content-publishing and
  reference/ig-user/media, …/media_publish, …/content_publishing_limit, reference/
  ig-container: ``POST /{ig-user-id}/media`` (``media_type=REELS``, ``video_url`` that Meta
  cURLs from a public server, ``caption``, ``share_to_feed``) → container id; ``GET
  /{container-id}?fields=status_code,status`` (``IN_PROGRESS``, ``FINISHED``, ``ERROR``,
  ``EXPIRED`` after 24 h, ``PUBLISHED``); ``POST /{ig-user-id}/media_publish`` with
  ``creation_id`` → media id; ``GET /{media-id}?fields=permalink``; ``GET /{ig-user-id}/
  content_publishing_limit?fields=quota_usage,config`` (``config.quota_total`` posts per
  ``quota_duration``, a rolling 24 h). Reels: MP4/MOV, H.264 or HEVC, AAC audio, 3 s–15 min,
  ≤ 300 MB, ≤ 1920 px wide, aspect 0.01:1–10:1 (9:16 recommended); caption ≤ 2200
  characters and 30 hashtags.

- AI info label — developers.facebook.com/documentation/instagram-platform/changelog
  (2026-06-22, all versions, both logins): ``is_ai_generated=true`` when creating the media
  container applies Instagram's "AI info" label; set on every U-Gen Reel.
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
from ugen.social._instagram_errors import error_of, translate
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
    QuotaExceededError,
    TransientSocialError,
    VideoSpecError,
)
from ugen.social.specs import VideoLimits, check_limits

BASIC_SCOPE = "instagram_business_basic"
PUBLISH_SCOPE = "instagram_business_content_publish"
CAPTION_MAX, HASHTAGS_MAX, MAX_WIDTH = 2200, 30, 1920
LIMITS = VideoLimits(
    containers=frozenset({"mp4", "mov"}),
    video_codecs=frozenset({"h264", "hevc"}),
    max_bytes=300 * 1024 * 1024,
    min_duration_s=3.0,
    max_duration_s=15 * 60.0,
    min_aspect=0.01,
    max_aspect=10.0,
)


class Instagram:
    """The Instagram adapter; hosts come from the settings (a fake in the tests)."""

    name: PlatformName = "instagram"
    scopes: tuple[str, ...] = (BASIC_SCOPE, PUBLISH_SCOPE)
    uses_pkce: bool = False
    pulls_video: bool = True
    revoke_token: Literal["access", "refresh"] = "access"

    def __init__(self, settings: Settings, *, client_id: str, client_secret: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._client_secret = client_secret
        self._host = settings.instagram_graph_base_url.rstrip("/")
        self._api = f"{self._host}/{settings.instagram_api_version}"

    # --- HTTP and errors -----------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.name, "Instagram", method, url, **kwargs)

    def _json(self, response: httpx.Response, call: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
            self._fail(response, body, call)
        return body

    @staticmethod
    def _fail(response: httpx.Response, body: Any, call: str) -> NoReturn:
        raise translate(body, status=response.status_code, call=call)

    def _graph(self, method: str, path: str, token: str, call: str,
               **kwargs: Any) -> dict[str, Any]:
        return self._json(self._send(method, f"{self._api}{path}", headers={
            "Authorization": f"Bearer {token}"}, **kwargs), call)

    # --- OAuth ---------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str | None,
                          redirect_uri: str) -> str:
        query = {"client_id": self._client_id, "redirect_uri": redirect_uri,
                 "response_type": "code", "scope": ",".join(self.scopes), "state": state}
        return f"{self._settings.instagram_auth_url}?{urlencode(query)}"

    def _long_lived(self, body: Mapping[str, Any], scopes: tuple[str, ...]) -> TokenSet:
        token = str(body["access_token"])
        expires_in = body.get("expires_in")
        # The long-lived token is its own refresh token (``ig_refresh_token``).
        return TokenSet(access_token=token, refresh_token=token, scopes=scopes,
                        expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
                        if expires_in is not None else None)

    def exchange_code(self, *, code: str, code_verifier: str | None,
                      redirect_uri: str) -> TokenSet:
        response = self._send("POST", self._settings.instagram_token_url, data={
            "client_id": self._client_id, "client_secret": self._client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500:
            self._fail(response, body, "the token request")
        rows = body.get("data") if isinstance(body, dict) else None
        if response.status_code != 200 or not rows:
            message = (body.get("error_message") or error_of(body)[2]
                       if isinstance(body, dict) else "")
            reason = str(body.get("error_type") or "invalid_grant") \
                if isinstance(body, dict) else "invalid_grant"
            raise OAuthError(f"Instagram refused the code: {message}", platform=self.name,
                             reason=reason, status_code=response.status_code)
        short = rows[0]
        scopes = tuple(str(short.get("permissions", "")).replace(",", " ").split())
        if PUBLISH_SCOPE not in scopes:
            raise OAuthError("the Instagram publishing permission "
                             "(instagram_business_content_publish) was not granted; connect "
                             "again and allow it", platform=self.name, reason="scope")
        long_lived = self._json(self._send("GET", f"{self._host}/access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": self._client_secret,
            "access_token": short["access_token"]}), "the long-lived token exchange")
        tokens = self._long_lived(long_lived, scopes)
        me = self._graph("GET", "/me", tokens.access_token, "the account lookup",
                         params={"fields": "user_id,username"})
        return replace(tokens, platform_user_id=str(me.get("user_id") or short["user_id"]),
                       display_name=me.get("username"))

    def refresh(self, refresh_token: str) -> TokenSet:
        response = self._send("GET", f"{self._host}/refresh_access_token", params={
            "grant_type": "ig_refresh_token", "access_token": refresh_token})
        try:
            body = self._json(response, "the token refresh")
        except PermanentSocialError as err:
            raise ConnectionRevokedError(
                f"{err} (the 60-day token expired or was revoked: reconnect Instagram)",
                platform=self.name, reason=err.reason, status_code=err.status_code) from err
        return self._long_lived(body, ())

    def revoke(self, token: str) -> bool:
        """Instagram has no revoke endpoint: the connection is only forgotten here."""
        return False

    # --- posting -------------------------------------------------------------------------

    def check_video(self, video: VideoFacts, content: PostContent) -> tuple[str, ...]:
        check_limits(video, LIMITS, platform=self.name)
        if video.audio_codec is not None and video.audio_codec != "aac":
            raise VideoSpecError(f"instagram refuses this video: audio codec "
                                 f"{video.audio_codec} is not aac", platform=self.name,
                                 field="codec")
        if video.width > MAX_WIDTH:
            raise VideoSpecError(f"instagram refuses this video: {video.width} px wide is over "
                                 f"{MAX_WIDTH}", platform=self.name, field="size")
        text = content.caption()
        if len(text) > CAPTION_MAX or text.count("#") > HASHTAGS_MAX:
            raise VideoSpecError(f"the Instagram caption is over {CAPTION_MAX} characters or "
                                 f"{HASHTAGS_MAX} hashtags", platform=self.name, field="title")
        if content.privacy is not None:
            raise VideoSpecError("Instagram posts have no privacy setting: leave it out",
                                 platform=self.name, field="privacy")
        return ()

    def _user_id(self, access_token: str) -> str:
        me = self._graph("GET", "/me", access_token, "the account lookup",
                         params={"fields": "user_id,username"})
        return str(me["user_id"])

    def begin_upload(self, access_token: str, video: VideoFacts,
                     content: PostContent) -> UploadSession:
        """``content_publishing_limit`` first, then a ``REELS`` container of the video URL."""
        self.check_video(video, content)
        if video.url is None:
            raise PermanentSocialError("Instagram needs a URL to fetch the video from",
                                       platform=self.name, reason="no_video_url")
        user_id = self._user_id(access_token)
        limit = self._graph("GET", f"/{user_id}/content_publishing_limit", access_token,
                            "the publishing limit",
                            params={"fields": "quota_usage,config"}).get("data") or [{}]
        usage = int(limit[0].get("quota_usage") or 0)
        total = (limit[0].get("config") or {}).get("quota_total")
        if isinstance(total, int) and usage >= total:
            raise QuotaExceededError(
                f"this Instagram account published {usage} of its {total} API posts in the "
                "last 24 hours; post again later", platform=self.name,
                reason="content_publishing_limit")
        share = content.options.get("share_to_feed", True)
        container = self._graph("POST", f"/{user_id}/media", access_token, "the container",
                                data={"media_type": "REELS", "video_url": video.url,
                                      "caption": content.caption(),
                                      "share_to_feed": "true" if share else "false",
                                      # every U-Gen video is AI-generated: the AI info label
                                      "is_ai_generated": "true"})
        return UploadSession(platform=self.name, upload_url=None, total_bytes=video.size_bytes,
                             remote_id=str(container["id"]))

    def transfer(self, access_token: str, session: UploadSession,
                 path: Path) -> UploadSession:
        """Nothing to send: Instagram fetches the video from its URL itself."""
        return replace(session, transferred=True)

    def finish(self, access_token: str, session: UploadSession) -> PublishedPost:
        """Wait for the container to be ``FINISHED``, publish it, name its permalink."""
        if session.remote_id is None:
            raise PermanentSocialError("no Instagram container", platform=self.name)
        container = session.remote_id
        deadline = time.monotonic() + self._settings.social_poll_timeout_s
        while True:
            state = self._graph("GET", f"/{container}", access_token, "the container status",
                                params={"fields": "status_code,status"})
            code = state.get("status_code")
            if code == "FINISHED":
                break
            if code == "PUBLISHED":  # published before a crash: never publish twice
                me = self._graph("GET", "/me", access_token, "the account lookup",
                                 params={"fields": "user_id,username"})
                return PublishedPost(post_id=container,
                                     url=f"https://www.instagram.com/{me.get('username', '')}/",
                                     notices=("post_id:container_id",))
            if code in ("ERROR", "EXPIRED"):
                why = str(state.get("status") or code)
                raise PermanentSocialError(f"Instagram could not process the video: {code}: "
                                           f"{why}", platform=self.name, reason=str(code))
            if time.monotonic() >= deadline:
                raise TransientSocialError(f"Instagram is still processing the video ({code})",
                                           platform=self.name, reason=str(code))
            time.sleep(self._settings.social_poll_interval_s)
        user_id = self._user_id(access_token)
        media = self._graph("POST", f"/{user_id}/media_publish", access_token,
                            "media_publish", data={"creation_id": container})
        media_id = str(media["id"])
        link = self._graph("GET", f"/{media_id}", access_token, "the permalink",
                           params={"fields": "permalink"})
        return PublishedPost(post_id=media_id, url=str(link.get("permalink") or
                                                       "https://www.instagram.com/"))
