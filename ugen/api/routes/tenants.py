"""``/tenants/me/webhook``: the account's webhook (URL and secret) and its delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator, BaseModel, Field

from ugen import service
from ugen.api.deps import AccountDep, PageQ, SettingsDep
from ugen.api.errors import field_error
from ugen.api.schemas import ErrorPublic, total_pages
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.schemas import ONE_LINE
from ugen.webhooks.urls import UnsafeWebhookUrlError

router = APIRouter(prefix="/tenants/me", tags=["tenants"],
                   responses={401: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


MAX_SECRET_BYTES = 256
"""Longest webhook secret (UTF-8 bytes): its encrypted form fits the stored column."""


def _secret_size(value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > MAX_SECRET_BYTES:
        raise ValueError(f"is {size} bytes in UTF-8; the limit is {MAX_SECRET_BYTES}")
    return value


class WebhookConfigIn(BaseModel):
    webhook_url: Annotated[str, Field(min_length=1, max_length=2000), ONE_LINE]
    webhook_secret: Annotated[str, Field(min_length=1, max_length=MAX_SECRET_BYTES), ONE_LINE,
                              AfterValidator(_secret_size)] | None = None
    """Signs deliveries; omitted, deliveries are unsigned. Stored encrypted, never
    returned."""


class WebhookConfigPublic(BaseModel):
    webhook_configured: bool
    webhook_url: str | None


class WebhookAttemptsPublic(BaseModel):
    items: list[service.DeliveryAttempt]
    total: int
    page: int
    page_size: int
    total_pages: int


def _config(settings: SettingsDep, account: str) -> WebhookConfigPublic:
    found = service.webhook_setting(settings, account)
    return WebhookConfigPublic(webhook_configured=found.url is not None,
                               webhook_url=found.url)


def _put(body: WebhookConfigIn, settings: SettingsDep, account: str) -> WebhookConfigPublic:
    try:
        service.set_webhook(settings, account, body.webhook_url, secret=body.webhook_secret)
    except UnsafeWebhookUrlError as err:
        raise field_error("webhook_url", str(err), body.webhook_url,
                          reason=err.reason) from err
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
    service.clear_webhook(settings, account)
    return Response(status_code=204)


@router.get("/webhook/deliveries")
def list_deliveries(settings: SettingsDep, account: AccountDep,
                    page: PageQ = 1,
                    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
                    job_id: str | None = None) -> WebhookAttemptsPublic:
    """Every delivery attempt of the account, newest first: status code, latency, error."""
    items, total = service.webhook_attempts(settings, account, page=page,
                                            page_size=page_size, job_id=job_id)
    return WebhookAttemptsPublic(items=items, total=total, page=page, page_size=page_size,
                                 total_pages=total_pages(total, page_size))
