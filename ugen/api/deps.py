"""Typed dependencies of the route handlers: the settings and the authenticated account.

Every failed key check counts against the client's address (:mod:`ugen.api.auth_limits`);
an address that failed too often is refused (429) before its key is looked at.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ugen.api.auth_limits import FailedAuthLimiter
from ugen.api.errors import ApiError
from ugen.core.config import Settings
from ugen.store.api_keys import authenticate

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key `ugen_sk_...`.")
bearer_scheme = HTTPBearer(auto_error=False,
                           description="`Authorization: Bearer ugen_sk_...` (same key).")


async def get_settings(request: Request) -> Settings:
    # Async: no I/O, so it needs no trip through the thread pool that sync dependencies take.
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def key_of(api_key: str | None, bearer: str | None) -> str:
    """The API key a request carries (``Bearer`` wins over the header), not yet checked."""
    raw = bearer if bearer is not None else api_key
    if not raw:
        raise ApiError(401, "UNAUTHORIZED",
                       "missing API key: send X-API-Key or Authorization: Bearer",
                       headers={"WWW-Authenticate": "Bearer"})
    return raw


async def get_api_key(
    api_key: Annotated[str | None, Security(api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> str:
    """The API key the request carries (``Bearer`` wins over the header), not yet checked."""
    return key_of(api_key, bearer.credentials if bearer is not None else None)


ApiKeyDep = Annotated[str, Depends(get_api_key)]


def invalid_key() -> ApiError:
    return ApiError(401, "UNAUTHORIZED", "invalid, revoked or expired API key",
                    headers={"WWW-Authenticate": "Bearer"})


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def account_for_key(settings: Settings, raw: str, *, limiter: FailedAuthLimiter | None = None,
                    client: str | None = None) -> str:
    """The id of the account whose key this is.

    Raises:
        ApiError: 429 when ``client`` failed too many key checks lately; 401 for an unknown,
            revoked or expired key (counted against ``client``).
    """
    if limiter is not None:
        limiter.check(client)
    account_id = authenticate(settings, raw)
    if account_id is None:
        if limiter is not None:
            limiter.record_failure(client)
        raise invalid_key()
    return account_id


def get_account(request: Request, settings: SettingsDep, raw: ApiKeyDep) -> str:
    """The id of the account whose key signed the request."""
    limiter: FailedAuthLimiter | None = getattr(request.app.state, "auth_limiter", None)
    return account_for_key(settings, raw, limiter=limiter, client=client_address(request))


AccountDep = Annotated[str, Depends(get_account)]

MAX_PAGE = 1_000_000
"""The last ``page`` a list accepts: the row offset must fit the database's integers."""
PageQ = Annotated[int, Query(ge=1, le=MAX_PAGE)]
