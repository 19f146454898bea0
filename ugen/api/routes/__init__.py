"""One router per resource; ``api_router`` gathers them under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from ugen.api.routes import catalog, credits, events, files, jobs, models, uploads, usage

api_router = APIRouter()
api_router.include_router(uploads.router)
api_router.include_router(jobs.router)
api_router.include_router(events.router)
api_router.include_router(usage.router)
api_router.include_router(models.router)
api_router.include_router(catalog.router)
api_router.include_router(credits.router)
api_router.include_router(files.router)
