"""``/tenants/me/webhook``: the account's webhook (URL and secret) and its delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from ugen.api.deps import AccountDep, PageQ, SettingsDep
from ugen.api.errors import field_error
from ugen.api.schemas import ErrorPublic, as_utc, total_pages
from ugen.store.db import session_scope
from ugen.store.models import WebhookDelivery
from ugen.webhooks import store
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(prefix="/tenants/me", tags=["tenants"],
                   responses={401: {"model": ErrorPublic}})


class WebhookConfigIn(BaseModel):
    webhook_url: Annotated[str, Field(min_length=1, max_length=2000)]
    webhook_secret: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """Signs deliveries; omitted, deliveries are unsigned. Never returned."""


class WebhookConfigPublic(BaseModel):
    webhook_configured: bool
    webhook_url: str | None


class WebhookAttemptPublic(BaseModel):
    delivery_id: str
    """The Standard Webhooks ``webhook-id``, the same for every attempt of one delivery."""
    job_id: str
    event: str
    url: str
    attempt: int
    state: str
    """``pending`` (scheduled), ``delivered`` (2xx) or ``failed``."""
    status_code: int | None
    latency_ms: int | None
    error: str | None
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime | None


class WebhookAttemptsPublic(BaseModel):
    items: list[WebhookAttemptPublic]
    total: int
    page: int
    page_size: int
    total_pages: int


def _public(row: WebhookDelivery) -> WebhookAttemptPublic:
    return WebhookAttemptPublic(
        delivery_id=row.delivery_id, job_id=row.job_id, event=row.event, url=row.url,
        attempt=row.attempt, state=row.state, status_code=row.status_code,
        latency_ms=row.latency_ms, error=row.error, payload=row.payload,
        created_at=as_utc(row.created_at), next_attempt_at=as_utc(row.next_attempt_at))


def _config(settings: SettingsDep, account: str) -> WebhookConfigPublic:
    with session_scope(settings) as s:
        row = store.get_config(s, account)
        return WebhookConfigPublic(webhook_configured=row is not None,
                                   webhook_url=row.webhook_url if row else None)


def _put(body: WebhookConfigIn, settings: SettingsDep, account: str) -> WebhookConfigPublic:
    try:
        check_webhook_url(body.webhook_url, allow_private=settings.allow_private_urls)
    except UnsafeWebhookUrlError as err:
        raise field_error("webhook_url", str(err), body.webhook_url,
                          reason=err.reason) from err
    with session_scope(settings) as s:
        store.set_config(s, account, body.webhook_url, body.webhook_secret)
    return _config(settings, account)


@router.put("/webhook", responses={422: {"description": "webhook_url is refused"}})
def put_webhook(body: WebhookConfigIn, settings: SettingsDep, account: AccountDep
                ) -> WebhookConfigPublic:
    """Set the account's webhook, replacing any earlier one (https, public address)."""
    return _put(body, settings, account)


@router.post("/webhook", responses={422: {"description": "webhook_url is refused"}})
def post_webhook(body: WebhookConfigIn, settings: SettingsDep, account: AccountDep
                 ) -> WebhookConfigPublic:
    """Same as ``PUT`` (the webhooks guide's spelling)."""
    return _put(body, settings, account)


@router.get("/webhook")
def get_webhook(settings: SettingsDep, account: AccountDep) -> WebhookConfigPublic:
    """Whether a webhook is configured, and its URL (the secret is never returned)."""
    return _config(settings, account)


@router.delete("/webhook", status_code=204, response_class=Response)
def delete_webhook(settings: SettingsDep, account: AccountDep) -> Response:
    """Clear the URL and the secret; no new deliveries are made."""
    with session_scope(settings) as s:
        store.clear_config(s, account)
    return Response(status_code=204)


@router.get("/webhook/deliveries")
def list_deliveries(settings: SettingsDep, account: AccountDep,
                    page: PageQ = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
                    job_id: str | None = None) -> WebhookAttemptsPublic:
    """Every delivery attempt of the account, newest first: status code, latency, error."""
    with session_scope(settings) as s:
        rows, total = store.list_attempts(s, account, job_id=job_id, page=page,
                                          page_size=page_size)
        items = [_public(r) for r in rows]
    return WebhookAttemptsPublic(items=items, total=total, page=page, page_size=page_size,
                                 total_pages=total_pages(total, page_size))
