"""An account's API keys as its owner sees them (masked), and revoking one of its own.

Keys themselves are made and checked in :mod:`ugen.store.api_keys`; this is the account's
view of them for the dashboard's settings page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import ApiKey, utcnow


@dataclass(frozen=True)
class KeyInfo:
    """One API key, never its secret part."""

    key_id: str
    name: str
    key_prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        expires = self.expires_at
        return self.revoked_at is None and (expires is None or expires > utcnow())


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def list_api_keys(settings: Settings, account_id: str) -> list[KeyInfo]:
    """The account's keys, newest first, revoked ones included."""
    with session_scope(settings) as s:
        rows = s.scalars(select(ApiKey).where(ApiKey.account_id == account_id)
                         .order_by(ApiKey.created_at.desc())).all()
        return [KeyInfo(key_id=r.id, name=r.name, key_prefix=r.key_prefix,
                        created_at=_aware(r.created_at) or r.created_at,
                        last_used_at=_aware(r.last_used_at), expires_at=_aware(r.expires_at),
                        revoked_at=_aware(r.revoked_at))
                for r in rows]


def revoke_account_key(settings: Settings, account_id: str, key_id: str) -> bool:
    """Revoke one of the account's own keys at once; False if it has no such live key."""
    with session_scope(settings) as s:
        done = s.execute(update(ApiKey)
                         .where(ApiKey.id == key_id, ApiKey.account_id == account_id,
                                ApiKey.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
        return bool(done.rowcount)  # type: ignore[attr-defined]
