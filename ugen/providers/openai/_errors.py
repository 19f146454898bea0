"""OpenAI errors, translated once into the provider error tree.

=========================================  ==========================================
what the API answered                      raised
=========================================  ==========================================
429 ``insufficient_quota``                 VendorQuotaError (the balance is exhausted)
429 otherwise, 5xx, timeouts, connection   TransientProviderError, ``Retry-After`` kept
401, 403                                   VendorAuthError (the key is never shown)
400 ``content_policy_violation`` /
``moderation_blocked``, a refusal          ContentPolicyError
other 4xx                                  PermanentProviderError
=========================================  ==========================================

Messages carry the vendor's error message, code and request id, never request headers.
"""

from __future__ import annotations

from typing import Any

import openai

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from ugen.providers.vendor import VendorAuthError, VendorQuotaError

PROVIDER = "openai"
_POLICY_CODES = ("content_policy_violation", "moderation_blocked", "safety_violation")


def _retry_after(err: openai.APIStatusError) -> float | None:
    headers = err.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / scale)
            except ValueError:
                continue
    return None


def _vendor_message(err: openai.APIError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return err.message


def translate(err: openai.OpenAIError, *, call: str) -> ProviderError:
    """The provider error for a failed ``call`` (``script``, ``image edit``, ``judge``)."""
    if isinstance(err, openai.APITimeoutError):
        return TransientProviderError(f"{PROVIDER} {call}: request timed out", provider=PROVIDER)
    if isinstance(err, openai.APIConnectionError):
        return TransientProviderError(f"{PROVIDER} {call}: connection failed", provider=PROVIDER)
    if not isinstance(err, openai.APIStatusError):
        return PermanentProviderError(f"{PROVIDER} {call}: {type(err).__name__}: {err}",
                                      provider=PROVIDER)
    code = err.code or ""
    text = f"{PROVIDER} {call}: HTTP {err.status_code}" + (f" {code}" if code else "") + \
        f": {_vendor_message(err)}"
    kwargs: dict[str, Any] = {"provider": PROVIDER, "request_id": err.request_id}
    if code == "insufficient_quota" or code == "billing_hard_limit_reached":
        return VendorQuotaError(text, **kwargs)
    if err.status_code == 429 or err.status_code >= 500:
        return TransientProviderError(text, retry_after=_retry_after(err), **kwargs)
    if err.status_code in (401, 403):
        return VendorAuthError(text, **kwargs)
    if code in _POLICY_CODES:
        return ContentPolicyError(text, **kwargs)
    return PermanentProviderError(text, **kwargs)
