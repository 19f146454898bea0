"""The address rules: which addresses and URLs the service may connect to for a user."""

from __future__ import annotations

import ipaddress

import pytest

from ugen.net.addresses import UnsafeUrlError, check_url, is_public_address, split_url

REFUSED = [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1",
    "172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1",
    "100.127.255.254", "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "::127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "64:ff9b:1::1", "100::1",
    "2001:db8::1", "2001::1", "2002:7f00:1::1", "fc00::1", "fd00:ec2::254", "fe80::1",
    "fec0::1", "ff02::1", "ff0e::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1",
          "172.32.0.1", "2606:4700:4700::1111", "2a00:1450:4001:81b::200e",
          "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", REFUSED)
def test_is_public_address_refuses_internal(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_is_public_address_accepts_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_is_public_address_refuses_scoped_link_local() -> None:
    assert not is_public_address(ipaddress.ip_address("fe80::1%eth0"))


@pytest.mark.parametrize("url", [
    "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://017700000001/",
    "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[::1]:8080/x", "http://localhost/",
    "http://0/", "http://169.254.169.254/latest/meta-data", "http://[fd00:ec2::254]/",
    "https://10.1.2.3/a.png", "http://[::ffff:7f00:1]/",
])
def test_check_url_refuses_internal_forms(url: str) -> None:
    with pytest.raises(UnsafeUrlError) as info:
        check_url(url)
    assert info.value.reason == "private_address"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.com/a.png", "gopher://example.com/", "//example.com/",
    "example.com/a.png", "http://user:pw@example.com/", "http://user@example.com/",
    "http://example.com:99999/", "http:///a.png", "javascript:alert(1)",
])
def test_split_url_refuses_bad_urls(url: str) -> None:
    with pytest.raises(UnsafeUrlError) as info:
        split_url(url)
    assert info.value.reason == "unsafe_url"


def test_check_url_refuses_host_with_any_private_address() -> None:
    def mixed(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.5")]

    with pytest.raises(UnsafeUrlError, match="non-public address"):
        check_url("https://cdn.example.com/a.png", resolver=mixed)


def test_check_url_pins_first_checked_address() -> None:
    def public(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        assert (host, port) == ("cdn.example.com", 8443)
        return [ipaddress.ip_address("93.184.216.34")]

    checked = check_url("https://cdn.example.com:8443/a.png", resolver=public)
    assert str(checked.address) == "93.184.216.34" and checked.port == 8443


def test_check_url_unresolvable_host() -> None:
    with pytest.raises(UnsafeUrlError) as info:
        check_url("http://no-such-host.invalid/a.png")
    assert info.value.reason == "unresolvable"


@pytest.mark.parametrize("url", ["http://exa\x00mple.com/", "https://example.com/a b",
                                 "https://example.com/\r\nX-Injected: 1", "https://ex\tample.com",
                                 " https://example.com/", "https://example.com/\x85"])
def test_split_url_refuses_spaces_and_control_characters(url: str) -> None:
    with pytest.raises(UnsafeUrlError) as info:
        split_url(url)
    assert info.value.reason == "unsafe_url"
