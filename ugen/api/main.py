"""Build the FastAPI application: routers under ``/api/v1``, errors, and DBOS in the lifespan.

Around the routes: the request guard (NUL in the URL, body limits), the status fast path,
the failed-authentication limiter, and the access log filter that keeps signatures out of
the server's access log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute

import ugen
from ugen.api.access_log import install_access_log_filter
from ugen.api.auth_limits import FailedAuthLimiter
from ugen.api.errors import register_error_handlers
from ugen.api.fast_status import JobStatusFastPath
from ugen.api.guard import BodyLimit, BodyLimits, RequestGuard
from ugen.api.job_views import JobStatuses
from ugen.api.routes import api_router, ops, posts, social, templates, tenants
from ugen.api.routes import music as music_routes
from ugen.api.routes import review as review_routes
from ugen.api.routes import variant_sets as variant_set_routes
from ugen.api.routes.brand_kit import MAX_BRAND_FILE_BYTES, UPLOAD_PATHS
from ugen.api.routes.brand_kit import files_router as brand_files_router
from ugen.api.routes.brand_kit import router as brand_kit_router
from ugen.core.config import Settings, get_settings
from ugen.core.heap import freeze_long_lived, thaw
from ugen.pipeline import runtime
from ugen.store.db import migrate

if TYPE_CHECKING:
    from ugen.pipeline.worker import Heartbeat

API_PREFIX = "/api/v1"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MULTIPART_SLACK = 64 * 1024
"""Room for the multipart envelope around an uploaded file in the request body."""
MUSIC_UPLOAD_PATHS = (f"{API_PREFIX}/music/custom", "/music/upload")
"""Custom music uploads (the API's, and the dashboard's Music page): the music file limit."""

Runtime = Literal["worker", "client"]


def body_limits(settings: Settings, max_upload_bytes: int,
                upload_paths: tuple[str, ...] = ()) -> BodyLimits:
    """JSON bodies up to ``max_json_body_bytes``; an upload its file limit plus envelope
    (the API's uploads, and ``upload_paths`` of an application mounted beside it)."""
    upload = BodyLimit(max_bytes=max_upload_bytes + MULTIPART_SLACK, code="FILE_TOO_LARGE",
                       limit_bytes=max_upload_bytes, what="the file")
    json_body = BodyLimit(max_bytes=settings.max_json_body_bytes, code="PAYLOAD_TOO_LARGE",
                          limit_bytes=settings.max_json_body_bytes)
    brand_file = BodyLimit(max_bytes=MAX_BRAND_FILE_BYTES + MULTIPART_SLACK,
                           code="FILE_TOO_LARGE", limit_bytes=MAX_BRAND_FILE_BYTES,
                           what="the file")
    return BodyLimits(default=json_body, by_prefix=(
        (f"{API_PREFIX}/uploads/", upload), *((path, upload) for path in upload_paths),
        *((f"{API_PREFIX}{path}", brand_file) for path in UPLOAD_PATHS),
        *((path, BodyLimit(max_bytes=settings.max_music_upload_bytes + MULTIPART_SLACK,
                           code="FILE_TOO_LARGE", limit_bytes=settings.max_music_upload_bytes,
                           what="the file")) for path in MUSIC_UPLOAD_PATHS)))


def _unique_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None, *, runtime_role: Runtime | None = None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES, upload_paths: tuple[str, ...] = (),
               status_fast_path: bool = True) -> FastAPI:
    """The U-Gen HTTP API.

    Args:
        runtime_role: ``worker`` runs queued jobs in this process, ``client`` only enqueues;
            None leaves DBOS to whoever else starts it (the service starts a client lazily).
        max_upload_bytes: the product-image upload limit (documented: 10 MB).
        upload_paths: path prefixes, outside the API, whose requests carry a product image
            and get the same limit (the dashboard mounted beside the API sends one).
        status_fast_path: answer ``GET /jobs/{job_id}`` before routing (the same answers as
            the route; off only to compare the two).
    """
    settings = settings or get_settings()

    def start() -> Heartbeat | None:
        migrate(settings)
        if runtime_role == "worker":
            from ugen.pipeline.worker import start_worker

            return start_worker(settings)
        if runtime_role == "client":
            runtime.start(settings, role="client")
        return None

    def stop(beat: Heartbeat | None) -> None:
        if beat is not None:
            beat.stopped.set()
        if runtime_role is not None:
            runtime.stop()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # DBOS's synchronous API refuses to run on the event loop's thread.
        beat = await asyncio.to_thread(start)
        freeze_long_lived()
        try:
            yield
        finally:
            thaw()
            await asyncio.to_thread(stop, beat)

    app = FastAPI(
        title="U-Gen API", version=ugen.__version__,
        description="One product image in, a finished UGC-style video ad out.",
        openapi_url="/openapi.json", docs_url="/docs", lifespan=lifespan,
        generate_unique_id_function=_unique_id,
    )
    app.state.settings = settings
    app.state.max_upload_bytes = max_upload_bytes
    app.state.auth_limiter = FailedAuthLimiter.from_settings(settings)
    app.state.job_statuses = JobStatuses(settings, app.state.auth_limiter)
    register_error_handlers(app)
    install_access_log_filter()

    if status_fast_path:
        app.add_middleware(JobStatusFastPath, prefix=API_PREFIX,
                           statuses=app.state.job_statuses)
    app.add_middleware(RequestGuard, limits=body_limits(settings, max_upload_bytes,
                                                        upload_paths))
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(tenants.router, prefix=API_PREFIX)
    app.include_router(brand_kit_router, prefix=API_PREFIX)
    app.include_router(brand_files_router, prefix=API_PREFIX)
    app.include_router(templates.router, prefix=API_PREFIX)
    app.include_router(social.router, prefix=API_PREFIX)
    app.include_router(posts.router, prefix=API_PREFIX)
    app.include_router(music_routes.router, prefix=API_PREFIX)
    app.include_router(review_routes.router, prefix=API_PREFIX)
    app.include_router(variant_set_routes.router, prefix=API_PREFIX)
    # Probes and metrics at the root, where load balancers and Prometheus look for them.
    app.state.metrics_registry = ops.install(settings)
    app.include_router(ops.router)
    return app
