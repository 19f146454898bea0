"""TikTok's errors, translated once into the social error tree.

Every TikTok API v2 answer carries ``{"error": {"code", "message", "log_id"}}`` (``code`` is
``ok`` on success; developers.tiktok.com/doc/tiktok-api-v2-error-handling and the Direct
Post reference's error table); the OAuth endpoints answer ``{"error", "error_description",
"log_id"}`` (developers.tiktok.com/doc/oauth-error-handling).

==============================================  ===========================================
what TikTok answered (``error.code``)           raised
==============================================  ===========================================
``rate_limit_exceeded`` (429)                   RateLimitedError, waiting the settings'
                                                ``tiktok_rate_limit_wait_s`` (no Retry-After)
``internal_error``, any 5xx, timeouts           TransientSocialError
``spam_risk_too_many_posts``,                   QuotaExceededError (the creator's daily cap
``spam_risk_too_many_pending_share``,           or the app's user cap: retrying today
``reached_active_user_cap``                     cannot help)
``access_token_invalid``,                       ConnectionRevokedError (reconnect TikTok)
``scope_not_authorized``,
``scope_permission_missed``
anything else (``invalid_params``,              PermanentSocialError with TikTok's code
``privacy_level_option_mismatch``,
``unaudited_client_can_only_post_to_private_
accounts``, ``spam_risk_user_banned_from_
posting``, ``invalid_file_upload``, ...)
==============================================  ===========================================

Messages carry TikTok's code, message and ``log_id`` (what TikTok support asks for), never a
token.
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

PLATFORM = "tiktok"
RATE_LIMITED = frozenset({"rate_limit_exceeded"})
TRANSIENT = frozenset({"internal_error"})
QUOTA = frozenset({"spam_risk_too_many_posts", "spam_risk_too_many_pending_share",
                   "reached_active_user_cap"})
REVOKED = frozenset({"access_token_invalid", "scope_not_authorized",
                     "scope_permission_missed"})


def error_of(body: Any) -> tuple[str, str, str | None]:
    """``(code, message, log_id)`` of a TikTok answer; code ``ok`` when it succeeded."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return (str(error.get("code") or "ok"), str(error.get("message") or ""),
                error.get("log_id"))
    if isinstance(error, str):  # the OAuth endpoints
        return error, str(body.get("error_description") or ""), body.get("log_id")
    return "ok", "", None


def translate(code: str, message: str, *, status: int, call: str, log_id: str | None,
              rate_wait_s: float) -> SocialError:
    """The social error for TikTok's ``code`` on ``call`` (``video/init``, ``the upload``)."""
    text = f"TikTok refused {call}: HTTP {status} {code}: {message}".rstrip(": ")
    if log_id:
        text += f" (log_id {log_id})"
    kwargs: dict[str, Any] = {"platform": PLATFORM, "reason": code, "status_code": status}
    if code in RATE_LIMITED or status == 429:
        return RateLimitedError(text, retry_after=rate_wait_s, **kwargs)
    if code in TRANSIENT or status >= 500 or status == 408:
        return TransientSocialError(text, **kwargs)
    if code in QUOTA:
        return QuotaExceededError(text, **kwargs)
    if code in REVOKED or status == 401:
        return ConnectionRevokedError(
            text + " (reconnect the TikTok account and allow posting)", **kwargs)
    return PermanentSocialError(text, **kwargs)
