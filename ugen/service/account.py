"""The account: credits, API keys, the webhook and dashboard sessions."""

from __future__ import annotations

import secrets as random_tokens
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from ugen.core.config import Settings
from ugen.core.estimate import Estimate
from ugen.core.schemas import JobOptions
from ugen.core.types import TransactionType
from ugen.service.jobs import ensure_default_account
from ugen.store import ledger
from ugen.store.db import session_scope
from ugen.views import as_utc
from ugen.webhooks import store as webhook_store
from ugen.webhooks.urls import check_webhook_url

if TYPE_CHECKING:
    from ugen.store.api_keys import CreatedKey
    from ugen.store.key_listing import KeyInfo
    from ugen.store.web_sessions import NewSession, SessionRecord


def account_balance(settings: Settings, account_id: str) -> ledger.Balance:
    """The account's balance, reserved and available credits."""
    with session_scope(settings) as s:
        return ledger.balance(s, account_id)


def purchase_credits(settings: Settings, account_id: str, amount: int) -> ledger.Balance:
    """Add ``amount`` purchased credits to the account."""
    with session_scope(settings) as s:
        ledger.grant(s, account_id, amount, type_="purchase", description="purchase")
        return ledger.balance(s, account_id)


def price_job(settings: Settings, account_id: str, options: JobOptions
              ) -> tuple[Estimate, ledger.Balance]:
    """What a job would cost, by component, and what the account has available: nothing
    is reserved."""
    from ugen.core.estimate import estimate

    return estimate(options), account_balance(settings, account_id)


class LedgerLine(BaseModel):
    """One ledger transaction with the balance before and after it (the API's
    ``/credits/transactions`` items)."""

    model_config = ConfigDict(frozen=True)

    id: int
    type: TransactionType
    amount: int
    balance_before: int
    balance_after: int
    reserved_after: int
    job_id: str | None
    description: str
    created_at: datetime


def ledger_page(settings: Settings, account_id: str, *, page: int = 1, page_size: int = 25,
                job_id: str | None = None) -> tuple[ledger.Balance, list[LedgerLine], int]:
    """The account's balance, one page of its ledger (of one job, with ``job_id``; newest
    first) and how many lines."""
    with session_scope(settings) as s:
        bal = ledger.balance(s, account_id)
        rows, total = ledger.list_transactions(s, account_id, job_id=job_id, page=page,
                                               page_size=page_size)
        return bal, [LedgerLine(id=t.id, type=t.type,  # type: ignore[arg-type]
                                amount=t.amount,
                                balance_before=t.balance_before, balance_after=t.balance_after,
                                reserved_after=t.reserved_after, job_id=t.job_id,
                                description=t.description, created_at=as_utc(t.created_at))
                     for t in rows], total


def create_login_link(settings: Settings, account_id: str) -> str:
    """A one-time sign-in token for the account (the CLI's own account is made on first
    use).

    Raises:
        ugen.store.api_keys.AccountNotFoundError: no such account.
    """
    from ugen.store import web_sessions

    if account_id == settings.default_account:
        ensure_default_account(settings)
    return web_sessions.create_login_link(settings, account_id)


def sign_in_with_link(settings: Settings, token: str, *, user_agent: str = ""
                      ) -> NewSession | None:
    """Open a dashboard session with a sign-in link (None: unknown, used or expired)."""
    from ugen.store import web_sessions

    return web_sessions.redeem_login_link(settings, token, user_agent=user_agent)


def sign_in_with_key(settings: Settings, api_key: str, *, user_agent: str = ""
                     ) -> NewSession | None:
    """Open a dashboard session with an API key (None: unknown, revoked or expired key)."""
    from ugen.store import web_sessions

    return web_sessions.sign_in_with_key(settings, api_key, user_agent=user_agent)


def web_session(settings: Settings, token: str) -> SessionRecord | None:
    """The live dashboard session of a cookie's token, or None."""
    from ugen.store import web_sessions

    return web_sessions.session_for_token(settings, token)


def sign_out(settings: Settings, token: str) -> bool:
    """End the dashboard session of a cookie's token."""
    from ugen.store import web_sessions

    return web_sessions.end_session(settings, token)


