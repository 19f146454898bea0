"""Who is signed in, and proof that a form was sent by the dashboard's own page.

The session cookie holds a random token (the database keeps its hash); it is ``HttpOnly``,
``SameSite=Lax`` and ``Secure`` when the dashboard is reached over https. Every
state-changing request carries the session's CSRF token, in the form's ``csrf_token`` field
or the ``X-CSRF-Token`` header, and a cross-site ``Origin`` is refused. The sign-in form,
sent before there is a session, carries a token that must equal its own cookie
(double submit), so no other site can sign a browser into another account.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Header, Request, Response
from starlette.exceptions import HTTPException

from ugen import service
from ugen.core.config import Settings
from ugen.store.web_sessions import NewSession, SessionRecord

SESSION_COOKIE = "ugen_session"
LOGIN_CSRF_COOKIE = "ugen_login_csrf"


class SignInRequiredError(Exception):
    """The request has no live session: pages redirect to ``/login``, streams answer 401."""


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, new: NewSession,
                       max_age_s: int) -> None:
    response.set_cookie(SESSION_COOKIE, new.token, max_age=max_age_s, path="/",
                        httponly=True, samesite="lax", secure=is_https(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=is_https(request))


def current_session(request: Request, settings: SettingsDep) -> SessionRecord:
    """The request's live session.

    Raises:
        SignInRequiredError: no cookie, or its session ended.
    """
    token = request.cookies.get(SESSION_COOKIE, "")
    record = service.web_session(settings, token) if token else None
    if record is None:
        raise SignInRequiredError
    return record


SessionDep = Annotated[SessionRecord, Depends(current_session)]


def optional_session(request: Request, settings: SettingsDep) -> SessionRecord | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    return service.web_session(settings, token) if token else None


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")


def tokens_match(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def checked_session(
    request: Request, session: SessionDep,
    csrf_token: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> SessionRecord:
    """The live session of a state-changing request whose CSRF token is the session's.

    Raises:
        HTTPException: 403 for a missing or wrong token, or a cross-site origin.
    """
    given = csrf_token if csrf_token is not None else x_csrf_token
    if not same_origin(request) or not tokens_match(session.csrf_token, given):
        raise HTTPException(403, "This form has expired or did not come from this page. "
                                 "Reload the page and try again.")
    return session


CheckedSessionDep = Annotated[SessionRecord, Depends(checked_session)]


def script_session(request: Request, session: SessionDep,
                   x_csrf_token: Annotated[str | None, Header()] = None) -> SessionRecord:
    """:func:`checked_session` for the page scripts' requests, whose body is not a form
    (the token comes in the ``X-CSRF-Token`` header)."""
    if not same_origin(request) or not tokens_match(session.csrf_token, x_csrf_token):
        raise HTTPException(403, "This page has expired. Reload it and try again.")
    return session


ScriptSessionDep = Annotated[SessionRecord, Depends(script_session)]


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login",
                        httponly=True, samesite="strict", secure=is_https(request))


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None
