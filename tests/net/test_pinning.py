"""Pinning a checked URL to its address: the target, the Host header, the TLS server name."""

from __future__ import annotations

import ipaddress

import pytest

from ugen.net import pin
from ugen.net.addresses import IPAddress, Resolver, check_url


def _resolving_to(address: str) -> Resolver:
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(address)]

    return resolver


@pytest.mark.parametrize(("url", "address", "target", "host", "sni"), [
    ("https://hooks.example.com/u?a=1", "93.184.216.34",
     "https://93.184.216.34:443/u?a=1", "hooks.example.com", "hooks.example.com"),
    ("http://hooks.example.com:8080", "93.184.216.34",
     "http://93.184.216.34:8080/", "hooks.example.com:8080", None),
    ("https://bücher.example/x", "2606:4700::1",
     "https://[2606:4700::1]:443/x", "xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("https://[2606:4700::2]:8443/x", "2606:4700::2",
     "https://[2606:4700::2]:8443/x", "[2606:4700::2]:8443", "2606:4700::2"),
])
def test_pin(url: str, address: str, target: str, host: str, sni: str | None) -> None:
    pinned = pin(check_url(url, resolver=_resolving_to(address)))
    assert pinned.url == target and pinned.host == host
    assert pinned.extensions == ({"sni_hostname": sni} if sni else {})
