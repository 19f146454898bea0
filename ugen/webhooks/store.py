"""Webhook configs and delivery attempts in the product database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ugen.store.models import WebhookConfig, WebhookDelivery, utcnow


def get_config(s: Session, account_id: str) -> WebhookConfig | None:
    return s.get(WebhookConfig, account_id)


def set_config(s: Session, account_id: str, url: str, secret: str | None) -> None:
    """Replace the account's webhook (URL and secret) with this one."""
    row = s.get(WebhookConfig, account_id)
    if row is None:
        s.add(WebhookConfig(account_id=account_id, webhook_url=url, webhook_secret=secret))
    else:
        row.webhook_url = url
        row.webhook_secret = secret
        row.updated_at = utcnow()


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
