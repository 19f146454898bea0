"""The account pages: ``/credits`` (balance and ledger), ``/settings`` (API keys, the webhook
and its deliveries, signed-in sessions) and ``/models`` (the catalog with prices and the
Playground: :mod:`ugen.web.playground`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from ugen import service
from ugen.core.config import Settings
from ugen.store.web_sessions import SessionRecord
from ugen.web import playground
from ugen.web.auth import CheckedSessionDep, SessionDep, SettingsDep
from ugen.web.templating import templates_of
from ugen.webhooks.urls import UnsafeWebhookUrlError

router = APIRouter(include_in_schema=False)
router.include_router(playground.router)  # /models and its Playground

LEDGER_PAGE_SIZE = 25
DELIVERIES_PAGE_SIZE = 10
PageQ = Annotated[int, Query(ge=1, le=1_000_000)]


@router.get("/credits")
def credits_page(request: Request, settings: SettingsDep, session: SessionDep,
                 page: PageQ = 1) -> Response:
    """Balance, reserved and available credits, and the ledger."""
    bal, lines, total = service.ledger_page(settings, session.account_id, page=page,
                                            page_size=LEDGER_PAGE_SIZE)
    return templates_of(request).page(
        request, "credits.html", session=session, nav="credits", balance=bal, lines=lines,
        total=total, page=page, pages=max(1, -(-total // LEDGER_PAGE_SIZE)))


def _settings_page(request: Request, settings: Settings, session: SessionRecord, *,
                   page: int = 1, status_code: int = 200, new_key: str | None = None,
                   new_secret: str | None = None, webhook_url: str | None = None,
                   webhook_error: str | None = None, key_error: str | None = None,
                   notice: str | None = None) -> Response:
    attempts, total = service.webhook_attempts(settings, session.account_id, page=page,
                                               page_size=DELIVERIES_PAGE_SIZE)
    webhook = service.webhook_setting(settings, session.account_id)
    return templates_of(request).page(
        request, "settings.html", status_code=status_code, session=session, nav="settings",
        keys=service.api_keys_of(settings, session.account_id), new_key=new_key,
        key_error=key_error, webhook=webhook,
        webhook_url=webhook_url if webhook_url is not None else (webhook.url or ""),
        webhook_error=webhook_error, new_secret=new_secret, attempts=attempts,
        attempts_total=total, page=page,
        pages=max(1, -(-total // DELIVERIES_PAGE_SIZE)),
        sessions=service.web_sessions_of(settings, session.account_id), notice=notice)


@router.get("/settings")
def settings_page(request: Request, settings: SettingsDep, session: SessionDep,
                  page: PageQ = 1) -> Response:
    """API keys, the webhook with its delivery log, and signed-in sessions."""
    return _settings_page(request, settings, session, page=page)


@router.post("/settings/keys")
def create_key(request: Request, settings: SettingsDep, session: CheckedSessionDep,
               name: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Create an API key; the page shows it this once."""
    label = name.strip()
    if not label or any(ord(c) < 32 for c in label):
        return _settings_page(request, settings, session, status_code=422,
                              key_error="Give the key a name, such as the app that uses it.")
    key = service.create_account_key(settings, session.account_id, label)
    return _settings_page(request, settings, session, status_code=201, new_key=key.api_key,
                          notice=f"Key “{label}” created.")


@router.post("/settings/keys/{key_id}/revoke")
def revoke_key(key_id: str, settings: SettingsDep, session: CheckedSessionDep) -> Response:
    """Revoke one of the account's keys at once (sessions signed in with it end too)."""
    service.revoke_account_key(settings, session.account_id, key_id)
    return RedirectResponse("/settings#keys", status_code=303)


@router.post("/settings/webhook")
def set_webhook(request: Request, settings: SettingsDep, session: CheckedSessionDep,
                webhook_url: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Set the webhook URL (a first webhook gets a signing secret, shown once)."""
    url = webhook_url.strip()
    first = not service.webhook_setting(settings, session.account_id).signed
    try:
        secret = service.set_webhook(settings, session.account_id, url, new_secret=first,
                                     keep_secret=not first)
    except UnsafeWebhookUrlError as err:
        return _settings_page(request, settings, session, status_code=422, webhook_url=url,
                              webhook_error=f"This URL is refused: {err}")
    return _settings_page(request, settings, session, new_secret=secret,
                          notice="Webhook saved.")


@router.post("/settings/webhook/rotate")
def rotate_secret(request: Request, settings: SettingsDep, session: CheckedSessionDep
                  ) -> Response:
    """Replace the webhook's signing secret; the page shows the new one this once."""
    current = service.webhook_setting(settings, session.account_id)
    if current.url is None:
        return _settings_page(request, settings, session, status_code=409,
                              webhook_error="Set a webhook URL first.")
    try:
        secret = service.set_webhook(settings, session.account_id, current.url,
                                     new_secret=True)
    except UnsafeWebhookUrlError as err:
        return _settings_page(request, settings, session, status_code=422,
                              webhook_error=f"The saved URL is refused now: {err}")
    return _settings_page(request, settings, session, new_secret=secret,
                          notice="Signing secret rotated: update your receiver.")


@router.post("/settings/webhook/clear")
def clear_webhook(settings: SettingsDep, session: CheckedSessionDep) -> Response:
    """Clear the webhook URL and secret."""
    service.clear_webhook(settings, session.account_id)
    return RedirectResponse("/settings#webhook", status_code=303)


@router.post("/settings/sessions/{session_id}/revoke")
def revoke_session(session_id: str, settings: SettingsDep, session: CheckedSessionDep
                   ) -> Response:
    """Sign one browser out (this one too, when it is this session)."""
    service.revoke_web_session(settings, session.account_id, session_id)
    return RedirectResponse("/settings#sessions" if session_id != session.id else "/login",
                            status_code=303)
