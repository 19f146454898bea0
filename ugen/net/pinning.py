"""Connect to the very address that was checked: the request target pinned to an IP.

A URL checked by :func:`ugen.net.addresses.check_url` names a host; resolving that host
again to connect would let a DNS answer that changed in between (DNS rebinding) reach an
address that was never checked. :func:`pin` puts the checked address in place of the host
and keeps the original name where the server and TLS need it: the ``Host`` header and the
TLS server name (SNI, against which the certificate is verified).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ugen.net.addresses import CheckedUrl


@dataclass(frozen=True)
class PinnedTarget:
    """Where one request goes: to ``url`` (an IP), introduced as ``host``."""

    url: str
    """The URL with the checked address in place of its host."""
    host: str
    """The ``Host`` header: the original host, and its port when the URL names one."""
    extensions: dict[str, Any] = field(default_factory=dict)
    """httpx request extensions: ``sni_hostname`` for https."""


def _ascii_host(host: str) -> str:
    try:
        return host.encode("ascii").decode()
    except UnicodeEncodeError:
        return host.encode("idna").decode()


def pin(checked: CheckedUrl) -> PinnedTarget:
    """The request target of a checked URL, pinned to its checked address."""
    parts, addr = checked.parts, checked.address
    literal = f"[{addr}]" if isinstance(addr, ipaddress.IPv6Address) else str(addr)
    url = f"{parts.scheme.lower()}://{literal}:{checked.port}{parts.path or '/'}"
    if parts.query:
        url += f"?{parts.query}"
    host = _ascii_host(checked.host)
    if ":" in host:
        host = f"[{host}]"
    extensions: dict[str, Any] = {}
    if parts.scheme.lower() == "https":
        # The certificate is verified against the original name, sent as SNI.
        extensions["sni_hostname"] = host.strip("[]")
    return PinnedTarget(url=url, host=host if parts.port is None else f"{host}:{parts.port}",
                        extensions=extensions)
