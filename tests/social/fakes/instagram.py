"""A fake of Instagram's Business Login and the Graph API's Reels publishing (Instagram API
with Instagram Login), faithful where the adapter depends on it.

Sources (developers.facebook.com/docs/instagram-platform/…): instagram-api-with-instagram-
login/business-login (``/oauth/authorize`` with ``client_id``, ``redirect_uri``,
``response_type=code``, comma-separated ``scope``, ``state``; ``POST /oauth/access_token``
form grant → ``{"data": [{"access_token", "user_id", "permissions"}]}``, a 1-hour token;
errors ``{"error_type", "code", "error_message"}``); reference/access_token
(``ig_exchange_token`` → a 60-day token); reference/refresh_access_token (``ig_refresh_token``
on a long-lived token at least 24 h old and not expired); instagram-api-with-instagram-login/
content-publishing, reference/ig-user/media (``media_type=REELS``, ``video_url`` fetched by
Meta from a public server), reference/ig-container (``status_code`` ``IN_PROGRESS``,
``FINISHED``, ``ERROR``, ``EXPIRED``, ``PUBLISHED``; ``status`` the error subcode),
reference/ig-user/media_publish (``creation_id``; a container that is not ``FINISHED`` is
refused), reference/ig-user/content_publishing_limit (``quota_usage``, ``config.quota_total``,
``quota_duration`` 86400); changelog of 2026-06-22 (``is_ai_generated`` on container
creation applies the AI info label, readable as an IG Media field);
graph-api/guides/error-handling (``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}``: 190 invalid token, 10 permission, 4/17 rate limits, 9/2207042 publishing
limit, 100 invalid parameter).

It enforces: client id, secret and registered redirect URI; single-use codes; tokens (short-
lived only for the exchange; unknown, expired or revoked → 190) and the publish permission
(→ 10); the container state machine (the video is really fetched from ``video_url`` and must
be an MP4/MOV, processing takes :attr:`FakeInstagram.processing_polls` status reads); publish
only of a ``FINISHED`` container, once; the rolling publishing limit. Faults are injected
with :meth:`FakeInstagram.inject`; :meth:`FakeInstagram.hold_container` blocks the status of a
fetched container so a test can kill the worker before publication.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

BASIC = "instagram_business_basic"
PUBLISH = "instagram_business_content_publish"
KNOWN_SCOPES = {BASIC, PUBLISH, "instagram_business_manage_comments",
                "instagram_business_manage_messages"}
LONG_TTL_S = 60 * 86400
DAY = 86400


def graph_error(code: int, message: str, *, subcode: int | None = None,
                status: int = 400) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": secrets.token_hex(6)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


@dataclass
class Grant:
    user_id: str
    scopes: set[str]
    revoked: bool = False


@dataclass
class Token:
    grant: Grant
    long_lived: bool
    issued_at: float
    expires_at: float


@dataclass
class Container:
    id: str
    user_id: str
    video_url: str
    caption: str
    is_ai_generated: bool = False
    status_code: str = "IN_PROGRESS"
    status: str = "In Progress"
    polls_left: int = 1
    fetched: bytes | None = None
    media_id: str | None = None


class FakeInstagram:
    """State of the fake; :attr:`app` is the ASGI app to serve at every Instagram host."""

    def __init__(self, *, client_id: str = "fake-ig-app", client_secret: str = "fake-ig-secret",
                 redirect_uri: str = "http://testserver/api/v1/social/instagram/callback",
                 version: str = "v23.0") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris = {redirect_uri}
        self.version = version
        self.base_url = ""
        self.quota_total = 100
        self.processing_polls = 1
        self.grant_scopes: set[str] | None = None
        self.codes: dict[str, tuple[Grant, str, bool]] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: list[Grant] = []
        self.containers: dict[str, Container] = {}
        self.media: dict[str, Container] = {}
        self.published_at: list[float] = []
        self.refreshes = 0
        self.container_status_reads = 0
        self._faults: dict[str, list[tuple[int, int, int | None]]] = {}
        self._hold: threading.Event | None = None
        self._ids = itertools.count(17841400000000001)
        self._lock = threading.Lock()
        v = f"/{version}"
        self.app = Starlette(routes=[
            Route("/oauth/authorize", self.authorize, methods=["GET"]),
            Route("/oauth/access_token", self.short_token, methods=["POST"]),
            Route("/access_token", self.exchange, methods=["GET"]),
            Route("/refresh_access_token", self.refresh, methods=["GET"]),
            Route(f"{v}/me", self.me, methods=["GET"]),
            Route(f"{v}/{{user}}/content_publishing_limit", self.limit, methods=["GET"]),
            Route(f"{v}/{{user}}/media_publish", self.publish, methods=["POST"]),
            Route(f"{v}/{{user}}/media", self.create, methods=["POST"]),
            Route(f"{v}/{{node}}", self.node, methods=["GET"]),
        ])

    # --- test controls -------------------------------------------------------------------

    def inject(self, where: str, code: int, *, subcode: int | None = None, times: int = 1,
               status: int = 400) -> None:
        """The next ``times`` requests to ``where`` (``create``, ``publish``, ``status``)
        fail with Graph error ``code``."""
        self._faults.setdefault(where, []).extend([(status, code, subcode)] * times)

    def hold_container(self) -> threading.Event:
        """Block status reads of fetched containers until the event is set."""
        self._hold = threading.Event()
        return self._hold

    def age_tokens(self, *, days: float, expires_in_s: float) -> None:
        """Make every token ``days`` old, expiring in ``expires_in_s``."""
        now = time.time()
        for token in self.tokens.values():
            token.issued_at, token.expires_at = now - days * DAY, now + expires_in_s

    def revoke_all(self) -> None:
        """The user removed the app in Instagram's settings."""
        for grant in self.grants:
            grant.revoked = True

    def _fault(self, where: str) -> JSONResponse | None:
        with self._lock:
            queue = self._faults.get(where)
            if not queue:
                return None
            status, code, subcode = queue.pop(0)
        return graph_error(code, f"injected error {code}", subcode=subcode, status=status)

    # --- OAuth ---------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id:
            return Response("Invalid app ID", status_code=400)
        redirect = q.get("redirect_uri", "")
        if redirect not in self.redirect_uris:
            return Response("Invalid redirect_uri", status_code=400)
        scopes = set(q.get("scope", "").split(","))
        if q.get("response_type") != "code" or scopes - KNOWN_SCOPES:
            return RedirectResponse(f"{redirect}?" + urlencode(
                {"error": "invalid_scope", "state": q.get("state", "")}), status_code=302)
        granted = scopes if self.grant_scopes is None else scopes & self.grant_scopes
        grant = Grant(user_id=str(next(self._ids)), scopes=granted)
        code = f"AQ{secrets.token_urlsafe(16)}"
        with self._lock:
            self.grants.append(grant)
            self.codes[code] = (grant, redirect, False)
        return RedirectResponse(f"{redirect}?" + urlencode(
            {"code": code, "state": q.get("state", "")}) + "#_", status_code=302)

    def _issue(self, grant: Grant, *, long_lived: bool) -> tuple[str, Token]:
        now = time.time()
        value = f"IG{'AA' if long_lived else 'QV'}{secrets.token_urlsafe(20)}"
        token = Token(grant, long_lived, now, now + (LONG_TTL_S if long_lived else 3600))
        self.tokens[value] = token
        return value, token

    async def short_token(self, request: Request) -> Response:
        form = await request.form()
        refused = {"error_type": "OAuthException", "code": 400}
        if form.get("client_id") != self.client_id or form.get(
                "client_secret") != self.client_secret:
            return JSONResponse({**refused, "error_message": "Invalid client"}, 400)
        with self._lock:
            entry = self.codes.get(str(form.get("code")))
            if form.get("grant_type") != "authorization_code" or entry is None or entry[2]:
                return JSONResponse({**refused, "error_message":
                                     "This authorization code has been used"}, 400)
            grant, redirect, _ = entry
            self.codes[str(form.get("code"))] = (grant, redirect, True)
            if form.get("redirect_uri") != redirect:
                return JSONResponse({**refused, "error_message": "redirect_uri mismatch"}, 400)
            value, _ = self._issue(grant, long_lived=False)
        return JSONResponse({"data": [{"access_token": value, "user_id": grant.user_id,
                                       "permissions": ",".join(sorted(grant.scopes))}]})

    def _token(self, value: str | None) -> Token | None:
        token = self.tokens.get(value or "")
        if token is None or token.grant.revoked or token.expires_at <= time.time():
            return None
        return token

    async def exchange(self, request: Request) -> Response:
        q = request.query_params
        token = self._token(q.get("access_token"))
        if q.get("grant_type") != "ig_exchange_token" or q.get(
                "client_secret") != self.client_secret:
            return graph_error(100, "Invalid grant_type or client_secret")
        if token is None or token.long_lived:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        value, _ = self._issue(token.grant, long_lived=True)
        return JSONResponse({"access_token": value, "token_type": "bearer",
                             "expires_in": LONG_TTL_S})

    async def refresh(self, request: Request) -> Response:
        q = request.query_params
        token = self._token(q.get("access_token"))
        if q.get("grant_type") != "ig_refresh_token":
            return graph_error(100, "Invalid grant_type")
        if token is None or not token.long_lived:
            return graph_error(190, "Error validating access token: Session has expired")
        if time.time() - token.issued_at < DAY:
            return graph_error(100, "A long-lived token can be refreshed after 24 hours")
        self.refreshes += 1
        value, _ = self._issue(token.grant, long_lived=True)
        return JSONResponse({"access_token": value, "token_type": "bearer",
                             "expires_in": LONG_TTL_S})

    def _auth(self, request: Request, scope: str) -> Grant | JSONResponse:
        header = request.headers.get("Authorization", "")
        value = header.removeprefix("Bearer ") if header.startswith("Bearer ") else \
            request.query_params.get("access_token")
        token = self._token(value)
        if token is None or (not token.long_lived and scope == PUBLISH):
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if scope not in token.grant.scopes:
            return graph_error(10, "Application does not have permission for this action",
                               status=403)
        return token.grant

    # --- Graph ---------------------------------------------------------------------------

    async def me(self, request: Request) -> Response:
        grant = self._auth(request, BASIC)
        if isinstance(grant, JSONResponse):
            return grant
        return JSONResponse({"user_id": grant.user_id, "username": "glowserum",
                             "id": grant.user_id})

    def _owner(self, request: Request) -> Grant | JSONResponse:
        grant = self._auth(request, PUBLISH)
        if isinstance(grant, JSONResponse):
            return grant
        if request.path_params["user"] != grant.user_id:
            return graph_error(100, "Unsupported request: object does not exist or this "
                               "token cannot access it", subcode=33)
        return grant

    def _usage(self) -> int:
        now = time.time()
        return sum(1 for t in self.published_at if t > now - DAY)

    async def limit(self, request: Request) -> Response:
        grant = self._owner(request)
        if isinstance(grant, JSONResponse):
            return grant
        return JSONResponse({"data": [{"quota_usage": self._usage(), "config": {
            "quota_total": self.quota_total, "quota_duration": DAY}}]})

    async def create(self, request: Request) -> Response:
        grant = self._owner(request)
        if isinstance(grant, JSONResponse):
            return grant
        fault = self._fault("create")
        if fault is not None:
            return fault
        form = await request.form()
        if form.get("media_type") != "REELS" or not form.get("video_url"):
            return graph_error(100, "media_type=REELS and video_url are required")
        if form.get("is_ai_generated", "false") not in ("true", "false"):
            return graph_error(100, "is_ai_generated must be a boolean")
        if len(str(form.get("caption", ""))) > 2200:
            return graph_error(100, "The caption is too long", subcode=2207010)
        with self._lock:
            cid = str(next(self._ids))
            container = Container(cid, grant.user_id, str(form["video_url"]),
                                  str(form.get("caption", "")),
                                  is_ai_generated=form.get("is_ai_generated") == "true",
                                  polls_left=self.processing_polls)
            self.containers[cid] = container
        threading.Thread(target=self._fetch, args=(container,), daemon=True).start()
        return JSONResponse({"id": cid})

    def _fetch(self, container: Container) -> None:
        """Meta cURLs the video from its URL; a failed fetch or a non-MP4 is an ERROR."""
        try:
            response = httpx.get(container.video_url, timeout=30)
            ok = response.status_code == 200 and response.content[4:8] == b"ftyp"
        except httpx.HTTPError:
            ok = False
        with self._lock:
            if ok:
                container.fetched = response.content
            else:
                container.status_code, container.status = "ERROR", "2207026"

    async def node(self, request: Request) -> Response:
        grant = self._auth(request, BASIC)
        if isinstance(grant, JSONResponse):
            return grant
        node = request.path_params["node"]
        if node in self.media:
            media = self.media[node]
            return JSONResponse({"id": node, "is_ai_generated": media.is_ai_generated,
                                 "permalink":
                                 f"https://www.instagram.com/reel/C{media.media_id}/"})
        container = self.containers.get(node)
        if container is None or container.user_id != grant.user_id:
            return graph_error(100, "Unsupported get request", subcode=33)
        if container.fetched is not None:
            self.container_status_reads += 1
            if self._hold is not None:
                await asyncio.to_thread(self._hold.wait, 120)
        fault = self._fault("status")
        if fault is not None:
            return fault
        with self._lock:
            if container.status_code == "IN_PROGRESS" and container.fetched is not None:
                if container.polls_left > 0:
                    container.polls_left -= 1
                else:
                    container.status_code, container.status = "FINISHED", "Finished"
        return JSONResponse({"id": node, "status_code": container.status_code,
                             "status": container.status})

    async def publish(self, request: Request) -> Response:
        grant = self._owner(request)
        if isinstance(grant, JSONResponse):
            return grant
        fault = self._fault("publish")
        if fault is not None:
            return fault
        form = await request.form()
        with self._lock:
            container = self.containers.get(str(form.get("creation_id")))
            if container is None or container.user_id != grant.user_id:
                return graph_error(100, "Invalid creation_id", subcode=2207008)
            if container.status_code != "FINISHED":
                return graph_error(9007, "The media is not ready for publishing, please wait "
                                   "for a moment", subcode=2207027)
            if self._usage() >= self.quota_total:
                return graph_error(9, "Application request limit reached", subcode=2207042)
            container.status_code, container.status = "PUBLISHED", "Published"
            container.media_id = str(next(self._ids))
            self.media[container.media_id] = container
            self.published_at.append(time.time())
        return JSONResponse({"id": container.media_id})

    # --- what tests read -----------------------------------------------------------------

    def callback_of(self, authorization_url: str) -> dict[str, str]:
        """Follow the consent (as a browser would) and return the callback's query."""
        local = authorization_url.replace(urlparse(authorization_url)._replace(
            path="", query="").geturl(), self.base_url)
        response = httpx.get(local, follow_redirects=False)
        assert response.status_code == 302, response.text
        location = response.headers["Location"].split("#", 1)[0]
        query = parse_qs(urlparse(location).query)
        return {k: v[0] for k, v in query.items()}
