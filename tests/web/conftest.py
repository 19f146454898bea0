"""Fixtures of the dashboard tests: the app on the test's database, signed-in clients."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from ugen import service
from ugen.core.config import Settings
from ugen.store.api_keys import create_account
from ugen.web import create_site

_names = itertools.count()


@dataclass(frozen=True)
class Account:
    account_id: str
    api_key: str


@dataclass
class Browser:
    """A TestClient signed in as one account (its own cookies)."""

    client: TestClient
    account: Account
    csrf: str


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """Settings that accept loopback webhook URLs (no DNS in tests)."""
    return settings.model_copy(update={"allow_private_urls": True})


@pytest.fixture
def make_account(settings: Settings) -> Callable[..., Account]:
    def make(credits: int = 1000) -> Account:
        return Account(*create_account(settings, f"shop-{next(_names)}", credits))

    return make


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1)


@pytest.fixture
def browser(app_settings: Settings, make_account: Callable[..., Account]
            ) -> Iterator[Callable[..., Browser]]:
    """Make clients signed in (by a one-time link) as new accounts."""
    app = create_site(app_settings)
    clients: list[TestClient] = []

    def make(account: Account | None = None, credits: int = 1000) -> Browser:
        acct = account or make_account(credits)
        client = TestClient(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        token = service.create_login_link(app_settings, acct.account_id)
        r = client.get(f"/login/link?token={token}", follow_redirects=False)
        assert r.status_code == 303, r.text
        return Browser(client, acct, csrf_of(client.get("/").text))

    yield make
    for client in clients:
        client.__exit__(None, None, None)
