"""Accounts and their API keys. Keys are ``ugen_sk_<random>``; only their sha256 is stored.

The full key is returned once, when it is created; afterwards the key is known by its id and
its masked ``key_prefix`` (``ugen_sk_...Ab4c``).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from ugen.core.config import Settings
from ugen.store import ledger
from ugen.store.db import get_engine, session_scope
from ugen.store.models import Account, ApiKey, utcnow
from ugen.store.status_reads import KeyRecord

KEY_PREFIX = "ugen_sk_"
# last_used_at is written at most this often per key, so reads do not become writes.
_TOUCH_EVERY = timedelta(seconds=60)


class AccountExistsError(ValueError):
    """An account with that name exists already."""


class AccountNotFoundError(LookupError):
    pass


class ApiKeyNotFoundError(LookupError):
    pass


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    api_key: str
    key_prefix: str


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def mask_key(raw_key: str) -> str:
    return f"{KEY_PREFIX}...{raw_key[-4:]}"


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def create_api_key(settings: Settings, account_id: str, *, name: str = "",
                   expires_at: datetime | None = None) -> CreatedKey:
    """Create a key for an account; the returned ``api_key`` is the only copy of it."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = CreatedKey(key_id=f"key_{uuid.uuid4().hex[:16]}", api_key=raw,
                     key_prefix=mask_key(raw))
    with session_scope(settings) as s:
        if s.get(Account, account_id) is None:
            raise AccountNotFoundError(account_id)
        s.add(ApiKey(id=key.key_id, account_id=account_id, name=name,
                     key_prefix=key.key_prefix, key_hash=hash_key(raw), expires_at=expires_at))
    return key


def create_account(settings: Settings, name: str, credits: int = 0) -> tuple[str, str]:
    """Create an account with ``credits`` starter credits and a first key.

    Returns:
        ``(account_id, api_key)``.

    Raises:
        AccountExistsError: the name is taken.
    """
    account_id = f"acct_{uuid.uuid4().hex[:16]}"
    with session_scope(settings) as s:
        if s.scalar(select(Account.id).where(Account.name == name)) is not None:
            raise AccountExistsError(f"an account named {name!r} exists already")
        ledger.ensure_account(s, account_id, name, initial_credits=credits)
    key = create_api_key(settings, account_id, name="default")
    return account_id, key.api_key


def revoke_api_key(settings: Settings, key_id: str) -> None:
    """Revoke a key at once and for good (revoking twice is harmless)."""
    with session_scope(settings) as s:
        row = s.get(ApiKey, key_id)
        if row is None:
            raise ApiKeyNotFoundError(key_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()


def authenticate(settings: Settings, raw_key: str) -> str | None:
    """The account id a key belongs to, or None for an unknown, revoked or expired key.

    It runs on every authenticated request, so its one read (and the rare ``last_used_at``
    write) each run as a transaction of their own (autocommit): no BEGIN and COMMIT round
    trips around them, and no session.
    """
    if not raw_key.startswith(KEY_PREFIX):
        return None
    now = utcnow()
    with get_engine(settings).connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(_KEY_ROW, {"key_hash": hash_key(raw_key)}).first()
        if row is None or not _live(row.revoked_at, row.expires_at, now):
            return None
        if _touch_due(row.last_used_at, now):
            conn.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return str(row.account_id)


_KEY_ROW = (select(ApiKey.id, ApiKey.account_id, ApiKey.revoked_at, ApiKey.expires_at,
                   ApiKey.last_used_at).where(ApiKey.key_hash == bindparam("key_hash")))


def _live(revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    if revoked_at is not None:
        return False
    expires = _aware(expires_at)
    return expires is None or expires > now


def _touch_due(last_used_at: datetime | None, now: datetime) -> bool:
    last = _aware(last_used_at)
    return last is None or now - last >= _TOUCH_EVERY


def account_of_key(session: Session, raw_key: str) -> str | None:
    """:func:`authenticate` inside the caller's transaction (one trip for a whole request)."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    now = utcnow()
    # Plain columns, no ORM object: this runs on every request.
    row = session.connection().execute(_KEY_ROW, {"key_hash": hash_key(raw_key)}).first()
    if row is None or not _live(row.revoked_at, row.expires_at, now):
        return None
    if _touch_due(row.last_used_at, now):
        session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return str(row.account_id)


def account_of_key_record(settings: Settings, key: KeyRecord | None) -> str | None:
    """:func:`authenticate` for a key row read already (see ``store.status_reads``).

    The same checks, read by the caller in the same request; a due ``last_used_at`` is
    written in a transaction of its own.
    """
    now = utcnow()
    if key is None or not _live(key.revoked_at, key.expires_at, now):
        return None
    if _touch_due(key.last_used_at, now):
        with session_scope(settings) as s:
            s.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    return key.account_id


def grant_credits(settings: Settings, account_id: str, credits: int,
                  description: str = "granted by admin") -> ledger.Balance:
    """Add purchased credits to an account; return its new balance."""
    with session_scope(settings) as s:
        if s.get(Account, account_id) is None:
            raise AccountNotFoundError(account_id)
        ledger.grant(s, account_id, credits, type_="purchase", description=description)
        return ledger.balance(s, account_id)
