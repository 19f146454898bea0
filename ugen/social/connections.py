"""Connected social accounts: the connect flow's server-side state, and tokens at rest.

A connect attempt stores its ``state`` hashed, with the PKCE verifier sealed, for
``social_state_ttl_s``; the callback consumes it once (used, expired, unknown or another
platform's state is refused before any code is exchanged). Access and refresh tokens are
sealed (AES-256-GCM, :mod:`ugen.store.sealed`) bound to the account and platform, never
logged and never returned. :func:`fresh_access_token` is what a post calls: it refreshes a
token within ``social_refresh_margin_s`` of expiry, and marks the connection ``revoked``
when the platform refuses the refresh for good.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ugen.core.config import Settings
from ugen.social import oauth
from ugen.social.base import PlatformName, SocialPlatform, TokenSet
from ugen.social.errors import ConnectionRevokedError, NotConnectedError, OAuthError
from ugen.store import sealed
from ugen.store.db import session_scope
from ugen.store.models import OAuthState, SocialConnection, utcnow

_TOKENS = b"ugen social tokens v1"
_PKCE = b"ugen social pkce v1"


@dataclass(frozen=True)
class ConnectStart:
    authorization_url: str
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class ConnectionView:
    """A connection as users see it: never its tokens."""

    platform: str
    platform_user_id: str | None
    display_name: str | None
    scopes: tuple[str, ...]
    status: str
    status_reason: str | None
    token_expires_at: datetime | None
    connected_at: datetime
    updated_at: datetime


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _view(row: SocialConnection) -> ConnectionView:
    return ConnectionView(platform=row.platform, platform_user_id=row.platform_user_id,
                          display_name=row.display_name, scopes=tuple(row.scopes.split()),
                          status=row.status, status_reason=row.status_reason,
                          token_expires_at=_aware(row.expires_at),
                          connected_at=_aware(row.created_at) or row.created_at,
                          updated_at=_aware(row.updated_at) or row.updated_at)


def redirect_uri(settings: Settings, platform: str) -> str:
    return f"{settings.social_redirect_base_url.rstrip('/')}/api/v1/social/{platform}/callback"


def _token_context(account_id: str, platform: str, which: str) -> str:
    return f"{account_id}:{platform}:{which}"


DASHBOARD_STATE_PREFIX = "web."
"""Starts the ``state`` of a connect attempt begun on the dashboard: the callback then sends
the browser back to the dashboard's Connections page instead of answering JSON. It is part
of the single-use, server-side state (hashed with it), so it cannot be added to another."""


def started_on_dashboard(state: str) -> bool:
    return state.startswith(DASHBOARD_STATE_PREFIX)


def start_connect(settings: Settings, platform: SocialPlatform, account_id: str, *,
                  from_dashboard: bool = False) -> ConnectStart:
    """A new connect attempt: its state stored server-side, the consent URL to send to."""
    state = (DASHBOARD_STATE_PREFIX if from_dashboard else "") + oauth.new_state()
    digest = oauth.state_hash(state)
    pkce = oauth.new_pkce() if platform.uses_pkce else None
    expires = utcnow() + timedelta(seconds=settings.social_state_ttl_s)
    verifier = None if pkce is None else sealed.seal(
        settings, pkce.verifier, purpose=_PKCE, context=digest)
    with session_scope(settings) as s:
        s.add(OAuthState(state_hash=digest, account_id=account_id, platform=platform.name,
                         code_verifier=verifier, expires_at=expires))
    url = platform.authorization_url(state=state, redirect_uri=redirect_uri(
        settings, platform.name), code_challenge=None if pkce is None else pkce.challenge)
    return ConnectStart(authorization_url=url, state=state, expires_at=expires)


def consume_state(settings: Settings, platform: str, state: str) -> tuple[str, str | None]:
    """The account and PKCE verifier of a connect attempt, marking it used.

    Raises:
        OAuthError: unknown, used, expired, or another platform's state.
    """
    digest = oauth.state_hash(state)
    with session_scope(settings) as s:
        row = s.get(OAuthState, digest, with_for_update=True)
        if row is None or row.platform != platform:
            raise OAuthError("unknown state: start the connection again", platform=platform,
                             reason="state_mismatch")
        if row.used_at is not None:
            raise OAuthError("this connect link was already used", platform=platform,
                             reason="state_used")
        if (_aware(row.expires_at) or utcnow()) <= utcnow():
            raise OAuthError("the connect attempt expired: start again", platform=platform,
                             reason="state_expired")
        row.used_at = utcnow()
        account_id, stored = row.account_id, row.code_verifier
    verifier = None if stored is None else sealed.unseal(settings, stored, purpose=_PKCE,
                                                         context=digest)
    return account_id, verifier


def _store_tokens(s: Session, settings: Settings, row: SocialConnection,
                  tokens: TokenSet) -> None:
    row.access_token = sealed.seal(settings, tokens.access_token, purpose=_TOKENS,
                                   context=_token_context(row.account_id, row.platform,
                                                          "access"))
    if tokens.refresh_token is not None:  # a refresh answer may keep the old one
        row.refresh_token = sealed.seal(settings, tokens.refresh_token, purpose=_TOKENS,
                                        context=_token_context(row.account_id, row.platform,
                                                               "refresh"))
    if tokens.scopes:
        row.scopes = " ".join(tokens.scopes)
    row.expires_at = tokens.expires_at
    row.status, row.status_reason = "active", None
    row.updated_at = utcnow()


def _get(s: Session, account_id: str, platform: str) -> SocialConnection | None:
    return s.scalars(select(SocialConnection).where(
        SocialConnection.account_id == account_id,
        SocialConnection.platform == platform)).first()


def finish_connect(settings: Settings, platform: SocialPlatform, *, state: str,
                   code: str) -> tuple[str, ConnectionView]:
    """Exchange the callback's code and store the connection; (account id, its view).

    Raises:
        OAuthError: a bad state, or the platform refused the code or its PKCE verifier.
    """
    account_id, verifier = consume_state(settings, platform.name, state)
    tokens = platform.exchange_code(code=code, code_verifier=verifier,
                                    redirect_uri=redirect_uri(settings, platform.name))
    with session_scope(settings) as s:
        row = _get(s, account_id, platform.name)
        if row is None:
            row = SocialConnection(id=f"sc_{secrets.token_hex(8)}", account_id=account_id,
                                   platform=platform.name, access_token="")
            s.add(row)
        row.platform_user_id, row.display_name = tokens.platform_user_id, tokens.display_name
        _store_tokens(s, settings, row, tokens)
        s.flush()
        return account_id, _view(row)


def is_connected(settings: Settings, account_id: str, platform: str) -> bool:
    with session_scope(settings) as s:
        return _get(s, account_id, platform) is not None


def list_connections(settings: Settings, account_id: str) -> list[ConnectionView]:
    with session_scope(settings) as s:
        rows = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id).order_by(SocialConnection.platform))
        return [_view(r) for r in rows]


def _tokens_of(settings: Settings, row: SocialConnection) -> tuple[str, str | None]:
    access = sealed.unseal(settings, row.access_token, purpose=_TOKENS,
                           context=_token_context(row.account_id, row.platform, "access"))
    refresh = None if row.refresh_token is None else sealed.unseal(
        settings, row.refresh_token, purpose=_TOKENS,
        context=_token_context(row.account_id, row.platform, "refresh"))
    return access, refresh


def disconnect(settings: Settings, platform: SocialPlatform, account_id: str) -> bool:
    """Revoke the grant at the platform (where it can) and delete the connection; whether
    the platform confirmed the revocation.

    Raises:
        NotConnectedError: the account has no connection to the platform.
    """
    with session_scope(settings) as s:
        row = _get(s, account_id, platform.name)
        if row is None:
            raise NotConnectedError(f"no {platform.name} connection", platform=platform.name)
        _, refresh = _tokens_of(settings, row)
        revoked_already = row.status == "revoked"
    if platform.revoke_token == "refresh" and refresh is not None:
        # Google revokes the whole grant from either token; the refresh token outlives the other.
        revoked = platform.revoke(refresh)
    elif revoked_already:
        revoked = False  # the platform refused our tokens already: nothing to revoke with
    else:
        try:  # TikTok revokes with the access token: a live one
            revoked = platform.revoke(fresh_access_token(settings, platform, account_id))
        except ConnectionRevokedError:
            revoked = False
    with session_scope(settings) as s:
        row = _get(s, account_id, platform.name)
        if row is not None:
            s.delete(row)
    return revoked


def mark_revoked(settings: Settings, account_id: str, platform: str, reason: str) -> None:
    with session_scope(settings) as s:
        row = _get(s, account_id, platform)
        if row is not None:
            row.status, row.status_reason = "revoked", reason[:1000]


def fresh_access_token(settings: Settings, platform: SocialPlatform, account_id: str, *,
                       now: datetime | None = None) -> str:
    """An access token valid for at least ``social_refresh_margin_s``, refreshed if needed.

    Raises:
        NotConnectedError: no connection; ConnectionRevokedError: the connection was
        revoked, or the platform refused its refresh token (it is then marked revoked).
    """
    now = now or utcnow()
    name: PlatformName = platform.name
    with session_scope(settings) as s:
        row = _get(s, account_id, name)
        if row is None:
            raise NotConnectedError(f"the account has no {name} connection: connect it first",
                                    platform=name, reason="not_connected")
        if row.status == "revoked":
            raise ConnectionRevokedError(
                f"the {name} connection was revoked ({row.status_reason}): reconnect it",
                platform=name, reason="revoked")
        access, refresh = _tokens_of(settings, row)
        expires = _aware(row.expires_at)
    margin = timedelta(seconds=settings.social_refresh_margin_s)
    if expires is None or expires - margin > now:
        return access
    if refresh is None:
        raise ConnectionRevokedError(f"the {name} token expired and cannot be refreshed: "
                                     "reconnect the account", platform=name, reason="expired")
    try:
        tokens = platform.refresh(refresh)
    except ConnectionRevokedError as err:
        mark_revoked(settings, account_id, name, str(err))
        raise
    with session_scope(settings) as s:
        row = _get(s, account_id, name)
        if row is None:  # disconnected meanwhile
            raise NotConnectedError(f"the {name} connection was removed", platform=name)
        _store_tokens(s, settings, row, tokens)
    return tokens.access_token
