"""Which webhook URLs are acceptable: https, to a public address (after DNS resolution).

``UGEN_ALLOW_PRIVATE_URLS=1`` (local development and tests only) accepts ``http://`` and
loopback, private, link-local and metadata addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeWebhookUrlError(ValueError):
    """The URL is malformed, not https, or reaches a non-public address."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise UnsafeWebhookUrlError(f"the host {host!r} does not resolve") from err
    found = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        found.append(addr)
    if not found:
        raise UnsafeWebhookUrlError(f"the host {host!r} does not resolve")
    return found


def _public(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeWebhookUrlError unless ``url`` may receive webhooks."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UnsafeWebhookUrlError(f"not a valid URL: {err}") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeWebhookUrlError("must be an absolute http(s) URL")
    if parts.username or parts.password:
        raise UnsafeWebhookUrlError("must not carry credentials")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeWebhookUrlError("must use https")
    host = parts.hostname
    for addr in _addresses(host, port or 443):
        if not _public(addr):
            raise UnsafeWebhookUrlError(
                f"the host {host!r} resolves to a non-public address ({addr})")
