"""YouTube Data API v3: Google OAuth (PKCE S256) and the resumable ``videos.insert`` upload.

Sources (Google's documentation):

- OAuth for web server apps — developers.google.com/identity/protocols/oauth2/web-server:
  ``accounts.google.com/o/oauth2/v2/auth`` with ``access_type=offline``, ``state``,
  ``code_challenge`` + ``code_challenge_method=S256``; ``oauth2.googleapis.com/token``
  (``authorization_code`` and ``refresh_token`` grants; ``invalid_grant`` when a grant is
  expired or revoked); ``oauth2.googleapis.com/revoke`` with ``token``.
- Resumable uploads — developers.google.com/youtube/v3/guides/using_resumable_upload_protocol:
  ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the
  video resource as JSON and ``X-Upload-Content-Length`` / ``-Type`` → session URI in
  ``Location``; ``PUT`` chunks (multiples of 256 KiB except the last) with
  ``Content-Range``; ``308`` with ``Range: bytes=0-N`` while incomplete, ``200``/``201`` with
  the video resource at the end; after an interruption a ``PUT`` of ``Content-Range:
  bytes */TOTAL`` asks how much arrived, and the upload resumes from there. A ``5xx`` on a
  chunk is such an interruption (the retry of :meth:`YouTube.transfer` starts with that
  query); a ``404`` on the session URI means the session expired and the upload restarts
  from the beginning in a new session (the post workflow opens one).
- videos resource — developers.google.com/youtube/v3/docs/videos: ``snippet.title`` (≤ 100
  characters, no ``<``/``>``), ``description`` (≤ 5000 bytes), ``tags``,
  ``status.privacyStatus`` (``public``/``unlisted``/``private``), ``selfDeclaredMadeForKids``,
  and ``status.containsSyntheticMedia`` (added 2024-10-30, revision history: "altered or
  synthetic" content), set on every U-Gen video; uploads from unaudited API projects
  created after 2020-07-28 are restricted to private.
- Errors — developers.google.com/youtube/v3/docs/errors: ``403 quotaExceeded``,
  ``400 uploadLimitExceeded`` (quota: not retried), ``403 rateLimitExceeded`` /
  ``userRateLimitExceeded`` and ``429`` (retried with backoff), ``401 authError``.
- Shorts: YouTube has no Shorts flag; vertical or square videos up to 3 minutes are shown as
  Shorts (support.google.com/youtube/answer/10059070; the 3-minute figure is second-hand in
  ../shared/research/vendor-apis.md §6), so such a post's URL is ``/shorts/{id}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NoReturn
from urllib.parse import urlencode

import httpx

from ugen.core.config import Settings
from ugen.social._http import send
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
    RateLimitedError,
    TransientSocialError,
    UploadSessionExpiredError,
    VideoSpecError,
)
from ugen.social.specs import VideoLimits, check_limits

UPLOAD_SCOPE = "https://www.googleapis.com/auth/youtube.upload"
READONLY_SCOPE = "https://www.googleapis.com/auth/youtube.readonly"
CHUNK_UNIT = 256 * 1024
PRIVACY = ("public", "unlisted", "private")
SHORT_MAX_S = 180.0
LIMITS = VideoLimits(
    containers=frozenset({"mp4", "mov", "webm", "matroska", "avi"}),
    video_codecs=frozenset({"h264", "hevc", "vp9", "av1", "mpeg4", "prores"}),
    max_bytes=256 * 1024**3,
    min_duration_s=1.0,
    max_duration_s=15 * 60.0,  # unverified channels; verified ones may upload 12 h
)
_QUOTA = {"quotaExceeded", "uploadLimitExceeded", "dailyLimitExceeded"}
_RATE = {"rateLimitExceeded", "userRateLimitExceeded"}
_RANGE = re.compile(r"bytes=0-(\d+)")


def _reason(response: httpx.Response) -> tuple[str | None, str]:
    """The Google error's reason and message (``error.errors[0].reason``, OAuth's ``error``)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:300]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the OAuth endpoints: {"error": "invalid_grant", ...}
        return error, str(body.get("error_description") or error)
    if isinstance(error, dict):
        errors = error.get("errors") or [{}]
        return errors[0].get("reason"), str(error.get("message") or "")
    return None, response.text[:300]


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class YouTube:
    """The YouTube adapter; base URLs come from the settings (a fake in the tests)."""

    name: PlatformName = "youtube"
    scopes: tuple[str, ...] = (UPLOAD_SCOPE, READONLY_SCOPE)
    uses_pkce: bool = True
    pulls_video: bool = False
    revoke_token: Literal["access", "refresh"] = "refresh"

    def __init__(self, settings: Settings, *, client_id: str, client_secret: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._client_secret = client_secret
        self._api = settings.youtube_api_base_url.rstrip("/")
        self._chunk = max(CHUNK_UNIT, settings.social_chunk_bytes // CHUNK_UNIT * CHUNK_UNIT)

    # --- HTTP and errors -----------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return send(self.name, "YouTube", method, url, **kwargs)

    def _fail(self, response: httpx.Response, what: str) -> NoReturn:
        reason, message = _reason(response)
        status = response.status_code
        text = f"YouTube refused {what}: HTTP {status} {reason or ''}: {message}".strip()
        kwargs: dict[str, Any] = {"platform": self.name, "reason": reason,
                                  "status_code": status}
        if reason in _QUOTA:
            raise QuotaExceededError(text, **kwargs)
        if reason in _RATE or status == 429:
            raise RateLimitedError(text, retry_after=_retry_after(response), **kwargs)
        if status >= 500 or status == 408:
            raise TransientSocialError(text, **kwargs)
        if status == 401:
            raise ConnectionRevokedError(text + " (reconnect the YouTube account)", **kwargs)
        raise PermanentSocialError(text, **kwargs)

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    # --- OAuth ---------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str | None,
                          redirect_uri: str) -> str:
        query = {"client_id": self._client_id, "redirect_uri": redirect_uri,
                 "response_type": "code", "scope": " ".join(self.scopes),
                 "access_type": "offline", "include_granted_scopes": "true",
                 "prompt": "consent", "state": state}
        if code_challenge is not None:
            query |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self._settings.youtube_auth_url}?{urlencode(query)}"

    def _token(self, form: Mapping[str, str], *, refreshing: bool) -> TokenSet:
        response = self._send("POST", self._settings.youtube_token_url, data=dict(form))
        if response.status_code != 200:
            reason, message = _reason(response)
            if response.status_code >= 500:
                self._fail(response, "the token request")
            cls = ConnectionRevokedError if refreshing else OAuthError
            raise cls(f"Google refused the token request: {reason}: {message}",
                      platform=self.name, reason=reason, status_code=response.status_code)
        body = response.json()
        expires_in = body.get("expires_in")
        return TokenSet(
            access_token=body["access_token"], refresh_token=body.get("refresh_token"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in))
            if expires_in is not None else None,
            scopes=tuple(str(body.get("scope", "")).split()))

    def exchange_code(self, *, code: str, code_verifier: str | None,
                      redirect_uri: str) -> TokenSet:
        form = {"code": code, "client_id": self._client_id,
                "client_secret": self._client_secret, "redirect_uri": redirect_uri,
                "grant_type": "authorization_code"}
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        tokens = self._token(form, refreshing=False)
        if UPLOAD_SCOPE not in tokens.scopes:
            raise OAuthError("the YouTube upload permission was not granted; connect again "
                             "and allow uploads", platform=self.name, reason="scope")
        return self._with_channel(tokens)

    def _with_channel(self, tokens: TokenSet) -> TokenSet:
        """The tokens with the channel's id and title (``channels.list?mine=true``)."""
        response = self._send("GET", f"{self._api}/youtube/v3/channels",
                              params={"part": "snippet", "mine": "true"},
                              headers=self._auth(tokens.access_token))
        if response.status_code != 200:
            self._fail(response, "the channel lookup")
        items = response.json().get("items") or []
        if not items:
            raise OAuthError("this Google account has no YouTube channel to upload to",
                             platform=self.name, reason="noChannel")
        return replace(tokens, platform_user_id=items[0]["id"],
                       display_name=items[0].get("snippet", {}).get("title"))

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._token({"client_id": self._client_id,
                            "client_secret": self._client_secret,
                            "refresh_token": refresh_token, "grant_type": "refresh_token"},
                           refreshing=True)

    def revoke(self, token: str) -> bool:
        response = self._send("POST", self._settings.youtube_revoke_url,
                              data={"token": token})
        reason, _ = _reason(response)
        if response.status_code == 200 or reason == "invalid_token":
            return True  # revoked now, or already gone
        self._fail(response, "the revocation")

    # --- posting -------------------------------------------------------------------------

    def check_video(self, video: VideoFacts, content: PostContent) -> tuple[str, ...]:
        check_limits(video, LIMITS, platform=self.name)
        if not content.title.strip() or len(content.title) > 100:
            raise VideoSpecError("the YouTube title must be 1–100 characters",
                                 platform=self.name, field="title")
        if "<" in content.title or ">" in content.title:
            raise VideoSpecError("a YouTube title may not contain < or >", platform=self.name,
                                 field="title")
        if len(content.description.encode("utf-8")) > 5000:
            raise VideoSpecError("the YouTube description is over 5000 bytes",
                                 platform=self.name, field="description")
        if content.privacy is not None and content.privacy not in PRIVACY:
            raise VideoSpecError(f"YouTube privacy is one of {', '.join(PRIVACY)}",
                                 platform=self.name, field="privacy")
        short = video.vertical_or_square and video.duration_s <= SHORT_MAX_S
        return ("short",) if short else ()

    def video_resource(self, content: PostContent) -> dict[str, Any]:
        """The ``videos.insert`` body: snippet, status, and the synthetic-media label."""
        tags = [t.lstrip("#") for t in content.hashtags if t.lstrip("#")]
        description = content.description
        hashtags = " ".join(f"#{t}" for t in tags)
        if hashtags and hashtags not in description:
            description = f"{description}\n\n{hashtags}".strip()
        options = content.options
        return {
            "snippet": {"title": content.title, "description": description, "tags": tags,
                        "categoryId": str(options.get("category_id", "22"))},
            "status": {"privacyStatus": content.privacy or "private",
                       "selfDeclaredMadeForKids": bool(options.get("made_for_kids", False)),
                       "containsSyntheticMedia": True},
        }

    def begin_upload(self, access_token: str, video: VideoFacts,
                     content: PostContent) -> UploadSession:
        notices = self.check_video(video, content)
        response = self._send(
            "POST", f"{self._api}/upload/youtube/v3/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=self.video_resource(content),
            headers={**self._auth(access_token),
                     "X-Upload-Content-Length": str(video.size_bytes),
                     "X-Upload-Content-Type": "video/mp4"})
        if response.status_code != 200 or "Location" not in response.headers:
            self._fail(response, "the upload session")
        return UploadSession(platform=self.name, upload_url=response.headers["Location"],
                             total_bytes=video.size_bytes, notices=notices)

    @staticmethod
    def _uploaded(response: httpx.Response) -> int:
        """Bytes the session holds after a 308: its ``Range``, or none yet."""
        match = _RANGE.fullmatch(response.headers.get("Range", ""))
        return int(match.group(1)) + 1 if match else 0

    def transfer(self, access_token: str, session: UploadSession,
                 path: Path) -> UploadSession:
        """Send what the session does not hold yet, asking it first (so a retry resumes)."""
        if session.remote_id is not None:
            return session
        if session.upload_url is None:
            raise PermanentSocialError("no upload session", platform=self.name)
        total = session.total_bytes
        response = self._send("PUT", session.upload_url,
                              headers={**self._auth(access_token), "Content-Length": "0",
                                       "Content-Range": f"bytes */{total}"})
        with path.open("rb") as f:
            while response.status_code == 308:
                offset = self._uploaded(response)
                f.seek(offset)
                chunk = f.read(self._chunk)
                end = offset + len(chunk) - 1
                response = self._send(
                    "PUT", session.upload_url, content=chunk,
                    headers={**self._auth(access_token), "Content-Type": "video/mp4",
                             "Content-Range": f"bytes {offset}-{end}/{total}"})
        if response.status_code not in (200, 201):
            if response.status_code in (404, 410):
                # The session URI is gone (expired): per the resumable-upload guide's
                # "process the API response" step, restart the upload with a new session.
                # No video was made from this one, so the new one cannot duplicate it.
                raise UploadSessionExpiredError(
                    "the YouTube upload session expired; starting a new one",
                    platform=self.name, reason="uploadSessionExpired",
                    status_code=response.status_code)
            self._fail(response, "the upload")
        return replace(session, remote_id=str(response.json()["id"]))

    def finish(self, access_token: str, session: UploadSession) -> PublishedPost:
        """Confirm the uploaded video's status and name its URL."""
        if session.remote_id is None:
            raise PermanentSocialError("the upload did not finish", platform=self.name)
        response = self._send("GET", f"{self._api}/youtube/v3/videos",
                              params={"part": "status", "id": session.remote_id},
                              headers=self._auth(access_token))
        if response.status_code != 200:
            self._fail(response, "the video status")
        items = response.json().get("items") or []
        if not items:
            raise PermanentSocialError(f"YouTube has no video {session.remote_id}",
                                       platform=self.name, reason="videoNotFound")
        status = items[0].get("status", {})
        if status.get("uploadStatus") in ("failed", "rejected", "deleted"):
            why = status.get("failureReason") or status.get("rejectionReason") or "unknown"
            raise PermanentSocialError(f"YouTube {status['uploadStatus']} the video: {why}",
                                       platform=self.name, reason=str(why))
        video_id = session.remote_id
        notices = list(session.notices)
        if status.get("privacyStatus") and status["privacyStatus"] != "public":
            notices.append(f"privacy:{status['privacyStatus']}")
        url = (f"https://www.youtube.com/shorts/{video_id}" if "short" in session.notices
               else f"https://www.youtube.com/watch?v={video_id}")
        return PublishedPost(post_id=video_id, url=url, notices=tuple(notices))
