"""Instagram Graph API errors, translated once into the social error tree.

The Graph API answers ``{"error": {"message", "type", "code", "error_subcode",
"fbtrace_id"}}`` (developers.facebook.com/docs/graph-api/guides/error-handling; codes of the
content publishing guide's troubleshooting table).

==============================================  ===========================================
what the Graph API answered                     raised
==============================================  ===========================================
code 4, 17, 32, 613, 80002 (rate limits),       RateLimitedError (backoff; Meta sends usage
HTTP 429                                        headers, not Retry-After)
code 1, 2, HTTP 5xx, timeouts                   TransientSocialError
code 9 subcode 2207042 (publishing limit)       QuotaExceededError
code 190 (token invalid or expired), 10,        ConnectionRevokedError (reconnect Instagram)
200–299 (permission not granted)
anything else (100 invalid parameter,           PermanentSocialError with ``code/subcode``
352 unsupported video, 36003 aspect ratio, ...)
==============================================  ===========================================
"""

from __future__ import annotations

from typing import Any

from ugen.social.errors import (
    ConnectionRevokedError,
    PermanentSocialError,
    QuotaExceededError,
    RateLimitedError,
    SocialError,
    TransientSocialError,
)

PLATFORM = "instagram"
RATE_CODES = frozenset({4, 17, 32, 613, 80002})
TRANSIENT_CODES = frozenset({1, 2})
PUBLISH_LIMIT_SUBCODE = 2207042


def error_of(body: Any) -> tuple[int | None, int | None, str, str | None]:
    """``(code, subcode, message, fbtrace_id)`` of a Graph error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, "", None
    code, sub = error.get("code"), error.get("error_subcode")
    return (int(code) if isinstance(code, int) else None,
            int(sub) if isinstance(sub, int) else None,
            str(error.get("error_user_msg") or error.get("message") or ""),
            error.get("fbtrace_id"))


def translate(body: Any, *, status: int, call: str) -> SocialError:
    """The social error for a failed ``call`` (``the container``, ``media_publish``)."""
    code, sub, message, trace = error_of(body)
    reason = f"{code}/{sub}" if sub is not None else str(code)
    text = f"Instagram refused {call}: HTTP {status} code {reason}: {message}"
    if trace:
        text += f" (fbtrace_id {trace})"
    kwargs: dict[str, Any] = {"platform": PLATFORM, "reason": reason, "status_code": status}
    if code in RATE_CODES or status == 429:
        return RateLimitedError(text, **kwargs)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientSocialError(text, **kwargs)
    if sub == PUBLISH_LIMIT_SUBCODE:
        return QuotaExceededError(text, **kwargs)
    if code == 190 or code == 10 or (code is not None and 200 <= code <= 299):
        return ConnectionRevokedError(text + " (reconnect the Instagram account)", **kwargs)
    return PermanentSocialError(text, **kwargs)
