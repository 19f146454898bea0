"""``/tenants/me/webhook``: set, read, clear; the secret is never returned; unsafe URLs 422."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen.api.main import create_app
from ugen.core.config import Settings

URL = "/api/v1/tenants/me/webhook"


def _resolve_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_put_get_delete_never_returns_secret(client: TestClient, account: tuple[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _, key = account
    _resolve_to(monkeypatch, "93.184.216.34")
    h = headers(key)
    assert client.get(URL, headers=h).json() == {"webhook_configured": False,
                                                  "webhook_url": None}
    r = client.put(URL, headers=h, json={"webhook_url": "https://hooks.example.com/a",
                                         "webhook_secret": "s3cr3t-value"})
    assert r.status_code == 200, r.text
    assert r.json() == {"webhook_configured": True, "webhook_url": "https://hooks.example.com/a"}
    assert "s3cr3t-value" not in r.text
    got = client.get(URL, headers=h)
    assert got.json() == {"webhook_configured": True, "webhook_url": "https://hooks.example.com/a"}
    assert "s3cr3t-value" not in got.text
    # POST is the guide's spelling of PUT; it replaces the config.
    r = client.post(URL, headers=h, json={"webhook_url": "https://hooks.example.com/b"})
    assert r.status_code == 200 and r.json()["webhook_url"] == "https://hooks.example.com/b"
    assert client.delete(URL, headers=h).status_code == 204
    assert client.get(URL, headers=h).json() == {"webhook_configured": False,
                                                  "webhook_url": None}


def test_needs_a_key(client: TestClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"webhook_url": "https://x.example"}).status_code == 401


def test_accounts_do_not_see_each_other(client: TestClient, make_account: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve_to(monkeypatch, "93.184.216.34")
    _, k1 = make_account()
    _, k2 = make_account()
    client.put(URL, headers=headers(k1), json={"webhook_url": "https://hooks.example.com/1"})
    assert client.get(URL, headers=headers(k2)).json()["webhook_configured"] is False


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "https://10.0.0.1/hook",
                                 "https://169.254.169.254/latest/meta-data",
                                 "https://[::1]/hook", "http://hooks.example.com/hook",
                                 "ftp://hooks.example.com/", "not a url"])
def test_unsafe_urls_are_422(client: TestClient, account: tuple[str, str], url: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve_to(monkeypatch, "93.184.216.34")
    r = client.put(URL, headers=headers(account[1]), json={"webhook_url": url})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "webhook_url"]
    assert client.get(URL, headers=headers(account[1])).json()["webhook_configured"] is False


def test_host_resolving_to_private_address_is_422(client: TestClient,
                                                  account: tuple[str, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve_to(monkeypatch, "10.1.2.3")
    r = client.put(URL, headers=headers(account[1]),
                   json={"webhook_url": "https://internal.example.com/hook"})
    assert r.status_code == 422
    assert "webhook_url" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "https://10.0.0.1/hook",
                                 "https://169.254.169.254/latest/meta-data"])
def test_allow_private_urls_accepts_them(settings: Settings, account: tuple[str, str],
                                         url: str) -> None:
    dev = settings.model_copy(update={"allow_private_urls": True})
    with TestClient(create_app(dev)) as c:
        r = c.put(URL, headers=headers(account[1]), json={"webhook_url": url})
        assert r.status_code == 200, r.text
        assert c.get(URL, headers=headers(account[1])).json()["webhook_url"] == url


def test_env_variable_sets_allow_private_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_ALLOW_PRIVATE_URLS", "1")
    assert Settings().allow_private_urls is True
    monkeypatch.delenv("UGEN_ALLOW_PRIVATE_URLS")
    assert Settings().allow_private_urls is False
