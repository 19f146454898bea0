"""The dashboard's address and its one-time sign-in links, as the CLI prints them."""

from __future__ import annotations

from urllib.parse import urlencode

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url(host: str, port: int, *, https: bool = False) -> str:
    """Where a browser on this machine reaches a server bound to ``host``:``port``."""
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{'https' if https else 'http'}://{host}:{port}"


def sign_in_url(base: str, token: str) -> str:
    """The one-time link that signs a browser in (``/login/link?token=...``)."""
    return f"{base.rstrip('/')}/login/link?{urlencode({'token': token})}"
