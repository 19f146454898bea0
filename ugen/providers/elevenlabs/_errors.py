"""ElevenLabs errors, translated once into the provider error tree.

=======================================  ==========================================
what the API answered                    raised
=======================================  ==========================================
401 ``quota_exceeded``, 402              VendorQuotaError (the balance is exhausted)
401, 403                                 VendorAuthError (the key is never shown)
429                                      TransientProviderError, ``Retry-After`` kept
5xx, timeouts, connection failures       TransientProviderError
4xx naming moderation or a policy        ContentPolicyError
other 4xx                                PermanentProviderError
=======================================  ==========================================

Messages carry the vendor's ``detail.status`` and ``detail.message`` and the request id,
never the request's headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from elevenlabs.core.api_error import ApiError

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from ugen.providers.vendor import VendorAuthError, VendorQuotaError, transport_error

PROVIDER = "elevenlabs"
_POLICY_WORDS = ("moderation", "policy", "safety", "blocked", "prohibited")


def _detail(body: Any) -> tuple[str, str]:
    """``(status, message)`` of an ElevenLabs error body ``{"detail": {...}}``."""
    detail = body.get("detail", body) if isinstance(body, Mapping) else body
    if isinstance(detail, Mapping):
        return str(detail.get("status", "")), str(detail.get("message", ""))
    if isinstance(detail, list):  # a validation error list (422)
        return "invalid_request", "; ".join(str(d.get("msg", d)) if isinstance(d, Mapping)
                                            else str(d) for d in detail)
    return "", str(detail or "")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = _header(headers, "retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def translate(err: ApiError | httpx.HTTPError, *, call: str) -> ProviderError:
    """The provider error for a failed ``call`` (``speech-to-speech``, ``forced alignment``)."""
    if isinstance(err, httpx.HTTPError):
        return transport_error(f"{PROVIDER} {call}", err)
    code = err.status_code or 0
    status, message = _detail(err.body)
    request_id = _header(err.headers, "request-id") or _header(err.headers, "x-request-id")
    text = f"{PROVIDER} {call}: HTTP {code}" + (f" {status}" if status else "") + (
        f": {message}" if message else "")
    kwargs: dict[str, Any] = {"provider": PROVIDER, "request_id": request_id}
    if code == 429 or code >= 500:
        return TransientProviderError(text, retry_after=_retry_after(err.headers), **kwargs)
    if code == 402 or status in ("quota_exceeded", "insufficient_credits", "payment_required"):
        return VendorQuotaError(text, **kwargs)
    if code in (401, 403):
        return VendorAuthError(text, **kwargs)
    if any(word in f"{status} {message}".lower() for word in _POLICY_WORDS):
        return ContentPolicyError(text, **kwargs)
    return PermanentProviderError(text, **kwargs)
