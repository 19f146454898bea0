"""Signing in to the dashboard: one-time links, API keys, sessions and CSRF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.web.conftest import Account, Browser, csrf_of
from ugen import service
from ugen.core.config import Settings
from ugen.store.api_keys import AccountNotFoundError, revoke_api_key
from ugen.store.db import session_scope
from ugen.store.key_listing import list_api_keys
from ugen.store.models import utcnow
from ugen.store.web_sessions import LoginLink, WebSession
from ugen.web import create_site
from ugen.web.auth import SESSION_COOKIE


@pytest.fixture
def client(app_settings: Settings) -> TestClient:
    with TestClient(create_site(app_settings)) as c:
        yield c


def _login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return token


def test_pages_without_session_redirect_to_login(client: TestClient) -> None:
    for path in ("/", "/new", "/jobs/x", "/credits", "/settings", "/models"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=")
    r = client.get("/jobs/x/events", headers={"Accept": "text/event-stream"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"


def test_sign_in_link_opens_one_session_once(app_settings: Settings, client: TestClient,
                                             make_account: Callable[..., Account]) -> None:
    acct = make_account()
    token = service.create_login_link(app_settings, acct.account_id)
    r = client.get(f"/login/link?token={token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/", follow_redirects=False).status_code == 200

    other = TestClient(client.app)
    again = other.get(f"/login/link?token={token}", follow_redirects=False)
    assert again.status_code == 400 and "already used or has expired" in again.text
    assert SESSION_COOKIE not in again.headers.get("set-cookie", "")
    with session_scope(app_settings) as s:
        rows = s.query(WebSession).filter_by(account_id=acct.account_id).all()
    assert [(row.via, row.api_key_id) for row in rows] == [("link", None)]


def test_sign_in_link_expires(app_settings: Settings, client: TestClient,
                              make_account: Callable[..., Account]) -> None:
    acct = make_account()
    token = service.create_login_link(app_settings, acct.account_id)
    with session_scope(app_settings) as s:
        s.execute(update(LoginLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = client.get(f"/login/link?token={token}", follow_redirects=False)
    assert r.status_code == 400
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_or_missing_link_token_is_refused(client: TestClient) -> None:
    assert client.get("/login/link?token=nope", follow_redirects=False).status_code == 400
    assert client.get("/login/link", follow_redirects=False).status_code == 400


def test_login_link_for_unknown_account_is_refused(app_settings: Settings) -> None:
    with pytest.raises(AccountNotFoundError):
        service.create_login_link(app_settings, "acct_nobody")


def test_secure_cookie_under_https(app_settings: Settings,
                                   make_account: Callable[..., Account]) -> None:
    acct = make_account()
    token = service.create_login_link(app_settings, acct.account_id)
    with TestClient(create_site(app_settings), base_url="https://testserver") as c:
        r = c.get(f"/login/link?token={token}", follow_redirects=False)
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]


def test_sign_in_with_api_key(client: TestClient, make_account: Callable[..., Account]) -> None:
    acct = make_account()
    csrf = _login_form(client)
    r = client.post("/login", data={"api_key": acct.api_key, "csrf_token": csrf,
                                    "next": "/credits"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/credits"
    assert client.get("/credits").status_code == 200


@pytest.mark.parametrize("key", ["", "ugen_sk_wrong", "not a key"])
def test_sign_in_with_bad_key_shows_error_beside_field(client: TestClient, key: str) -> None:
    csrf = _login_form(client)
    r = client.post("/login", data={"api_key": key, "csrf_token": csrf})
    assert r.status_code in (400, 401)
    assert 'id="err-api_key"' in r.text and 'aria-invalid="true"' in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_its_own_csrf_cookie(client: TestClient,
                                                make_account: Callable[..., Account]) -> None:
    acct = make_account()
    _login_form(client)
    r = client.post("/login", data={"api_key": acct.api_key, "csrf_token": "forged"})
    assert r.status_code == 403
    fresh = TestClient(client.app)  # no cookie at all: a form posted from another site
    r = fresh.post("/login", data={"api_key": acct.api_key, "csrf_token": "x"})
    assert r.status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_next_never_leaves_the_site(client: TestClient, make_account: Callable[..., Account],
                                    target: str) -> None:
    acct = make_account()
    csrf = _login_form(client)
    r = client.post("/login", data={"api_key": acct.api_key, "csrf_token": csrf,
                                    "next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_revoking_the_key_ends_its_sessions(app_settings: Settings, client: TestClient,
                                            make_account: Callable[..., Account]) -> None:
    acct = make_account()
    csrf = _login_form(client)
    client.post("/login", data={"api_key": acct.api_key, "csrf_token": csrf})
    assert client.get("/", follow_redirects=False).status_code == 200
    revoke_api_key(app_settings, list_api_keys(app_settings, acct.account_id)[0].key_id)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_on_the_server(browser: Callable[..., Browser]) -> None:
    b = browser()
    stolen = b.client.cookies.get(SESSION_COOKIE)
    r = b.client.post("/logout", data={"csrf_token": b.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert b.client.get("/", follow_redirects=False).status_code == 303
    replay = TestClient(b.client.app, cookies={SESSION_COOKIE: stolen})
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_sessions_expire(app_settings: Settings, browser: Callable[..., Browser]) -> None:
    b = browser()
    with session_scope(app_settings) as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert b.client.get("/", follow_redirects=False).status_code == 303


def test_state_changing_forms_need_the_csrf_token(browser: Callable[..., Browser]) -> None:
    b = browser()
    assert b.client.post("/logout", follow_redirects=False).status_code == 403
    assert b.client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    r = b.client.post("/settings/keys", data={"name": "x", "csrf_token": b.csrf},
                      headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert b.client.post("/settings/keys", data={"name": "x"}).status_code == 403
    assert len(b.client.get("/settings").text.split("Revoke key")) == 2  # still one key
    assert b.client.get("/", follow_redirects=False).status_code == 200


def test_revoke_another_browser_session(app_settings: Settings,
                                        browser: Callable[..., Browser]) -> None:
    first = browser()
    second = browser(first.account)
    sessions = service.web_sessions_of(app_settings, first.account.account_id)
    assert len(sessions) == 2
    mine = service.web_session(app_settings, first.client.cookies[SESSION_COOKIE])
    assert mine is not None
    other = next(s for s in sessions if s.id != mine.id)
    r = first.client.post(f"/settings/sessions/{other.id}/revoke",
                          data={"csrf_token": first.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert second.client.get("/", follow_redirects=False).status_code == 303
    assert first.client.get("/", follow_redirects=False).status_code == 200
    assert csrf_of(first.client.get("/").text) == first.csrf
