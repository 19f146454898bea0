"""One webhook POST, to the very address that was checked.

The receiver's URL is checked (:func:`ugen.webhooks.urls.checked_webhook_url`: https, every
address public) once per attempt, and the connection goes to the address that check
resolved (:func:`ugen.net.pin`), with ``Host`` and the TLS server name of the URL's own
host, as the product-image fetch does: a name that resolves elsewhere the second time (DNS
rebinding) cannot turn a checked public address into a private one. No redirects are
followed and no proxy from the environment is used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from ugen.net import pin, resolve
from ugen.net.addresses import Resolver
from ugen.webhooks.urls import UnsafeWebhookUrlError, checked_webhook_url


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt got: a status code or an error, and how long it took."""

    status_code: int | None
    latency_ms: int
    error: str | None
    """None when the receiver answered 2xx."""
    permanent: bool = False
    """The URL itself was refused: another attempt cannot succeed."""

    @property
    def ok(self) -> bool:
        return self.error is None


def send_webhook(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float,
                 allow_private: bool, resolver: Resolver = resolve,
                 transport: httpx.BaseTransport | None = None) -> SendOutcome:
    """POST ``body`` to ``url``, connecting to the address its check resolved."""
    start = time.monotonic()
    try:
        checked = checked_webhook_url(url, allow_private=allow_private, resolver=resolver)
    except UnsafeWebhookUrlError as err:
        return SendOutcome(None, 0, f"refused URL: {err}", permanent=True)
    target = pin(checked)
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False,
                          transport=transport) as client:
            response = client.post(target.url, content=body,
                                   headers={**headers, "Host": target.host},
                                   extensions=target.extensions)
        status: int | None = response.status_code
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except httpx.TimeoutException as err:
        status, error = None, f"timeout: {type(err).__name__}"
    except httpx.HTTPError as err:
        status, error = None, f"{type(err).__name__}: {err}"[:1000]
    return SendOutcome(status, int((time.monotonic() - start) * 1000), error)
