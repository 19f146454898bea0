"""One HTTP call to a platform, its transport failures made transient social errors."""

from __future__ import annotations

from typing import Any

import httpx

from ugen.social.base import PlatformName
from ugen.social.errors import TransientSocialError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def send(platform: PlatformName, label: str, method: str, url: str,
         **kwargs: Any) -> httpx.Response:
    """``method url`` (no redirects followed); a timeout or an unreachable host raises
    :class:`TransientSocialError` naming ``label`` (the platform as users know it), so the
    post's retries take it."""
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            return client.request(method, url, **kwargs)
    except httpx.TimeoutException as err:
        raise TransientSocialError(f"{label} timed out: {type(err).__name__}",
                                   platform=platform, reason="timeout") from err
    except httpx.TransportError as err:
        raise TransientSocialError(f"{label} unreachable: {type(err).__name__}",
                                   platform=platform, reason="network") from err
