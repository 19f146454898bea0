"""Probes and metrics at the root of the app: ``/healthz``, ``/readyz`` and ``/metrics``.

Unauthenticated and cheap, for load balancers, orchestrators and Prometheus; kept out of the
OpenAPI document (they are not part of the product's API) and out of the access log (a
probe every few seconds would drown the requests that matter).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ugen.api.access_log import ACCESS_LOGGER
from ugen.core.config import Settings
from ugen.store.health import readiness
from ugen.store.status_metrics import metrics_registry

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The database and the artifact store both answer: 200, else 503 naming the failures."""
    settings: Settings = request.app.state.settings
    results = await asyncio.to_thread(readiness, settings)
    failed = [r.name for r in results if not r.ok]
    body = {"status": "unavailable" if failed else "ready",
            "checks": {r.name: "ok" if r.ok else r.error for r in results},
            "failed": failed}
    return JSONResponse(body, status_code=503 if failed else 200)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics and the database's state."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await asyncio.to_thread(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class QuietProbes(logging.Filter):
    """Keep probe and scrape requests out of the access log (they show at debug level of
    ``ugen.api.probes`` instead)."""

    _debug = logging.getLogger("ugen.api.probes")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and args[2].partition("?")[0] in PROBE_PATHS:
            self._debug.debug(record.getMessage())
            return False
        return True


def install(settings: Settings) -> CollectorRegistry:
    """Quiet the probes in the access log (once per process); the registry to serve."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, QuietProbes) for f in logger.filters):
        logger.addFilter(QuietProbes())
    return metrics_registry(settings)
