"""Dashboard sign-in: server-side sessions and one-time sign-in links.

A session is a random token kept only in the browser's cookie; the database keeps its
sha256, the account, the session's CSRF token, when it expires and whether it was revoked.
A session made by signing in with an API key names that key: once the key is revoked or
expires, the session ends with it. A sign-in link is a random token (sha256 stored) that
opens one session, once, before it expires.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import DateTime, ForeignKey, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.core.config import Settings
from ugen.store.api_keys import KEY_PREFIX, AccountNotFoundError, hash_key
from ugen.store.db import session_scope
from ugen.store.models import Account, ApiKey, Base, utcnow

SignInMethod = Literal["link", "api_key"]
TOKEN_BYTES = 32
_TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most this often, so page views do not become writes."""
_KEEP_ENDED = timedelta(days=30)
"""Ended sessions and used or expired links are deleted this long after they ended."""


class WebSession(Base):
    """One signed-in browser."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginLink(Base):
    """A one-time sign-in link of an account."""

    __tablename__ = "web_login_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class SessionRecord:
    """A live session as the dashboard sees it (never its token)."""

    id: str
    account_id: str
    account_name: str
    csrf_token: str
    via: str
    user_agent: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``token`` goes to the cookie and is not kept anywhere else."""

    token: str
    record: SessionRecord


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _record(row: WebSession, account_name: str) -> SessionRecord:
    return SessionRecord(id=row.id, account_id=row.account_id, account_name=account_name,
                         csrf_token=row.csrf_token, via=row.via, user_agent=row.user_agent,
                         created_at=_aware(row.created_at), expires_at=_aware(row.expires_at),
                         last_seen_at=_aware(row.last_seen_at))


def _purge(s: Session, now: datetime) -> None:
    """Forget sessions and links that ended long ago (they can never be used again)."""
    cutoff = now - _KEEP_ENDED
    s.execute(delete(WebSession).where(WebSession.expires_at < cutoff))
    s.execute(delete(WebSession).where(WebSession.revoked_at < cutoff))
    s.execute(delete(LoginLink).where(LoginLink.expires_at < cutoff))


def create_login_link(settings: Settings, account_id: str) -> str:
    """A new one-time sign-in token of the account, valid ``login_link_ttl_s``.

    Raises:
        AccountNotFoundError: no such account.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    with session_scope(settings) as s:
        if s.get(Account, account_id) is None:
            raise AccountNotFoundError(account_id)
        _purge(s, now)
        s.add(LoginLink(token_hash=_token_hash(token), account_id=account_id, created_at=now,
                        expires_at=now + timedelta(seconds=settings.login_link_ttl_s)))
    return token


def _open(s: Session, settings: Settings, account_id: str, *, via: SignInMethod,
          api_key_id: str | None, user_agent: str, now: datetime) -> NewSession:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = WebSession(id=f"ses_{uuid.uuid4().hex[:16]}", token_hash=_token_hash(token),
                     account_id=account_id, csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
                     via=via, api_key_id=api_key_id, user_agent=user_agent[:300],
                     created_at=now, last_seen_at=now,
                     expires_at=now + timedelta(seconds=settings.web_session_ttl_s))
    s.add(row)
    account = s.get(Account, account_id)
    return NewSession(token, _record(row, account.name if account else account_id))


def redeem_login_link(settings: Settings, token: str, *, user_agent: str = ""
                      ) -> NewSession | None:
    """Open a session with a sign-in link; None if it is unknown, used or expired.

    The link is marked used by one guarded UPDATE, so of two requests racing with the same
    link exactly one signs in.
    """
    now = utcnow()
    digest = _token_hash(token)
    with session_scope(settings) as s:
        taken = s.execute(update(LoginLink)
                          .where(LoginLink.token_hash == digest, LoginLink.used_at.is_(None),
                                 LoginLink.expires_at > now)
                          .values(used_at=now))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
        account_id = s.scalar(select(LoginLink.account_id)
                              .where(LoginLink.token_hash == digest))
        assert account_id is not None
        return _open(s, settings, account_id, via="link", api_key_id=None,
                     user_agent=user_agent, now=now)


def _key_live(key: ApiKey, now: datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or _aware(key.expires_at) > now)


def sign_in_with_key(settings: Settings, raw_key: str, *, user_agent: str = ""
                     ) -> NewSession | None:
    """Open a session with an API key; None for an unknown, revoked or expired key.

    The session lasts no longer than the key: it ends when the key is revoked or expires.
    """
    if not raw_key.startswith(KEY_PREFIX):
        return None
    now = utcnow()
    with session_scope(settings) as s:
        key = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key)))
        if key is None or not _key_live(key, now):
            return None
        _purge(s, now)
        return _open(s, settings, key.account_id, via="api_key", api_key_id=key.id,
                     user_agent=user_agent, now=now)


_LIVE_SESSION = (select(WebSession, Account.name, ApiKey)
                 .join(Account, Account.id == WebSession.account_id)
                 .outerjoin(ApiKey, ApiKey.id == WebSession.api_key_id))


def session_for_token(settings: Settings, token: str) -> SessionRecord | None:
    """The live session of a cookie's token, or None (unknown, revoked, expired, or its
    sign-in key revoked or expired)."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    with session_scope(settings) as s:
        found = s.execute(_LIVE_SESSION.where(WebSession.token_hash == _token_hash(token))
                          ).first()
        if found is None:
            return None
        row, account_name, key = found
        if row.revoked_at is not None or _aware(row.expires_at) <= now:
            return None
        if row.api_key_id is not None and (key is None or not _key_live(key, now)):
            return None
        if now - _aware(row.last_seen_at) >= _TOUCH_EVERY:
            row.last_seen_at = now
        return _record(row, account_name)


def end_session(settings: Settings, token: str) -> bool:
    """Sign out: revoke the cookie's session (True if a live one was ended)."""
    with session_scope(settings) as s:
        done = s.execute(update(WebSession)
                         .where(WebSession.token_hash == _token_hash(token),
                                WebSession.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
        return bool(done.rowcount)  # type: ignore[attr-defined]


def revoke_session(settings: Settings, account_id: str, session_id: str) -> bool:
    """Revoke one of the account's sessions (True if a live one was ended)."""
    with session_scope(settings) as s:
        done = s.execute(update(WebSession)
                         .where(WebSession.id == session_id,
                                WebSession.account_id == account_id,
                                WebSession.revoked_at.is_(None))
                         .values(revoked_at=utcnow()))
        return bool(done.rowcount)  # type: ignore[attr-defined]


def list_sessions(settings: Settings, account_id: str) -> list[SessionRecord]:
    """The account's live sessions, newest first."""
    now = utcnow()
    with session_scope(settings) as s:
        rows = s.execute(_LIVE_SESSION.where(WebSession.account_id == account_id,
                                             WebSession.revoked_at.is_(None),
                                             WebSession.expires_at > now)
                         .order_by(WebSession.created_at.desc())).all()
        return [_record(row, name) for row, name, key in rows
                if row.api_key_id is None or (key is not None and _key_live(key, now))]
