"""The process's own Prometheus metrics: what happened in this process since it started.

Counters and histograms live in :data:`PROCESS_REGISTRY` and are observed where the thing
happens (a stage finishing, a provider call, a webhook attempt); the state held in the
database (jobs by status, queue depths, credits reserved) is read at scrape time by
:mod:`ugen.store.status_metrics`. Imports nothing of U-Gen, so every layer may observe.

Each process (an API process, each worker) counts its own; Prometheus sums them over the
``instance`` label.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

# Stages take from a fraction of a second (agents offline) to many minutes (generation).
_STAGE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
# A vendor call: a script answer in seconds, a poll in milliseconds, a render submit or a
# download in tens of seconds.
_CALL_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

STAGE_DURATION = Histogram(
    "ugen_stage_duration_seconds", "Wall time of a stage that completed, by stage.",
    ["stage"], buckets=_STAGE_BUCKETS, registry=PROCESS_REGISTRY)
PROVIDER_CALL_DURATION = Histogram(
    "ugen_provider_call_duration_seconds",
    "Latency of one provider call attempt, by vendor and outcome code (ok or the error).",
    ["vendor", "code"], buckets=_CALL_BUCKETS, registry=PROCESS_REGISTRY)
PROVIDER_ERRORS = Counter(
    "ugen_provider_errors", "Provider call attempts that failed, by vendor and error code.",
    ["vendor", "code"], registry=PROCESS_REGISTRY)
WEBHOOK_DELIVERIES = Counter(
    "ugen_webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered, retry (will be tried again), failed.",
    ["outcome"], registry=PROCESS_REGISTRY)


def observe_stage(stage: str, seconds: float) -> None:
    """A stage completed after ``seconds`` of wall time."""
    STAGE_DURATION.labels(stage=stage).observe(max(0.0, seconds))


def observe_provider_call(vendor: str, code: str, seconds: float) -> None:
    """One provider call attempt ended: ``code`` is ``ok`` or the error's code."""
    PROVIDER_CALL_DURATION.labels(vendor=vendor, code=code).observe(max(0.0, seconds))
    if code != "ok":
        PROVIDER_ERRORS.labels(vendor=vendor, code=code).inc()


def count_webhook(outcome: str) -> None:
    """One webhook delivery attempt ended with ``outcome``."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
