"""Typed dependencies of the route handlers: the settings and the authenticated account."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ugen.api.errors import ApiError
from ugen.core.config import Settings
from ugen.store.api_keys import authenticate

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key `ugen_sk_...`.")
bearer_scheme = HTTPBearer(auto_error=False,
                           description="`Authorization: Bearer ugen_sk_...` (same key).")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_account(
    settings: SettingsDep,
    api_key: Annotated[str | None, Security(api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> str:
    """The id of the account whose key signed the request (``Bearer`` wins over the header)."""
    raw = bearer.credentials if bearer is not None else api_key
    if not raw:
        raise ApiError(401, "UNAUTHORIZED",
                       "missing API key: send X-API-Key or Authorization: Bearer",
                       headers={"WWW-Authenticate": "Bearer"})
    account_id = authenticate(settings, raw)
    if account_id is None:
        raise ApiError(401, "UNAUTHORIZED", "invalid, revoked or expired API key",
                       headers={"WWW-Authenticate": "Bearer"})
    return account_id


AccountDep = Annotated[str, Depends(get_account)]