def web_sessions_of(settings: Settings, account_id: str) -> list[SessionRecord]:
    """The account's live dashboard sessions, newest first."""
    from ugen.store import web_sessions

    return web_sessions.list_sessions(settings, account_id)


def revoke_web_session(settings: Settings, account_id: str, session_id: str) -> bool:
    """End one of the account's dashboard sessions."""
    from ugen.store import web_sessions

    return web_sessions.revoke_session(settings, account_id, session_id)


def api_keys_of(settings: Settings, account_id: str) -> list[KeyInfo]:
    """The account's API keys (masked), newest first."""
    from ugen.store.key_listing import list_api_keys

    return list_api_keys(settings, account_id)


def create_account_key(settings: Settings, account_id: str, name: str) -> CreatedKey:
    """A new API key of the account; the returned key is the only copy of it."""
    from ugen.store.api_keys import create_api_key

    return create_api_key(settings, account_id, name=name)


def revoke_account_key(settings: Settings, account_id: str, key_id: str) -> bool:
    """Revoke one of the account's keys (and the dashboard sessions opened with it)."""
    from ugen.store.key_listing import revoke_account_key as revoke

    return revoke(settings, account_id, key_id)


@dataclass(frozen=True)
class WebhookSetting:
    """The account's webhook: its URL and whether deliveries are signed (never the secret)."""

    url: str | None
    signed: bool
    updated_at: datetime | None


class DeliveryAttempt(BaseModel):
    """One attempt of one webhook delivery (the API's ``/tenants/me/webhook/deliveries``
    items)."""

    model_config = ConfigDict(frozen=True)

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


def webhook_setting(settings: Settings, account_id: str) -> WebhookSetting:
    """The account's webhook."""
    with session_scope(settings) as s:
        row = webhook_store.get_config(s, account_id)
        if row is None:
            return WebhookSetting(None, False, None)
        return WebhookSetting(row.webhook_url, row.webhook_secret is not None,
                              as_utc(row.updated_at))


def set_webhook(settings: Settings, account_id: str, url: str, *, new_secret: bool = False,
                secret: str | None = None, keep_secret: bool = False) -> str | None:
    """Set the account's webhook URL with its signing secret: ``secret`` as given (None:
    deliveries are unsigned), a fresh one with ``new_secret`` (returned: its only showing),
    or the current one with ``keep_secret``. The secret is kept encrypted.

    Raises:
        ugen.webhooks.urls.UnsafeWebhookUrlError: the URL is not https or not public.
    """
    check_webhook_url(url, allow_private=settings.allow_private_urls)
    with session_scope(settings) as s:
        if new_secret:
            secret = random_tokens.token_urlsafe(32)
        elif keep_secret:
            secret = webhook_store.signing_secret(settings,
                                                  webhook_store.get_config(s, account_id))
        webhook_store.set_config(s, settings, account_id, url, secret)
    return secret if new_secret else None


def clear_webhook(settings: Settings, account_id: str) -> bool:
    """Clear the account's webhook URL and secret."""
    with session_scope(settings) as s:
        return webhook_store.clear_config(s, account_id)


def webhook_attempts(settings: Settings, account_id: str, *, page: int = 1,
                     page_size: int = 20, job_id: str | None = None
                     ) -> tuple[list[DeliveryAttempt], int]:
    """The account's webhook delivery attempts (of one job, with ``job_id``), newest first,
    and how many in all."""
    with session_scope(settings) as s:
        rows, total = webhook_store.list_attempts(s, account_id, job_id=job_id, page=page,
                                                  page_size=page_size)
        return [DeliveryAttempt(delivery_id=r.delivery_id, job_id=r.job_id, event=r.event,
                                url=r.url, attempt=r.attempt, state=r.state,
                                status_code=r.status_code, latency_ms=r.latency_ms,
                                error=r.error, payload=dict(r.payload),
                                created_at=as_utc(r.created_at),
                                next_attempt_at=as_utc(r.next_attempt_at))
                for r in rows], total
