"""Fetch a user-given http(s) URL without letting it reach the service's own network (SSRF).

Every hop is checked with :func:`ugen.net.addresses.check_url` and the connection is made to
the very address that was checked (:func:`ugen.net.pinning.pin`: the URL's host is replaced by
the IP; ``Host`` and the TLS server name stay the original host), so DNS rebinding cannot swap
the address between check and connect. Redirects are followed by hand, each one checked
again, up to a limit. The body is streamed and abandoned past a byte limit or a total
deadline; its first bytes must be an accepted image format.

Errors::

    FetchError    reason: unsafe_url, unresolvable, private_address, too_many_redirects,
                  http_status, too_large, timeout, connection, not_an_image
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin

import httpx

from ugen.net.addresses import (
    AddressRule,
    CheckedUrl,
    Resolver,
    UnsafeUrlError,
    check_url,
    is_public_address,
    resolve,
)
from ugen.net.pinning import pin

FetchReason = Literal["unsafe_url", "unresolvable", "private_address", "too_many_redirects",
                      "http_status", "too_large", "timeout", "connection", "not_an_image"]
USER_AGENT = "U-Gen-ImageFetch/1"
_SNIFF_BYTES = 12


class FetchError(Exception):
    """A URL could not be fetched safely; ``reason`` is a stable code, ``url`` the hop."""

    def __init__(self, message: str, *, reason: FetchReason, url: str) -> None:
        super().__init__(message)
        self.reason: FetchReason = reason
        self.url = url


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str
    """The final URL, after redirects."""
    format: str
    """``JPEG``, ``PNG``, ``WEBP`` or ``GIF``, from the content's first bytes."""


def sniff_image(head: bytes) -> str | None:
    """The image format announced by a file's first bytes, or None if not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def pinned_request(checked: CheckedUrl) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to the checked address, the headers and the extensions of one hop's GET."""
    target = pin(checked)
    headers = {"Host": target.host, "User-Agent": USER_AGENT, "Accept": "image/*"}
    return target.url, headers, target.extensions


def _read_capped(response: httpx.Response, limits: FetchLimits, deadline: float,
                 url: str) -> tuple[bytes, str]:
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchError(f"is {declared} bytes; the limit is {limits.max_bytes}",
                         reason="too_large", url=url)
    parts: list[bytes] = []
    size, fmt = 0, None
    for chunk in response.iter_bytes():
        parts.append(chunk)
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchError(f"is larger than the limit of {limits.max_bytes} bytes",
                             reason="too_large", url=url)
        if time.monotonic() > deadline:
            raise FetchError(f"took longer than {limits.timeout_s:g} s", reason="timeout",
                             url=url)
        if fmt is None and size >= _SNIFF_BYTES:
            fmt = _sniff_or_raise(b"".join(parts), url)
    data = b"".join(parts)
    return data, fmt or _sniff_or_raise(data, url)


def _sniff_or_raise(head: bytes, url: str) -> str:
    fmt = sniff_image(head[:_SNIFF_BYTES])
    if fmt is None:
        raise FetchError("is not a JPEG, PNG, WebP or GIF image", reason="not_an_image",
                         url=url)
    return fmt


def fetch_image(url: str, *, limits: FetchLimits, allow: AddressRule = is_public_address,
                resolver: Resolver = resolve,
                transport: httpx.BaseTransport | None = None) -> Fetched:
    """GET an image from ``url`` under the address rule ``allow`` and the limits.

    Raises:
        FetchError: with the reason (see the module docstring).
    """
    deadline = time.monotonic() + limits.timeout_s
    with httpx.Client(trust_env=False, follow_redirects=False, transport=transport) as client:
        for _hop in range(limits.max_redirects + 1):
            try:
                checked = check_url(url, allow=allow, resolver=resolver)
            except UnsafeUrlError as err:
                raise FetchError(str(err), reason=err.reason, url=url) from err
            target, headers, extensions = pinned_request(checked)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"took longer than {limits.timeout_s:g} s", reason="timeout",
                                 url=url)
            try:
                with client.stream("GET", target, headers=headers, extensions=extensions,
                                   timeout=httpx.Timeout(remaining)) as response:
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"answered HTTP {response.status_code}",
                                         reason="http_status", url=url)
                    data, fmt = _read_capped(response, limits, deadline, url)
                    return Fetched(data=data, url=url, format=fmt)
            except httpx.TimeoutException as err:
                raise FetchError(f"took longer than {limits.timeout_s:g} s", reason="timeout",
                                 url=url) from err
            except httpx.HTTPError as err:
                raise FetchError(f"could not be fetched ({type(err).__name__})",
                                 reason="connection", url=url) from err
    raise FetchError(f"redirected more than {limits.max_redirects} times",
                     reason="too_many_redirects", url=url)
