"""The webhook URL rules, without the API."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url


@pytest.mark.parametrize("url", ["https://[::ffff:127.0.0.1]/", "https://0.0.0.0/",
                                 "https://192.168.1.5/", "https://user:pw@93.184.216.34/",
                                 "https://[fe80::1]/", "https://224.0.0.1/"])
def test_refused(url: str) -> None:
    with pytest.raises(UnsafeWebhookUrlError):
        check_webhook_url(url, allow_private=False)


def test_public_ip_accepted() -> None:
    check_webhook_url("https://93.184.216.34/hook", allow_private=False)


def test_unresolvable_host_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("no such host")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(UnsafeWebhookUrlError, match="does not resolve"):
        check_webhook_url("https://nowhere.invalid/", allow_private=False)


def test_any_private_address_of_a_host_refuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def two(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", two)
    with pytest.raises(UnsafeWebhookUrlError, match="non-public"):
        check_webhook_url("https://mixed.example.com/", allow_private=False)


def test_allow_private_still_needs_http_scheme() -> None:
    check_webhook_url("http://localhost:8080/hook", allow_private=True)
    with pytest.raises(UnsafeWebhookUrlError):
        check_webhook_url("file:///etc/passwd", allow_private=True)
