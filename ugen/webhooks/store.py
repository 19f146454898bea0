"""Webhook configs and delivery attempts in the product database.

A config's signing secret is stored encrypted (:mod:`ugen.webhooks.secrets`); only
:func:`signing_secret` gives it back in clear.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ugen.core.config import Settings
from ugen.store.models import WebhookConfig, WebhookDelivery, utcnow
from ugen.webhooks.secrets import seal, unseal


def get_config(s: Session, account_id: str) -> WebhookConfig | None:
    return s.get(WebhookConfig, account_id)


def set_config(s: Session, settings: Settings, account_id: str, url: str,
               secret: str | None) -> None:
    """Replace the account's webhook (URL and secret, stored encrypted) with this one."""
    stored = None if secret is None else seal(settings, secret, account_id=account_id)
    row = s.get(WebhookConfig, account_id)
    if row is None:
        s.add(WebhookConfig(account_id=account_id, webhook_url=url, webhook_secret=stored))
    else:
        row.webhook_url = url
        row.webhook_secret = stored
        row.updated_at = utcnow()


def signing_secret(settings: Settings, config: WebhookConfig | None) -> str | None:
    """The config's secret in clear, or None without one.

    Raises:
        SecretDecryptionError: it does not decrypt with the configured key.
    """
    if config is None or config.webhook_secret is None:
        return None
    return unseal(settings, config.webhook_secret, account_id=config.account_id)


def clear_config(s: Session, account_id: str) -> bool:
    row = s.get(WebhookConfig, account_id)
    if row is None:
        return False
    s.delete(row)
    return True


def get_attempt(s: Session, delivery_id: str, attempt: int) -> WebhookDelivery | None:
    return s.scalar(select(WebhookDelivery).where(WebhookDelivery.delivery_id == delivery_id,
                                                  WebhookDelivery.attempt == attempt))


def list_attempts(s: Session, account_id: str, *, job_id: str | None, page: int,
                  page_size: int) -> tuple[list[WebhookDelivery], int]:
    """The account's delivery attempts, newest first, and how many there are."""
    where: list[Any] = [WebhookDelivery.account_id == account_id]
    if job_id is not None:
        where.append(WebhookDelivery.job_id == job_id)
    total = s.scalar(select(func.count()).select_from(WebhookDelivery).where(*where)) or 0
    rows = s.scalars(select(WebhookDelivery).where(*where)
                     .order_by(WebhookDelivery.id.desc())
                     .offset((page - 1) * page_size).limit(page_size)).all()
    return list(rows), total
