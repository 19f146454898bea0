"""Prometheus metrics read from the database at scrape time, and the registry a process serves.

Jobs by status and the credits they hold come from one grouped query of ``jobs``; queue
depths from DBOS's ``workflow_status`` table (workflows ``ENQUEUED`` on a queue and those
``PENDING``, i.e. taken by a worker and running). They describe the shared database, so
every process serving them reports the same figures: aggregate them with ``max``, not
``sum``. A scrape whose query fails reports ``ugen_database_up 0`` instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from ugen.core.config import Settings
from ugen.core.metrics import PROCESS_REGISTRY
from ugen.core.types import JobStatus
from ugen.store.db import get_engine

log = logging.getLogger(__name__)

JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "awaiting_review", "completed",
                                       "failed", "cancelled", "stopped")
QUEUE_STATES = {"ENQUEUED": "enqueued", "PENDING": "pending"}

_JOBS = "SELECT status, COUNT(*), COALESCE(SUM(credits_reserved), 0) FROM jobs GROUP BY status"
_QUEUES = ("SELECT queue_name, status, COUNT(*) FROM {table} WHERE queue_name IS NOT NULL "
           "AND status IN ('ENQUEUED', 'PENDING') GROUP BY queue_name, status")


class DatabaseCollector(Collector):
    """Jobs by status, credits reserved and queue depths, read when Prometheus scrapes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time only; never queried on registration

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("ugen_jobs", "Jobs by status.", labels=["status"])
        credits = GaugeMetricFamily(
            "ugen_credits_reserved", "Credits held by jobs that have not settled yet.")
        queues = GaugeMetricFamily(
            "ugen_queue_depth", "Workflows waiting on a DBOS queue (enqueued) and taken by "
            "a worker (pending), by queue.", labels=["queue", "state"])
        up = GaugeMetricFamily("ugen_database_up",
                               "1 when the scrape-time queries of the database answered.")
        try:
            by_status, reserved, depths = self._read()
        except Exception as err:  # a scrape reports the failure rather than erroring
            log.warning("metrics: database query failed: %s", err)
            up.add_metric([], 0)
            yield up
            return
        for status in sorted({*JOB_STATUSES, *by_status}):
            jobs.add_metric([status], by_status.get(status, 0))
        credits.add_metric([], reserved)
        for (queue, state), count in sorted(depths.items()):
            queues.add_metric([queue, state], count)
        up.add_metric([], 1)
        yield from (jobs, credits, queues, up)

    def _read(self) -> tuple[dict[str, int], int, dict[tuple[str, str], int]]:
        engine = get_engine(self.settings)
        table = "dbos.workflow_status" if engine.dialect.name == "postgresql" \
            else "workflow_status"
        with engine.connect() as conn:
            rows = conn.execute(text(_JOBS)).all()
            try:
                queue_rows = conn.execute(text(_QUEUES.format(table=table))).all()
            except Exception as err:  # DBOS has not created its tables yet: nothing queued
                log.debug("metrics: no DBOS queue table: %s", err)
                conn.rollback()
                queue_rows = []
        by_status = {str(status): int(count) for status, count, _ in rows}
        reserved = sum(int(held) for _, _, held in rows)
        depths = {(str(q), QUEUE_STATES[str(s)]): int(n) for q, s, n in queue_rows}
        return by_status, reserved, depths


class _ProcessMetrics(Collector):
    """This process's counters and histograms (:data:`ugen.core.metrics.PROCESS_REGISTRY`)."""

    def collect(self) -> Iterable[Metric]:
        return PROCESS_REGISTRY.collect()


def metrics_registry(settings: Settings) -> CollectorRegistry:
    """What one process serves at ``/metrics``: its own counters, its CPU and memory, and
    the database's state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(DatabaseCollector(settings))
    ProcessCollector(registry=registry)
    return registry
