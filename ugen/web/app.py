"""The dashboard application, mounted at ``/`` beside the API.

It is a FastAPI application of its own (no OpenAPI, its own error pages and security
headers), mounted by :func:`mount_dashboard` on the API's application after every API route:
a path under ``/api/``, and the API's own ``/docs`` and ``/openapi.json``, never reach it, so
the API's 404 and 405 answers stay as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import Scope

from ugen import service
from ugen.api.auth_limits import FailedAuthLimiter
from ugen.core.config import Settings
from ugen.web import errors
from ugen.web.auth import SignInRequiredError
from ugen.web.job_parts import RenderedDetails
from ugen.web.routes import account, jobs, login, media, new, streams
from ugen.web.routes import brand_kit as brand_kit_pages
from ugen.web.routes import music as music_pages
from ugen.web.routes import social as social_pages
from ugen.web.routes import templates as template_pages
from ugen.web.routes import variants as variant_pages
from ugen.web.security import SecurityHeaders
from ugen.web.signing import MediaSigner
from ugen.web.templating import Templates

STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_PATH = "/new/upload"
"""Where the new-ad form sends the product image (the request guard allows a file there)."""

_API_PATHS = ("/docs", "/redoc", "/openapi.json")


def _is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path.startswith(_API_PATHS)


class DashboardMount(Mount):
    """A mount at ``/`` that leaves the API's paths to the API (and its 404s and 405s)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and _is_api_path(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


class CachedStatic(StaticFiles):
    """Our own CSS, JS and images: their URLs carry a content hash, so they never change."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def create_web_app(settings: Settings, *, max_upload_bytes: int) -> FastAPI:
    """The dashboard's pages, their live streams and their static files."""
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None,
                  title="U-Gen dashboard")
    web.state.settings = settings
    web.state.max_upload_bytes = max_upload_bytes
    web.state.templates = Templates(STATIC_DIR)
    web.state.signer = MediaSigner(settings)
    web.state.rendered = RenderedDetails()
    web.state.auth_limiter = FailedAuthLimiter.from_settings(settings)
    web.add_middleware(SecurityHeaders)
    web.add_exception_handler(SignInRequiredError, errors.sign_in_required)
    web.add_exception_handler(service.JobNotFoundError, errors.not_found)
    web.add_exception_handler(StarletteHTTPException, errors.http_error)
    web.add_exception_handler(RequestValidationError, errors.bad_request)
    web.add_exception_handler(Exception, errors.server_error)
    for router in (login.router, jobs.router, streams.router, new.router, account.router,
                   media.router, template_pages.router, social_pages.router,
                   brand_kit_pages.router):
        web.include_router(router)
    web.include_router(music_pages.router)
    web.include_router(variant_pages.router)
    web.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    return web


def mount_dashboard(app: FastAPI, settings: Settings, *, max_upload_bytes: int) -> None:
    """Serve the dashboard at ``/`` of ``app``, behind every route ``app`` has."""
    web = create_web_app(settings, max_upload_bytes=max_upload_bytes)
    app.router.routes.append(DashboardMount("/", app=web, name="dashboard"))
