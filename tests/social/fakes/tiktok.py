"""A fake of TikTok's Login Kit OAuth v2 and the Content Posting API (Direct Post, FILE_UPLOAD),
faithful where the adapter depends on it.

Sources (TikTok for Developers): doc/login-kit-web (``/v2/auth/authorize/`` with
``client_key``, comma-separated ``scope``, ``response_type=code``, ``redirect_uri``,
``state``; the redirect back carries ``code``, ``scopes``, ``state``);
doc/oauth-user-access-token-management (``/v2/oauth/token/`` form grants, answer with
``access_token``, ``expires_in``, ``open_id``, ``refresh_token``, ``refresh_expires_in``,
``scope``; ``/v2/oauth/revoke/`` with the access token); doc/oauth-error-handling
(``{"error", "error_description", "log_id"}``, ``invalid_client``, ``invalid_grant``);
doc/tiktok-api-v2-error-handling (``{"data", "error": {"code", "message", "log_id"}}``,
``access_token_invalid`` 401, ``scope_not_authorized`` 401, ``invalid_params`` 400,
``rate_limit_exceeded`` 429, ``internal_error`` 500); doc/tiktok-api-v2-rate-limit (one
minute sliding windows, 429 ``rate_limit_exceeded``); doc/content-posting-api-reference-
query-creator-info (20 requests a minute per token; ``privacy_level_options``,
``*_disabled``, ``max_video_post_duration_sec``); doc/content-posting-api-reference-direct-
post (``video/init`` 6 a minute per token; ``privacy_level`` must be one the creator has;
``spam_risk_too_many_posts``; ``unaudited_client_can_only_post_to_private_accounts``;
``status/fetch`` 30 a minute, ``PROCESSING_UPLOAD`` → ``PUBLISH_COMPLETE`` / ``FAILED`` with
``fail_reason``, ``uploaded_bytes``, ``publicaly_available_post_id``);
doc/content-posting-api-media-transfer-guide (chunks 5–64 MB, last ≤ 128 MB taking the
remainder, under 5 MB one chunk, ``total_chunk_count = floor(video_size / chunk_size)``, at
most 1000, sent in order with exact ``Content-Range``, ``Content-Type: video/mp4``; 206 per
chunk, 201 when complete; the upload URL is valid for an hour).

It enforces: client key, secret and registered redirect URI; single-use codes; bearer tokens
(unknown, expired or revoked → 401 ``access_token_invalid``) and the ``video.publish`` scope
(→ 401 ``scope_not_authorized``); per-token rate limits; the creator's privacy options; the
unaudited-client rule (anything but ``SELF_ONLY`` → 403); the daily post cap; the chunk
arithmetic of ``video/init`` and every ``PUT``'s range, length and order. Faults are injected
with :meth:`FakeTikTok.inject`; :meth:`FakeTikTok.hold_publish` blocks ``status/fetch`` of a
fully uploaded post so a test can kill the worker between upload and publication.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

PUBLISH = "video.publish"
BASIC = "user.info.basic"
KNOWN_SCOPES = {PUBLISH, BASIC, "video.upload", "video.list"}
MB = 1024 * 1024
MIN_CHUNK, MAX_CHUNK, MAX_LAST, MAX_CHUNKS = 5 * MB, 64 * MB, 128 * MB, 1000
LIMITS = {"creator_info": 20, "init": 6, "status": 30}
ALL_PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR",
               "SELF_ONLY"]


def api_answer(data: dict[str, Any] | None = None, *, code: str = "ok", message: str = "",
               status: int = 200) -> JSONResponse:
    return JSONResponse({"data": data or {}, "error": {
        "code": code, "message": message, "log_id": secrets.token_hex(8)}},
        status_code=status)


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description,
                         "log_id": secrets.token_hex(8)}, status_code=status)


@dataclass
class Grant:
    open_id: str
    scopes: set[str]
    refresh_token: str
    revoked: bool = False


@dataclass
class Token:
    grant: Grant
    expires_at: float


@dataclass
class Publish:
    id: str
    open_id: str
    post_info: dict[str, Any]
    video_size: int
    chunk_size: int
    chunks: int
    created: float
    data: bytearray = field(default_factory=bytearray)
    status: str = "PROCESSING_UPLOAD"
    polls_left: int = 1
    post_id: int | None = None
    fail_reason: str | None = None

    @property
    def uploaded(self) -> bool:
        return len(self.data) == self.video_size


class FakeTikTok:
    """State of the fake; :attr:`app` is the ASGI app to serve at the base URL."""

    def __init__(self, *, client_key: str = "fake-tiktok-key",
                 client_secret: str = "fake-tiktok-secret",
                 redirect_uri: str = "http://testserver/api/v1/social/tiktok/callback",
                 token_ttl_s: int = 86400, audited: bool = False,
                 window_s: float = 60.0) -> None:
        self.client_key, self.client_secret = client_key, client_secret
        self.redirect_uris = {redirect_uri}
        self.token_ttl_s = token_ttl_s
        self.audited = audited
        self.window_s = window_s
        self.base_url = ""
        self.privacy_options = list(ALL_PRIVACY)
        self.max_duration_s = 600
        self.comment_disabled = False
        self.daily_post_cap = 15
        self.processing_polls = 1
        """``status/fetch`` answers ``PROCESSING_UPLOAD`` this often after the last byte."""
        self.fail_reason: str | None = None
        """The next publication ends ``FAILED`` with this reason."""
        self.grant_scopes: set[str] | None = None
        self.codes: dict[str, tuple[Grant, str, bool]] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: list[Grant] = []
        self.publishes: dict[str, Publish] = {}
        self.chunk_puts: list[tuple[str, int, int]] = []
        """(publish id, first byte, last byte) of every chunk accepted."""
        self.rejected: dict[str, int] = {}
        """How many requests each rule refused (``rate:init``, ``range``)."""
        self.refreshes = 0
        self.revocations = 0
        self.final_status_requests = 0
        """``status/fetch`` calls about fully uploaded posts."""
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._throttle: set[str] = set()
        self._faults: dict[str, list[tuple[int, str]]] = {}
        self._hold: threading.Event | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/v2/auth/authorize/", self.authorize, methods=["GET"]),
            Route("/v2/oauth/token/", self.token, methods=["POST"]),
            Route("/v2/oauth/revoke/", self.revoke, methods=["POST"]),
            Route("/v2/user/info/", self.user_info, methods=["GET"]),
            Route("/v2/post/publish/creator_info/query/", self.creator_info,
                  methods=["POST"]),
            Route("/v2/post/publish/video/init/", self.init, methods=["POST"]),
            Route("/v2/post/publish/status/fetch/", self.status, methods=["POST"]),
            Route("/upload/", self.upload, methods=["PUT"]),
        ])

    # --- test controls -------------------------------------------------------------------

    def inject(self, where: str, status: int, code: str, *, times: int = 1,
               after: int = 0) -> None:
        """After ``after`` more requests to ``where`` (``init``, ``chunk``, ``status``,
        ``creator_info``, ``token``) pass, the next ``times`` fail with ``code``."""
        self._faults.setdefault(where, []).extend([(0, "")] * after + [(status, code)] * times)

    def hold_publish(self) -> threading.Event:
        """Block ``status/fetch`` of fully uploaded posts until the event is set."""
        self._hold = threading.Event()
        return self._hold

    def expire_tokens(self) -> None:
        for token in self.tokens.values():
            token.expires_at = 0.0

    def revoke_all(self) -> None:
        """The user removed the app in TikTok's settings."""
        for grant in self.grants:
            grant.revoked = True

    def throttle_next(self, what: str) -> None:
        """The next ``what`` call finds its token's window full (as if the user's other
        uploads had just spent it), so it and any retry within ``window_s`` get 429."""
        self._throttle.add(what)

    def _fault(self, where: str) -> JSONResponse | None:
        with self._lock:
            queue = self._faults.get(where)
            if not queue:
                return None
            status, code = queue.pop(0)
        return api_answer(code=code, message=f"injected {code}", status=status) if status \
            else None

    def _refuse(self, rule: str, code: str, message: str, status: int) -> JSONResponse:
        with self._lock:
            self.rejected[rule] = self.rejected.get(rule, 0) + 1
        return api_answer(code=code, message=message, status=status)

    def _rate(self, what: str, token: str) -> JSONResponse | None:
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault((what, token), deque())
            if what in self._throttle:
                self._throttle.discard(what)
                calls.extend([now] * LIMITS[what])
            while calls and calls[0] <= now - self.window_s:
                calls.popleft()
            if len(calls) < LIMITS[what]:
                calls.append(now)
                return None
        return self._refuse(f"rate:{what}", "rate_limit_exceeded",
                            "Too many requests in the last minute.", 429)

    # --- OAuth ---------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """The consent screen, approved at once: a redirect back with a code."""
        q = request.query_params
        if q.get("client_key") != self.client_key:
            return Response("client_key", status_code=400)
        redirect = q.get("redirect_uri", "")
        if redirect not in self.redirect_uris:
            return Response("redirect_uri", status_code=400)
        scopes = set(q.get("scope", "").split(","))
        if q.get("response_type") != "code" or not scopes or scopes - KNOWN_SCOPES:
            refused = {"error": "invalid_scope", "state": q.get("state", "")}
            return RedirectResponse(f"{redirect}?{urlencode(refused)}", status_code=302)
        granted = scopes if self.grant_scopes is None else scopes & self.grant_scopes
        grant = Grant(open_id=f"open-{secrets.token_hex(6)}", scopes=granted,
                      refresh_token=f"rft.{secrets.token_urlsafe(16)}")
        code = f"code-{secrets.token_urlsafe(12)}"
        with self._lock:
            self.grants.append(grant)
            self.codes[code] = (grant, redirect, False)
        back = {"code": code, "scopes": ",".join(sorted(granted)), "state": q.get("state", "")}
        return RedirectResponse(f"{redirect}?{urlencode(back)}", status_code=302)

    def _issue(self, grant: Grant) -> dict[str, Any]:
        access = f"act.{secrets.token_urlsafe(16)}"
        self.tokens[access] = Token(grant, time.time() + self.token_ttl_s)
        return {"access_token": access, "expires_in": self.token_ttl_s,
                "open_id": grant.open_id, "refresh_token": grant.refresh_token,
                "refresh_expires_in": 31536000, "scope": ",".join(sorted(grant.scopes)),
                "token_type": "Bearer"}

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_key") != self.client_key or form.get(
                "client_secret") != self.client_secret:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        fault = self._fault("token")
        if fault is not None:
            return fault
        kind = form.get("grant_type")
        with self._lock:
            if kind == "authorization_code":
                entry = self.codes.get(str(form.get("code")))
                if entry is None or entry[2]:
                    return oauth_error("invalid_grant", "Authorization code is expired.")
                grant, redirect, _ = entry
                self.codes[str(form.get("code"))] = (grant, redirect, True)
                if form.get("redirect_uri") != redirect:
                    return oauth_error("invalid_request", "redirect_uri does not match.")
                return JSONResponse(self._issue(grant))
            if kind == "refresh_token":
                grant_or_none = next((g for g in self.grants
                                      if g.refresh_token == form.get("refresh_token")), None)
                if grant_or_none is None or grant_or_none.revoked:
                    return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
                self.refreshes += 1
                return JSONResponse(self._issue(grant_or_none))
        return oauth_error("unsupported_grant_type", f"grant_type {kind} is not supported.")

    async def revoke(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_key") != self.client_key or form.get(
                "client_secret") != self.client_secret:
            return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
        token = self.tokens.get(str(form.get("token") or ""))
        with self._lock:
            if token is None or token.grant.revoked:
                return oauth_error("invalid_grant", "Access token is invalid.")
            token.grant.revoked = True
            self.revocations += 1
        return JSONResponse({})

    def _bearer(self, request: Request, scope: str) -> tuple[str, Grant] | JSONResponse:
        header = request.headers.get("Authorization", "")
        value = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        token = self.tokens.get(value)
        if token is None or token.grant.revoked or token.expires_at <= time.time():
            return api_answer(code="access_token_invalid", status=401,
                              message="The access token is invalid or not found.")
        if scope not in token.grant.scopes:
            return api_answer(code="scope_not_authorized", status=401,
                              message=f"The user did not authorize the scope {scope}.")
        return value, token.grant

    # --- API -----------------------------------------------------------------------------

    async def user_info(self, request: Request) -> Response:
        auth = self._bearer(request, BASIC)
        if isinstance(auth, JSONResponse):
            return auth
        return api_answer({"user": {"open_id": auth[1].open_id,
                                    "display_name": "Glow Serum"}})

    async def creator_info(self, request: Request) -> Response:
        auth = self._bearer(request, PUBLISH)
        if isinstance(auth, JSONResponse):
            return auth
        limited = self._rate("creator_info", auth[0]) or self._fault("creator_info")
        if limited is not None:
            return limited
        return api_answer({
            "creator_avatar_url": "https://p16.tiktokcdn.com/avatar.jpeg",
            "creator_username": "glowserum", "creator_nickname": "Glow Serum",
            "privacy_level_options": list(self.privacy_options),
            "comment_disabled": self.comment_disabled, "duet_disabled": False,
            "stitch_disabled": True, "max_video_post_duration_sec": self.max_duration_s})

    def _chunk_rule(self, source: dict[str, Any]) -> str | None:
        """What is wrong with ``source_info`` (FILE_UPLOAD), per the transfer guide."""
        try:
            size, chunk, count = (int(source[k]) for k in (
                "video_size", "chunk_size", "total_chunk_count"))
        except (KeyError, TypeError, ValueError):
            return "video_size, chunk_size and total_chunk_count are required"
        if size <= 0 or chunk <= 0:
            return "sizes must be positive"
        if size < MIN_CHUNK:
            return None if chunk == size and count == 1 else \
                "a video under 5 MB is uploaded whole, as one chunk"
        if size <= MAX_CHUNK and chunk == size and count == 1:
            return None
        if not MIN_CHUNK <= chunk <= MAX_CHUNK:
            return "chunk_size must be 5–64 MB"
        if count != size // chunk or not 1 <= count <= MAX_CHUNKS:
            return "total_chunk_count must be floor(video_size / chunk_size), 1–1000"
        if size - (count - 1) * chunk > MAX_LAST:
            return "the last chunk may not exceed 128 MB"
        return None

    async def init(self, request: Request) -> Response:
        auth = self._bearer(request, PUBLISH)
        if isinstance(auth, JSONResponse):
            return auth
        limited = self._rate("init", auth[0]) or self._fault("init")
        if limited is not None:
            return limited
        body = await request.json()
        info, source = body.get("post_info") or {}, body.get("source_info") or {}
        privacy = info.get("privacy_level")
        if len(str(info.get("title", ""))) > 2200:
            return self._refuse("title", "invalid_params", "title is too long", 400)
        if "is_aigc" in info and not isinstance(info["is_aigc"], bool):
            # post_info.is_aigc is a Boolean ("set to true if the video is AI generated
            # content"): developers.tiktok.com/doc/content-posting-api-reference-direct-post
            return self._refuse("aigc", "invalid_params", "is_aigc must be a boolean", 400)
        if privacy not in self.privacy_options:
            return self._refuse("privacy", "privacy_level_option_mismatch",
                                "privacy_level is not one of the creator's options", 400)
        if not self.audited and privacy != "SELF_ONLY":
            return self._refuse("unaudited", "unaudited_client_can_only_post_to_private_"
                                "accounts", "Unaudited clients can only post privately.", 403)
        open_id = auth[1].open_id
        if sum(p.open_id == open_id for p in self.publishes.values()) >= self.daily_post_cap:
            return self._refuse("cap", "spam_risk_too_many_posts",
                                "The daily post cap for this user is reached.", 403)
        if source.get("source") != "FILE_UPLOAD":
            return self._refuse("source", "invalid_params", "source must be FILE_UPLOAD", 400)
        wrong = self._chunk_rule(source)
        if wrong is not None:
            return self._refuse("chunks", "invalid_params", wrong, 400)
        with self._lock:
            pid = f"v_pub_file~v2-1.{next(self._ids):06d}"
            self.publishes[pid] = Publish(
                pid, open_id, dict(info), int(source["video_size"]),
                int(source["chunk_size"]), int(source["total_chunk_count"]),
                created=time.time(), polls_left=self.processing_polls)
        url = f"{self.base_url}/upload/?" + urlencode({"upload_id": pid,
                                                       "upload_token": secrets.token_hex(8)})
        return api_answer({"publish_id": pid, "upload_url": url})

    async def upload(self, request: Request) -> Response:
        publish = self.publishes.get(request.query_params.get("upload_id", ""))
        if publish is None:
            return Response(status_code=404)
        if time.time() - publish.created > 3600:
            return Response(status_code=403)
        body = await request.body()
        if request.headers.get("Content-Type") != "video/mp4":
            return self._refuse("content_type", "invalid_params", "Content-Type", 400)
        fault = self._fault("chunk")
        if fault is not None:
            return fault
        unit, _, rng = request.headers.get("Content-Range", "").partition(" ")
        span, _, total = rng.partition("/")
        first, _, last = span.partition("-")
        index = len(publish.data) // publish.chunk_size
        want_first = index * publish.chunk_size
        want_last = publish.video_size - 1 if index == publish.chunks - 1 \
            else want_first + publish.chunk_size - 1
        if (unit != "bytes" or total != str(publish.video_size) or publish.uploaded
                or (first, last) != (str(want_first), str(want_last))):
            return self._refuse("range", "invalid_params", f"expected bytes {want_first}-"
                                f"{want_last}/{publish.video_size}, got {rng!r}", 416)
        if len(body) != want_last - want_first + 1:
            return self._refuse("length", "invalid_params", "body length != range", 400)
        with self._lock:
            publish.data.extend(body)
            self.chunk_puts.append((publish.id, want_first, want_last))
        return Response(status_code=201 if publish.uploaded else 206)

    async def status(self, request: Request) -> Response:
        auth = self._bearer(request, PUBLISH)
        if isinstance(auth, JSONResponse):
            return auth
        limited = self._rate("status", auth[0])
        if limited is not None:
            return limited
        publish = self.publishes.get(str((await request.json()).get("publish_id")))
        if publish is None or publish.open_id != auth[1].open_id:
            return api_answer(code="invalid_params", message="publish_id not found",
                              status=400)
        if publish.uploaded:
            self.final_status_requests += 1
            if self._hold is not None:
                await asyncio.to_thread(self._hold.wait, 120)
        fault = self._fault("status")
        if fault is not None:
            return fault
        with self._lock:
            self._advance(publish)
        data: dict[str, Any] = {"status": publish.status, "uploaded_bytes": len(publish.data)}
        if publish.fail_reason:
            data["fail_reason"] = publish.fail_reason
        if publish.post_id is not None:
            data["publicaly_available_post_id"] = [publish.post_id]
        return api_answer(data)

    def _advance(self, publish: Publish) -> None:
        """The state machine: processing for a few polls after the last byte, then out."""
        if not publish.uploaded or publish.status != "PROCESSING_UPLOAD":
            return
        if publish.polls_left > 0:
            publish.polls_left -= 1
            return
        if self.fail_reason is not None:
            publish.status, publish.fail_reason = "FAILED", self.fail_reason
            self.fail_reason = None
            return
        publish.status = "PUBLISH_COMPLETE"
        if publish.post_info.get("privacy_level") != "SELF_ONLY":
            publish.post_id = 7300000000000000000 + next(self._ids)

    # --- what tests read -----------------------------------------------------------------

    @property
    def published(self) -> list[Publish]:
        return [p for p in self.publishes.values() if p.status == "PUBLISH_COMPLETE"]

    def callback_of(self, authorization_url: str) -> dict[str, str]:
        """Follow the consent (as a browser would) and return the callback's query."""
        import httpx

        local = authorization_url.replace(urlparse(authorization_url)._replace(
            path="", query="").geturl(), self.base_url)
        response = httpx.get(local, follow_redirects=False)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return {k: v[0] for k, v in query.items()}
