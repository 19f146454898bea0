"""``/login``: sign in with a one-time link or an API key; ``/logout`` ends the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from ugen import service
from ugen.api.auth_limits import FailedAuthLimiter
from ugen.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CheckedSessionDep,
    SettingsDep,
    clear_session_cookie,
    client_address,
    new_login_csrf,
    optional_session,
    same_origin,
    set_login_csrf_cookie,
    set_session_cookie,
    tokens_match,
)
from ugen.web.templating import templates_of

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A path of this site to go to after signing in (anything else: the jobs page)."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def _login_page(request: Request, *, next_path: str, status_code: int = 200,
                key_error: str | None = None, link_error: str | None = None) -> Response:
    token = new_login_csrf()
    response = templates_of(request).page(
        request, "login.html", status_code=status_code, login_csrf=token,
        next_path=next_path, key_error=key_error, link_error=link_error)
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login")
def login_page(request: Request, settings: SettingsDep,
               next: Annotated[str | None, Query()] = None) -> Response:
    """The sign-in page (a signed-in user goes straight on)."""
    if optional_session(request, settings) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
def login_with_key(request: Request, settings: SettingsDep,
                   api_key: Annotated[str, Form(max_length=300)] = "",
                   csrf_token: Annotated[str, Form(max_length=100)] = "",
                   next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Sign in with an API key."""
    if not same_origin(request) or not tokens_match(
            request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        raise HTTPException(403, "This sign-in form has expired. Reload the page and try "
                                 "again.")
    limiter: FailedAuthLimiter = request.app.state.auth_limiter
    client = client_address(request)
    try:
        limiter.check(client)
    except HTTPException:
        return _login_page(request, next_path=safe_next(next), status_code=429,
                           key_error="Too many failed attempts from this address. Wait a "
                                     "minute and try again.")
    key = api_key.strip()
    if not key:
        return _login_page(request, next_path=safe_next(next), status_code=400,
                           key_error="Enter an API key (it starts with ugen_sk_).")
    new = service.sign_in_with_key(settings, key,
                                   user_agent=request.headers.get("user-agent", ""))
    if new is None:
        limiter.record_failure(client)
        return _login_page(request, next_path=safe_next(next), status_code=401,
                           key_error="This key is unknown, revoked or expired.")
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, new, settings.web_session_ttl_s)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/login/link")
def login_with_link(request: Request, settings: SettingsDep,
                    token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Sign in with a one-time link (from ``ugen serve`` or ``ugen admin login-link``)."""
    new = (service.sign_in_with_link(settings, token,
                                     user_agent=request.headers.get("user-agent", ""))
           if token else None)
    if new is None:
        return _login_page(request, next_path="/", status_code=400,
                           link_error="This sign-in link was already used or has expired. "
                                      "Make a new one with: ugen admin login-link ACCOUNT")
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, new, settings.web_session_ttl_s)
    return response


@router.post("/logout")
def logout(request: Request, settings: SettingsDep, session: CheckedSessionDep) -> Response:
    """Sign out: the session ends on the server, and its cookie is removed."""
    service.sign_out(settings, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response
