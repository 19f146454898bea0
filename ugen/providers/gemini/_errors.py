"""Gemini API errors and blocked answers, translated once into the provider error tree.

==============================================  ==========================================
what the API answered                           raised
==============================================  ==========================================
``API_KEY_INVALID``, 401, 403                   VendorAuthError (the key is never shown)
429 ``RESOURCE_EXHAUSTED``, 5xx, timeouts       TransientProviderError; ``RetryInfo`` kept
a blocked prompt or a ``SAFETY``-like finish    ContentPolicyError
other 4xx                                       PermanentProviderError
==============================================  ==========================================

Messages carry the vendor's status and message, never request headers.
"""

from __future__ import annotations

from typing import Any

import httpx
import httpx2
from google.genai import errors as genai_errors

from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from ugen.providers.vendor import VendorAuthError

PROVIDER = "gemini"
TRANSPORT_ERRORS = (httpx.HTTPError, httpx2.HTTPError)
SdkError = genai_errors.APIError | httpx.HTTPError | httpx2.HTTPError
BLOCKED_FINISH = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
                            "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "RECITATION"})


def _details(err: genai_errors.APIError) -> list[dict[str, Any]]:
    body = err.details if isinstance(err.details, dict) else {}
    inner = body.get("error", body)
    found = inner.get("details", []) if isinstance(inner, dict) else []
    return [d for d in found if isinstance(d, dict)]


def _retry_after(err: genai_errors.APIError) -> float | None:
    for detail in _details(err):
        delay = str(detail.get("retryDelay", ""))
        if delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                continue
    headers = getattr(err.response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def translate(err: SdkError, *, call: str) -> ProviderError:
    """The provider error for a failed ``call`` (``script``, ``image``, ``judge``)."""
    if isinstance(err, TRANSPORT_ERRORS):
        kind = "timed out" if isinstance(err, httpx.TimeoutException | httpx2.TimeoutException) \
            else "connection failed"
        return TransientProviderError(f"{PROVIDER} {call}: request {kind}", provider=PROVIDER)
    code = int(err.code or 0)
    text = f"{PROVIDER} {call}: HTTP {code} {err.status or ''}: {err.message or ''}".strip()
    reasons = {str(d.get("reason", "")) for d in _details(err)}
    if code == 429 or code >= 500:
        return TransientProviderError(text, provider=PROVIDER, retry_after=_retry_after(err))
    if code in (401, 403) or "API_KEY_INVALID" in reasons or err.status in (
            "UNAUTHENTICATED", "PERMISSION_DENIED"):
        return VendorAuthError(text, provider=PROVIDER)
    return PermanentProviderError(text, provider=PROVIDER)


def check_not_blocked(response: Any, *, call: str) -> None:
    """Raise :class:`ContentPolicyError` when the prompt or the answer was blocked."""
    feedback = getattr(response, "prompt_feedback", None)
    reason = getattr(feedback, "block_reason", None)
    if reason:
        raise ContentPolicyError(f"{PROVIDER} {call}: the prompt was blocked ({reason})",
                                 provider=PROVIDER)
    for candidate in getattr(response, "candidates", None) or ():
        finish = str(getattr(candidate, "finish_reason", "") or "").rsplit(".", 1)[-1]
        if finish in BLOCKED_FINISH:
            raise ContentPolicyError(f"{PROVIDER} {call}: the answer was blocked ({finish})",
                                     provider=PROVIDER)
