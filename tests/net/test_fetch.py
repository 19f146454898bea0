"""The safe fetch against a loopback server: pinning, redirects re-checked, limits, sniffing."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import pytest

from tests.api.conftest import png_bytes
from tests.utils.image_server import ImageServer, serve_images
from ugen.net.addresses import IPAddress, check_url
from ugen.net.fetch import FetchError, FetchLimits, fetch_image, pinned_request, sniff_image

LIMITS = FetchLimits(max_bytes=100_000, timeout_s=5.0, max_redirects=3)


def loopback_only(addr: IPAddress) -> bool:
    return addr.is_loopback


@pytest.fixture(scope="module")
def server() -> Iterator[ImageServer]:
    with serve_images(png_bytes()) as s:
        yield s


def test_fetch_image_returns_bytes_and_format(server: ImageServer) -> None:
    got = fetch_image(server.url("/image"), limits=LIMITS, allow=loopback_only)
    assert got.data == server.png and got.format == "PNG"


def test_fetch_image_connects_to_checked_address_only(server: ImageServer) -> None:
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[IPAddress]:
        # A rebinding name: checked as loopback, later "resolving" elsewhere.
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1" if len(calls) == 1 else "10.9.9.9")]

    server.hosts.clear()
    url = f"http://rebind.test:{server.port}/image"
    got = fetch_image(url, limits=LIMITS, allow=loopback_only, resolver=rebinding)
    assert got.data == server.png
    assert calls == ["rebind.test"]
    assert server.hosts == [f"rebind.test:{server.port}"]


def test_fetch_image_redirect_to_private_refused(server: ImageServer) -> None:
    for target in ("http://10.0.0.1/a.png", "http://169.254.169.254/latest/meta-data",
                   "http://[::ffff:192.168.0.1]/"):
        with pytest.raises(FetchError) as info:
            fetch_image(server.url(f"/redirect?to={target}"), limits=LIMITS,
                        allow=loopback_only)
        assert info.value.reason == "private_address" and info.value.url == target


def test_fetch_image_redirect_followed_and_rechecked(server: ImageServer) -> None:
    got = fetch_image(server.url("/redirect?to=/image"), limits=LIMITS, allow=loopback_only)
    assert got.data == server.png and got.url == server.url("/image")
    with pytest.raises(FetchError) as info:
        fetch_image(server.url("/redirect?to=file:///etc/passwd"), limits=LIMITS,
                    allow=loopback_only)
    assert info.value.reason == "unsafe_url"


def test_fetch_image_too_many_redirects(server: ImageServer) -> None:
    with pytest.raises(FetchError) as info:
        fetch_image(server.url("/loop"), limits=LIMITS, allow=loopback_only)
    assert info.value.reason == "too_many_redirects"


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
def test_fetch_image_oversize_aborted(server: ImageServer, path: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch_image(server.url(path), limits=LIMITS, allow=loopback_only)
    assert info.value.reason == "too_large"


@pytest.mark.parametrize(("path", "reason"), [("/text", "not_an_image"),
                                              ("/status/404", "http_status"),
                                              ("/status/500", "http_status")])
def test_fetch_image_refuses_bad_answers(server: ImageServer, path: str, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch_image(server.url(path), limits=LIMITS, allow=loopback_only)
    assert info.value.reason == reason


def test_fetch_image_refused_by_default_rule(server: ImageServer) -> None:
    with pytest.raises(FetchError) as info:
        fetch_image(server.url("/image"), limits=LIMITS)
    assert info.value.reason == "private_address"


def test_pinned_request_keeps_host_and_sni() -> None:
    def public(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("2606:4700::1")]

    checked = check_url("https://cdn.example.com:8443/p/a.png?v=1", resolver=public)
    target, headers, extensions = pinned_request(checked)
    assert target == "https://[2606:4700::1]:8443/p/a.png?v=1"
    assert headers["Host"] == "cdn.example.com:8443"
    assert extensions == {"sni_hostname": "cdn.example.com"}


@pytest.mark.parametrize(("head", "fmt"), [
    (b"\xff\xd8\xff\xe0\0\x10JFIF\0\1", "JPEG"), (b"\x89PNG\r\n\x1a\n\0\0\0\r", "PNG"),
    (b"GIF89a\1\0\1\0\0\0", "GIF"), (b"RIFF\0\0\0\0WEBP", "WEBP"),
    (b"<svg xmlns=", None), (b"%PDF-1.7\n\n\n\n", None), (b"RIFF\0\0\0\0WAVE", None),
])
def test_sniff_image(head: bytes, fmt: str | None) -> None:
    assert sniff_image(head) == fmt


def test_fetch_image_total_deadline(server: ImageServer) -> None:
    limits = FetchLimits(max_bytes=100_000, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch_image(server.url("/slow"), limits=limits, allow=loopback_only)
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 2.0
