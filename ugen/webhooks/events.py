"""Webhooks of events other than a job's end (``post.published``, ``post.failed``,
``job.awaiting_review``, ``job.review_decided``).

They travel exactly like ``job.completed``: the first attempt is recorded in
``webhook_deliveries`` (under the job the event is about), then
:func:`~ugen.webhooks.delivery.deliver_webhook_workflow` signs, sends and retries it. The
delivery id is derived from the caller's ``key`` and the event, so a repeated call (a
recovered workflow) neither records nor sends twice. The receiver is the job's own
``webhook_url``, else the account's webhook; with neither nothing is sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from dbos import DBOS, SetWorkflowID

from ugen.core.config import get_settings
from ugen.store import jobs as job_store
from ugen.store.db import session_scope
from ugen.store.models import WebhookDelivery, utcnow
from ugen.webhooks import store
from ugen.webhooks.delivery import deliver_webhook_workflow
from ugen.webhooks.queue import WEBHOOKS_QUEUE, get_queue

_NAMESPACE = uuid.UUID("9a4f3d57-2a7e-4e55-8f3c-5d0f8c1b2e64")


@DBOS.step()
def record_event_step(account_id: str, job_id: str, event: str, payload: dict[str, Any],
                      key: str) -> str | None:
    """Record the event's first attempt; its delivery id, or None (no receiver)."""
    settings = get_settings()
    delivery_id = str(uuid.uuid5(_NAMESPACE, f"{key}:{event}"))
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        config = store.get_config(s, account_id)
        url = (job.params.get("webhook_url") if job is not None else None) or (
            config.webhook_url if config else None)
        if not url:
            return None
        if store.get_attempt(s, delivery_id, 1) is None:
            s.add(WebhookDelivery(delivery_id=delivery_id, account_id=account_id,
                                  job_id=job_id, event=event, url=str(url), payload=payload,
                                  attempt=1, state="pending", next_attempt_at=utcnow()))
    return delivery_id


def notify_event(*, account_id: str, job_id: str, event: str, payload: dict[str, Any],
                 key: str) -> None:
    """Queue the webhook of ``event`` (call in a workflow). A webhook problem never fails
    the caller: it is logged."""
    try:
        delivery_id = record_event_step(account_id, job_id, event, payload, key)
        if delivery_id is None:
            return
        with SetWorkflowID(f"webhook-{delivery_id}"):
            get_queue(WEBHOOKS_QUEUE).enqueue(deliver_webhook_workflow, delivery_id)
    except Exception as err:
        DBOS.logger.warning("could not queue the %s webhook of job %s: %s", event, job_id,
                            err)
