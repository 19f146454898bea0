"""Which addresses the service may connect to on a user's behalf, and URL checks built on it.

A user-given URL (a webhook receiver, a product image) must not reach the service's own
network: loopback, private, link-local (cloud metadata at 169.254.169.254 and
fd00:ec2::254), CGNAT, multicast, reserved and unspecified addresses are refused, in IPv4,
IPv6 and the IPv6 forms that embed IPv4 (mapped, compatible, NAT64, 6to4, Teredo). Host
names are resolved and *every* address must be public; numeric spellings such as
``2130706433`` or ``0x7f.1`` are turned into addresses by the resolver and checked like any.

Errors::

    UnsafeUrlError (ValueError)    reason: unsafe_url, unresolvable, private_address
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]
AddressRule = Callable[[IPAddress], bool]
UnsafeReason = Literal["unsafe_url", "unresolvable", "private_address"]

_V4_BLOCKED = [ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)]
_V6_BLOCKED = [ipaddress.IPv6Network(n) for n in (
    "::/96",            # unspecified, loopback and IPv4-compatible (deprecated) addresses
    "::ffff:0:0/96", "::ffff:0:0:0/96",  # IPv4-mapped and IPv4-translated (SIIT)
    "64:ff9b::/96", "64:ff9b:1::/48",  # NAT64: would reach an embedded IPv4 address
    "100::/64", "2001::/23", "2001:db8::/32",  # discard, IETF (incl. Teredo), docs
    "2002::/16",        # 6to4: embeds an IPv4 address
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",  # ULA (fd00:ec2::254), link, site
)]


class UnsafeUrlError(ValueError):
    """The URL is malformed, of a refused scheme, or reaches a non-public address."""

    def __init__(self, message: str, *, reason: UnsafeReason = "unsafe_url") -> None:
        super().__init__(message)
        self.reason: UnsafeReason = reason


def is_public_address(addr: IPAddress) -> bool:
    """True for a globally routable unicast address the service may connect to."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return is_public_address(addr.ipv4_mapped)
        if addr.scope_id or any(addr in net for net in _V6_BLOCKED):
            return False
    elif any(addr in net for net in _V4_BLOCKED):
        return False
    return addr.is_global and not addr.is_multicast


def any_address(_addr: IPAddress) -> bool:
    """The rule of ``UGEN_ALLOW_PRIVATE_URLS``: every address is acceptable."""
    return True


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal is its own address).

    Raises:
        UnsafeUrlError: (``unresolvable``) the name does not resolve.
    """
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        raise UnsafeUrlError(f"the host {host!r} does not resolve",
                             reason="unresolvable") from err
    found: list[IPAddress] = []
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if addr not in found:
            found.append(addr)
    if not found:
        raise UnsafeUrlError(f"the host {host!r} does not resolve", reason="unresolvable")
    return found


@dataclass(frozen=True)
class CheckedUrl:
    """A URL whose every resolved address passed the rule; connect to ``address`` only."""

    parts: SplitResult
    host: str
    port: int
    address: IPAddress


def split_url(url: str, *, schemes: tuple[str, ...] = ("http", "https")) -> SplitResult:
    """The parts of an absolute URL of an accepted scheme without credentials.

    Raises:
        UnsafeUrlError: (``unsafe_url``) malformed (spaces and control characters
            included), another scheme, or user:password@.
    """
    if any(ch <= " " or "\x7f" <= ch <= "\x9f" for ch in url):
        raise UnsafeUrlError("is not a valid URL (it holds a space or a control character)")
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as err:
        raise UnsafeUrlError(f"is not a valid URL ({err})") from err
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise UnsafeUrlError(f"must be an absolute {'/'.join(schemes)} URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("must not carry credentials")
    return parts


def check_url(url: str, *, allow: AddressRule = is_public_address,
              resolver: Resolver = resolve,
              schemes: tuple[str, ...] = ("http", "https")) -> CheckedUrl:
    """Check a URL and pick the address to connect to.

    Raises:
        UnsafeUrlError: see :func:`split_url` and :func:`resolve`; ``private_address`` when
            any resolved address fails ``allow``.
    """
    parts = split_url(url, schemes=schemes)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    addresses = resolver(host, port)
    for addr in addresses:
        if not allow(addr):
            raise UnsafeUrlError(f"the host {host!r} resolves to a non-public address ({addr})",
                                 reason="private_address")
    return CheckedUrl(parts=parts, host=host, port=port, address=addresses[0])
