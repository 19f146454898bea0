"""Send webhooks durably: a DBOS workflow per delivery on the ``ugen_webhooks`` queue.

When a job ends ``completed`` or ``failed``, ``notify_job_ended`` (called from the job
workflow) records the delivery's first attempt and enqueues ``deliver_webhook_workflow`` with
the workflow id ``webhook-{delivery_id}``; the delivery id is derived from the job, its run and
the event, so a repeated call neither records nor sends twice. The workflow POSTs, and after a
non-2xx answer, a timeout or a connection error waits (``DBOS.sleep``: durable across
restarts) ``webhook_backoff_s`` doubling each time, up to ``webhook_max_attempts`` attempts.
Every attempt is a row of ``webhook_deliveries`` with its status code, latency and error.

The tenant secret is read when each attempt is signed and never leaves the database (it is
no workflow input and never logged; it is stored encrypted, see ``secrets``); a per-job
``webhook_url`` is signed with it too. Each attempt checks the URL again and connects to the
address that check resolved (``send``).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, SetWorkflowID

from ugen.core.config import Settings, get_settings
from ugen.core.metrics import count_webhook
from ugen.store import jobs as job_store
from ugen.store.db import session_scope
from ugen.store.models import Job, WebhookDelivery, utcnow
from ugen.store.signed_urls import sign_artifact
from ugen.webhooks import store
from ugen.webhooks.queue import WEBHOOKS_QUEUE, get_queue
from ugen.webhooks.secrets import SecretDecryptionError
from ugen.webhooks.send import SendOutcome, send_webhook
from ugen.webhooks.signing import delivery_headers

_NAMESPACE = uuid.UUID("6f1d2c1e-7b0a-4c52-9a51-0c3f7e0b8d21")
EVENTS = {"completed": "job.completed", "failed": "job.failed"}


def delivery_id_for(job_id: str, run_number: int, event: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{job_id}:{run_number}:{event}"))


def _iso(value: datetime | None) -> str:
    value = value or utcnow()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_payload(job: Job, settings: Settings) -> dict[str, Any]:
    """The documented payload, with signed download URLs as the API's job view gives them."""
    done = job.status == "completed"
    return {
        "event": EVENTS[job.status],
        "job_id": job.id,
        "status": job.status,
        "final_video_url": sign_artifact(settings, job.id, job.final_video)
        if done and job.final_video else None,
        "thumbnail_url": sign_artifact(settings, job.id, job.thumbnail)
        if done and job.thumbnail else None,
        "credits_consumed": job.credits_consumed,
        "error_message": job.error_message,
        "timestamp": _iso(job.finished_at),
    }


@DBOS.step()
def record_job_webhook_step(job_id: str, run_number: int) -> str | None:
    """Record the first attempt of the job's end event; its delivery id, or None (no URL)."""
    settings = get_settings()
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        if job is None or job.status not in EVENTS:
            return None
        config = store.get_config(s, job.account_id)
        url = job.params.get("webhook_url") or (config.webhook_url if config else None)
        if not url:
            return None
        payload = job_payload(job, settings)
        delivery_id = delivery_id_for(job_id, run_number, payload["event"])
        if store.get_attempt(s, delivery_id, 1) is None:
            s.add(WebhookDelivery(delivery_id=delivery_id, account_id=job.account_id,
                                  job_id=job_id, event=payload["event"], url=str(url),
                                  payload=payload, attempt=1, state="pending",
                                  next_attempt_at=utcnow()))
    return delivery_id


def notify_job_ended(job_id: str, run_number: int) -> None:
    """Queue the webhook of a job that ended completed or failed (call in its workflow).

    A webhook problem never fails the job: it is logged and the job's result stands.
    """
    try:
        delivery_id = record_job_webhook_step(job_id, run_number)
        if delivery_id is None:
            return
        with SetWorkflowID(f"webhook-{delivery_id}"):
            get_queue(WEBHOOKS_QUEUE).enqueue(deliver_webhook_workflow, delivery_id)
    except Exception as err:
        DBOS.logger.warning("could not queue the webhook of job %s: %s", job_id, err)


@DBOS.step()
def _policy_step() -> tuple[int, float]:
    settings = get_settings()
    return max(1, settings.webhook_max_attempts), max(0.0, settings.webhook_backoff_s)


@DBOS.step()
def attempt_step(delivery_id: str, attempt: int, max_attempts: int, retry_in_s: float) -> str:
    """Send one attempt and record it: ``delivered``, ``retry`` or ``failed`` (for good)."""
    settings = get_settings()
    with session_scope(settings) as s:
        first = store.get_attempt(s, delivery_id, 1)
        if first is None:
            return "failed"
        url, payload, account_id = first.url, first.payload, first.account_id
        config = store.get_config(s, account_id)
        outcome: SendOutcome | None = None
        try:
            secret = store.signing_secret(settings, config)
        except SecretDecryptionError as err:
            # Never sent unsigned in its place: the receiver would have to reject it.
            secret, outcome = None, SendOutcome(None, 0, str(err), permanent=True)
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    if outcome is None:
        headers = delivery_headers(secret, delivery_id, int(time.time()), body)
        outcome = send_webhook(url, body, headers, timeout_s=settings.webhook_timeout_s,
                               allow_private=settings.allow_private_urls)
    status, latency, error = outcome.status_code, outcome.latency_ms, outcome.error
    ok = outcome.ok
    retry = not ok and not outcome.permanent and attempt < max_attempts
    now = utcnow()
    with session_scope(settings) as s:
        row = store.get_attempt(s, delivery_id, attempt)
        if row is None:
            row = WebhookDelivery(delivery_id=delivery_id, account_id=first.account_id,
                                  job_id=first.job_id, event=first.event, url=url,
                                  payload=payload, attempt=attempt)
            s.add(row)
        row.status_code, row.latency_ms, row.error = status, latency, error
        row.state = "delivered" if ok else "failed"
        row.next_attempt_at = now + timedelta(seconds=retry_in_s) if retry else None
        if retry and store.get_attempt(s, delivery_id, attempt + 1) is None:
            s.add(WebhookDelivery(delivery_id=delivery_id, account_id=first.account_id,
                                  job_id=first.job_id, event=first.event, url=url,
                                  payload=payload, attempt=attempt + 1, state="pending",
                                  next_attempt_at=row.next_attempt_at))
    if not ok:
        DBOS.logger.info("webhook %s attempt %d to %s failed: %s", delivery_id, attempt,
                         url, error)
    result = "delivered" if ok else "retry" if retry else "failed"
    count_webhook(result)
    return result


@DBOS.workflow()
def deliver_webhook_workflow(delivery_id: str) -> str:
    """Deliver one webhook, retrying with exponential backoff; ``delivered`` or ``failed``."""
    max_attempts, backoff = _policy_step()
    for attempt in range(1, max_attempts + 1):
        delay = backoff * 2 ** (attempt - 1)
        outcome = attempt_step(delivery_id, attempt, max_attempts, delay)
        if outcome != "retry":
            return outcome
        DBOS.sleep(delay)
    return "failed"
