"""A fake of Google's OAuth 2.0 endpoints and the YouTube Data API v3 upload, faithful where
the adapter depends on it.

Sources: developers.google.com/identity/protocols/oauth2/web-server (authorization request
parameters, PKCE S256, token and refresh grants, ``invalid_grant`` for a bad code, verifier
or a revoked grant, ``/revoke`` with ``token``, ``invalid_token`` for an unknown one);
developers.google.com/youtube/v3/guides/using_resumable_upload_protocol (session started by
``POST ...?uploadType=resumable`` with ``X-Upload-Content-Length``, ``Location`` session URI,
``PUT`` chunks with ``Content-Range``, ``308 Resume Incomplete`` with ``Range: bytes=0-N``,
``bytes */TOTAL`` status query, 200/201 with the video resource when complete, chunks a
multiple of 256 KiB except the last); developers.google.com/youtube/v3/docs/videos (the
resource, ``status.containsSyntheticMedia``); developers.google.com/youtube/v3/docs/errors
(Google's error body ``{"error": {"code", "message", "errors": [{"reason"}]}}``, 401
``authError``, 403 ``insufficientPermissions``, ``quotaExceeded``, ``rateLimitExceeded``);
developers.google.com/youtube/v3/determine_quota_cost (an upload costs ~100 units since
2025-12-04).

It enforces: client id, secret and registered redirect URI; single-use codes bound to their
redirect URI and PKCE challenge; bearer tokens (unknown, expired or revoked → 401) and their
scopes (→ 403); the resumable protocol (contiguous ranges, 256 KiB multiples, the declared
total; after a 5xx on a chunk, a status query before the next chunk; an expired session's
URI answers 404, :meth:`FakeYouTube.expire_sessions`). Faults are injected with
:meth:`FakeYouTube.inject`; :meth:`FakeYouTube.hold_status`
blocks ``videos.list`` so a test can kill the uploader between upload and completion.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
READONLY = "https://www.googleapis.com/auth/youtube.readonly"
FULL = "https://www.googleapis.com/auth/youtube"
KNOWN_SCOPES = {UPLOAD, READONLY, FULL}
UNIT = 256 * 1024
UPLOAD_COST = 100


def google_error(status: int, reason: str, message: str, *,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message,
                                   "errors": [{"message": message, "domain": "youtube",
                                               "reason": reason}]}},
                        status_code=status, headers=headers)


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description},
                        status_code=status)


@dataclass
class Grant:
    scopes: set[str]
    refresh_token: str
    revoked: bool = False


@dataclass
class Code:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    used: bool = False


@dataclass
class Token:
    grant: Grant
    expires_at: float


@dataclass
class Session:
    id: str
    total: int
    resource: dict[str, Any]
    data: bytearray = field(default_factory=bytearray)
    video_id: str | None = None
    interrupted: bool = False
    """A chunk failed with a 5xx: the client must ask what arrived (``bytes */TOTAL``)
    before it sends another byte."""


class FakeYouTube:
    """State of the fake; :attr:`app` is the ASGI app to serve at the base URL."""

    def __init__(self, *, client_id: str = "fake-client", client_secret: str = "fake-secret",
                 redirect_uri: str = "http://testserver/api/v1/social/youtube/callback",
                 token_ttl_s: int = 3599, daily_quota: int = 10_000) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = {redirect_uri}
        self.token_ttl_s = token_ttl_s
        self.daily_quota = daily_quota
        self.quota_used = 0
        self.base_url = ""
        self.grant_scopes: set[str] | None = None
        """What the next consent grants (None: everything asked)."""
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: list[Grant] = []
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.chunk_puts: list[tuple[str, int, int]] = []
        """(session id, first byte, last byte) of every chunk accepted."""
        self.refreshes = 0
        self.revocations = 0
        self._faults: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
        self.keep_on_fault = 0
        """Bytes of a chunk that failed with a 5xx the session keeps anyway (a transfer cut
        off midway): the client learns where to resume only from the status query."""
        self.sessions_started = 0
        self._expire_after: int | None = None
        self._expire_every = False
        self.refused_unqueried = 0
        """Chunks refused because they came after a 5xx without a status query first."""
        self._hold: threading.Event | None = None
        self.status_requests = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = Starlette(routes=[
            Route("/o/oauth2/v2/auth", self.authorize, methods=["GET"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/revoke", self.revoke, methods=["POST"]),
            Route("/youtube/v3/channels", self.channels, methods=["GET"]),
            Route("/youtube/v3/videos", self.list_videos, methods=["GET"]),
            Route("/upload/youtube/v3/videos", self.upload, methods=["POST", "PUT"]),
        ])

    # --- test controls -------------------------------------------------------------------

    def inject(self, where: str, status: int, reason: str, *, times: int = 1, after: int = 0,
               headers: dict[str, str] | None = None) -> None:
        """After ``after`` more requests to ``where`` (``insert``, ``chunk``, ``status``,
        ``token``) pass, the next ``times`` fail with ``status`` and Google's ``reason``."""
        passing: list[tuple[int, str, dict[str, str]]] = [(0, "", {})] * after
        self._faults.setdefault(where, []).extend(
            passing + [(status, reason, headers or {})] * times)

    def expire_after_chunks(self, chunks: int, *, every_session: bool = False) -> None:
        """The session expires once ``chunks`` chunks arrived (its URI then answers 404);
        ``every_session``: every later session too."""
        self._expire_after, self._expire_every = chunks, every_session

    def expire_sessions(self) -> None:
        """Every open upload session is forgotten: its URI answers 404 from now on."""
        with self._lock:
            for sid, session in list(self.sessions.items()):
                if session.video_id is None:
                    del self.sessions[sid]

    def hold_status(self) -> threading.Event:
        """Block ``videos.list`` until the returned event is set."""
        self._hold = threading.Event()
        return self._hold

    def expire_tokens(self) -> None:
        for token in self.tokens.values():
            token.expires_at = 0.0

    def revoke_all(self) -> None:
        """The user removed the app's access in their Google account."""
        for grant in self.grants:
            grant.revoked = True

    def _fault(self, where: str) -> JSONResponse | None:
        with self._lock:
            queue = self._faults.get(where)
            if not queue:
                return None
            status, reason, headers = queue.pop(0)
        if not status:
            return None
        return google_error(status, reason, f"injected {reason}", headers=headers)

    # --- OAuth ---------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """The consent screen, approved at once: a redirect back with a code."""
        q = request.query_params
        if q.get("client_id") != self.client_id:
            return Response("invalid_client", status_code=401)
        redirect = q.get("redirect_uri", "")
        if redirect not in self.redirect_uris:
            return Response("redirect_uri_mismatch", status_code=400)
        scopes = set(q.get("scope", "").split())
        if q.get("response_type") != "code" or not scopes or scopes - KNOWN_SCOPES:
            refused = {"error": "invalid_request", "state": q.get("state", "")}
            return RedirectResponse(f"{redirect}?{urlencode(refused)}", status_code=302)
        challenge = q.get("code_challenge")
        if challenge is not None and q.get("code_challenge_method") != "S256":
            return Response("invalid code_challenge_method", status_code=400)
        granted = scopes if self.grant_scopes is None else scopes & self.grant_scopes
        grant = Grant(scopes=granted, refresh_token=f"1//r-{secrets.token_urlsafe(12)}")
        code = f"4/c-{secrets.token_urlsafe(12)}"
        with self._lock:
            self.grants.append(grant)
            self.codes[code] = Code(grant, redirect, challenge)
        back = {"state": q.get("state", ""), "code": code, "scope": " ".join(sorted(granted))}
        return RedirectResponse(f"{redirect}?{urlencode(back)}", status_code=302)

    def _issue(self, grant: Grant) -> dict[str, Any]:
        access = f"ya29.{secrets.token_urlsafe(16)}"
        self.tokens[access] = Token(grant, time.time() + self.token_ttl_s)
        return {"access_token": access, "expires_in": self.token_ttl_s,
                "scope": " ".join(sorted(grant.scopes)), "token_type": "Bearer"}

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != self.client_id or form.get(
                "client_secret") != self.client_secret:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        fault = self._fault("token")
        if fault is not None:
            return fault
        kind = form.get("grant_type")
        with self._lock:
            if kind == "authorization_code":
                code = self.codes.get(str(form.get("code")))
                if code is None or code.used:
                    return oauth_error("invalid_grant", "Malformed auth code.")
                code.used = True  # single use, even when the rest is wrong
                if form.get("redirect_uri") != code.redirect_uri:
                    return oauth_error("redirect_uri_mismatch", "Bad Request")
                if code.challenge is not None:
                    verifier = str(form.get("code_verifier") or "")
                    digest = base64.urlsafe_b64encode(
                        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                    if digest != code.challenge:
                        return oauth_error("invalid_grant", "Invalid code verifier.")
                return JSONResponse({**self._issue(code.grant),
                                     "refresh_token": code.grant.refresh_token})
            if kind == "refresh_token":
                grant = next((g for g in self.grants
                              if g.refresh_token == form.get("refresh_token")), None)
                if grant is None or grant.revoked:
                    return oauth_error("invalid_grant", "Token has been expired or revoked.")
                self.refreshes += 1
                return JSONResponse(self._issue(grant))
        return oauth_error("unsupported_grant_type", f"Invalid grant_type: {kind}")

    async def revoke(self, request: Request) -> Response:
        form = await request.form()
        value = str(form.get("token") or "")
        with self._lock:
            grant = next((g for g in self.grants if g.refresh_token == value), None)
            if grant is None and value in self.tokens:
                grant = self.tokens[value].grant
            if grant is None or grant.revoked:
                return oauth_error("invalid_token", "Token expired or revoked")
            grant.revoked = True
            self.revocations += 1
        return Response(status_code=200)

    def _bearer(self, request: Request, scope_any: set[str]) -> JSONResponse | None:
        header = request.headers.get("Authorization", "")
        token = self.tokens.get(header.removeprefix("Bearer ")) if header.startswith(
            "Bearer ") else None
        if token is None or token.grant.revoked or token.expires_at <= time.time():
            return google_error(401, "authError",
                                "Request had invalid authentication credentials.")
        if not token.grant.scopes & (scope_any | {FULL}):
            return google_error(403, "insufficientPermissions",
                                "Request had insufficient authentication scopes.")
        return None

    # --- YouTube -------------------------------------------------------------------------

    async def channels(self, request: Request) -> Response:
        denied = self._bearer(request, {READONLY})
        if denied is not None:
            return denied
        return JSONResponse({"kind": "youtube#channelListResponse", "items": [
            {"kind": "youtube#channel", "id": "UCfakeChannel000000000001",
             "snippet": {"title": "Glow Serum Official"}}]})

    async def list_videos(self, request: Request) -> Response:
        denied = self._bearer(request, {READONLY})
        if denied is not None:
            return denied
        self.status_requests += 1
        if self._hold is not None:
            await asyncio.to_thread(self._hold.wait, 120)
        fault = self._fault("status")
        if fault is not None:
            return fault
        ids = request.query_params.get("id", "").split(",")
        return JSONResponse({"kind": "youtube#videoListResponse",
                             "items": [self.videos[i] for i in ids if i in self.videos]})

    async def upload(self, request: Request) -> Response:
        denied = self._bearer(request, {UPLOAD})
        if denied is not None:
            return denied
        if request.method == "POST":
            return await self._start(request)
        return await self._put(request)

    async def _start(self, request: Request) -> Response:
        q = request.query_params
        if q.get("uploadType") != "resumable" or not set(q.get("part", "").split(",")) >= {
                "snippet", "status"}:
            return google_error(400, "invalidParameter", "uploadType or part is wrong")
        fault = self._fault("insert")
        if fault is not None:
            return fault
        if self.quota_used + UPLOAD_COST > self.daily_quota:
            return google_error(403, "quotaExceeded",
                                "The request cannot be completed because you have exceeded "
                                "your quota.")
        try:
            total = int(request.headers["X-Upload-Content-Length"])
            body = await request.json()
        except (KeyError, ValueError):
            return google_error(400, "badRequest", "X-Upload-Content-Length and a JSON "
                                "video resource are required")
        snippet, status = body.get("snippet") or {}, body.get("status") or {}
        title = snippet.get("title") or ""
        if not title or len(title) > 100 or "<" in title or ">" in title:
            return google_error(400, "invalidTitle", "The video title is invalid.")
        if status.get("privacyStatus", "public") not in ("public", "unlisted", "private"):
            return google_error(400, "invalidVideoMetadata", "Invalid privacyStatus.")
        with self._lock:
            self.quota_used += UPLOAD_COST
            sid = f"s{next(self._ids)}"
            self.sessions[sid] = Session(sid, total, body)
            self.sessions_started += 1
        location = f"{self.base_url}/upload/youtube/v3/videos?" + urlencode(
            {"uploadType": "resumable", "part": q.get("part"), "upload_id": sid})
        return Response(status_code=200, headers={"Location": location})

    def _incomplete(self, session: Session) -> Response:
        held = len(session.data)
        headers = {"Range": f"bytes=0-{held - 1}"} if held else {}
        return Response(status_code=308, headers=headers)

    def _complete(self, session: Session) -> Response:
        if session.video_id is None:
            session.video_id = f"vid{next(self._ids):08d}"
            resource = session.resource
            self.videos[session.video_id] = {
                "kind": "youtube#video", "id": session.video_id,
                "snippet": resource.get("snippet", {}),
                "status": {**resource.get("status", {}), "uploadStatus": "uploaded"},
            }
        return JSONResponse(self.videos[session.video_id], status_code=201)

    async def _put(self, request: Request) -> Response:
        session = self.sessions.get(request.query_params.get("upload_id", ""))
        if session is None:
            return google_error(404, "notFound", "Upload session not found.")
        spec = request.headers.get("Content-Range", "")
        body = await request.body()
        unit, _, rng = spec.partition(" ")
        span, _, total = rng.partition("/")
        if unit != "bytes" or total != str(session.total):
            return google_error(400, "badContent", f"bad Content-Range {spec!r}")
        if span == "*":  # how much arrived?
            session.interrupted = False
            return self._complete(session) if session.video_id else self._incomplete(session)
        if session.interrupted:  # resuming blind after a 5xx: the guide says ask first
            self.refused_unqueried += 1
            return google_error(400, "badContent", "query the upload status first "
                                "(Content-Range: bytes */TOTAL) after an interruption")
        first, _, last = span.partition("-")
        start, end = int(first), int(last)
        fault = self._fault("chunk")
        if fault is not None:
            if fault.status_code >= 500 and start == len(session.data):
                with self._lock:
                    session.data.extend(body[:self.keep_on_fault])
                session.interrupted = True
            return fault
        if start != len(session.data) or end - start + 1 != len(body):
            return google_error(400, "badContent",
                                f"range {span} does not continue at {len(session.data)}")
        final = end + 1 == session.total
        if not final and len(body) % UNIT:
            return google_error(400, "badContent", "chunks must be multiples of 256 KiB")
        with self._lock:
            session.data.extend(body)
            self.chunk_puts.append((session.id, start, end))
            answer = self._complete(session) if final else self._incomplete(session)
            if not final and self._expire_after is not None and sum(
                    sid == session.id for sid, _, _ in self.chunk_puts) >= self._expire_after:
                del self.sessions[session.id]  # expired: its URI answers 404 from now on
                if not self._expire_every:
                    self._expire_after = None
        return answer

    # --- what tests read -----------------------------------------------------------------

    def callback_of(self, authorization_url: str) -> dict[str, str]:
        """Follow the consent (as a browser would) and return the callback's query."""
        import httpx

        local = authorization_url.replace(urlparse(authorization_url)._replace(
            path="", query="").geturl(), self.base_url)
        response = httpx.get(local, follow_redirects=False)
        assert response.status_code == 302, response.text
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return {k: v[0] for k, v in query.items()}
