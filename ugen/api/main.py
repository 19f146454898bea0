"""Build the FastAPI application: routers under ``/api/v1``, errors, and DBOS in the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

import ugen
from ugen.api.errors import error_response, register_error_handlers
from ugen.api.fast_status import JobStatusFastPath
from ugen.api.job_views import JobStatuses
from ugen.api.routes import api_router, tenants
from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.store.db import migrate

if TYPE_CHECKING:
    from ugen.pipeline.worker import Heartbeat

API_PREFIX = "/api/v1"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Room for the multipart envelope around the file in a request's Content-Length.
_MULTIPART_SLACK = 64 * 1024

Runtime = Literal["worker", "client"]


class RefuseOversizeUploads:
    """Refuse a declared oversize upload before its body is read and spooled.

    The route still counts the bytes of uploads sent without a Content-Length. A plain ASGI
    middleware: every other request passes through at the cost of one path check.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{API_PREFIX}/uploads/"):
            declared = Headers(scope=scope).get("content-length", "")
            if declared.isdigit() and int(declared) > self.limit + _MULTIPART_SLACK:
                response = error_response(
                    413, "FILE_TOO_LARGE", f"the file is larger than the limit of "
                    f"{self.limit} bytes", {"limit_bytes": self.limit})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unique_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None, *, runtime_role: Runtime | None = None,
               max_upload_bytes: int = MAX_UPLOAD_BYTES,
               status_fast_path: bool = True) -> FastAPI:
    """The U-Gen HTTP API.

    Args:
        runtime_role: ``worker`` runs queued jobs in this process, ``client`` only enqueues;
            None leaves DBOS to whoever else starts it (the service starts a client lazily).
        max_upload_bytes: the product-image upload limit (documented: 10 MB).
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
        try:
            yield
        finally:
            await asyncio.to_thread(stop, beat)

    app = FastAPI(
        title="U-Gen API", version=ugen.__version__,
        description="One product image in, a finished UGC-style video ad out.",
        openapi_url="/openapi.json", docs_url="/docs", lifespan=lifespan,
        generate_unique_id_function=_unique_id,
    )
    app.state.settings = settings
    app.state.max_upload_bytes = max_upload_bytes
    app.state.job_statuses = JobStatuses(settings)
    register_error_handlers(app)

    app.add_middleware(RefuseOversizeUploads, limit=max_upload_bytes)
    if status_fast_path:
        app.add_middleware(JobStatusFastPath, prefix=API_PREFIX,
                           statuses=app.state.job_statuses)
    app.include_router(api_router, prefix=API_PREFIX)
    app.include_router(tenants.router, prefix=API_PREFIX)
    return app
