"""``/social``: connect, list and disconnect social accounts (OAuth authorization code).

``connect`` needs the API key; the ``callback`` is where the platform sends the user's
browser back, so it carries no key: the single-use ``state`` names the account.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic
from ugen.api.social_schemas import (
    ConnectionPublic,
    ConnectionsPublic,
    ConnectStartPublic,
    DisconnectPublic,
    Platform,
)
from ugen.api.strict_json import StrictJsonRoute
from ugen.service import social
from ugen.social.connections import started_on_dashboard
from ugen.social.errors import NotConnectedError, SocialError

_REASON = re.compile(r"[^A-Za-z0-9_.]")

router = APIRouter(prefix="/social", tags=["social"], route_class=StrictJsonRoute,
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})


@router.get("")
def list_connections(settings: SettingsDep, account: AccountDep) -> ConnectionsPublic:
    """The account's connected social accounts (never their tokens)."""
    return ConnectionsPublic(items=[ConnectionPublic.of(c)
                                    for c in social.connections_of(settings, account)])


@router.get("/{platform}/connect", response_model=None)
def connect(settings: SettingsDep, account: AccountDep, platform: Platform,
            redirect: bool = False) -> ConnectStartPublic | RedirectResponse:
    """Start connecting a platform: its consent URL (``redirect=true``: a 303 to it)."""
    start = social.connect_platform(settings, account, platform)
    if redirect:
        return RedirectResponse(start.authorization_url, status_code=303)
    return ConnectStartPublic.of(start)


@router.get("/{platform}/callback", response_model=None,
            responses={200: {"model": ConnectionPublic}, 400: {"model": ErrorPublic}})
def callback(settings: SettingsDep, platform: Platform,
             state: Annotated[str, Query(min_length=1, max_length=200)],
             code: Annotated[str | None, Query(max_length=2000)] = None,
             error: Annotated[str | None, Query(max_length=200)] = None,
             ) -> ConnectionPublic | RedirectResponse:
    """Where the platform sends the user back: exchanges the code, stores the connection
    (an attempt begun on the dashboard is sent back to its Connections page, 303)."""
    if not started_on_dashboard(state):
        return ConnectionPublic.of(social.complete_connection(settings, platform, state=state,
                                                              code=code, error=error))
    try:
        social.complete_connection(settings, platform, state=state, code=code, error=error)
    except SocialError as err:
        reason = _REASON.sub("_", err.reason or err.code)[:60]
        return RedirectResponse(f"/connections?failed={platform}&reason={reason}",
                                status_code=303)
    return RedirectResponse(f"/connections?connected={platform}", status_code=303)


@router.delete("/{platform}")
def disconnect(settings: SettingsDep, account: AccountDep,
               platform: Platform) -> DisconnectPublic:
    """Revoke the grant at the platform (where it can) and forget the connection."""
    try:
        revoked = social.disconnect_platform(settings, account, platform)
    except NotConnectedError as err:
        raise ApiError(404, "NOT_CONNECTED", str(err)) from err
    return DisconnectPublic(platform=platform, deleted=True, revoked_at_platform=revoked)
