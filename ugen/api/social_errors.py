"""How the social domain's errors answer over HTTP (read by :mod:`ugen.api.errors`)."""

from __future__ import annotations

from typing import Any

from ugen.social.errors import (
    ConnectionRevokedError,
    NotConnectedError,
    OAuthError,
    PlatformNotConfiguredError,
    SocialError,
    TransientSocialError,
)
from ugen.social.posts import PostIdempotencyConflictError

ERRORS: tuple[type[Exception], ...] = (SocialError, PostIdempotencyConflictError)

Answer = tuple[int, str, str, dict[str, Any]]
"""Status, code, message and details of the error body."""


def social_answer(exc: Exception) -> Answer | None:
    """The HTTP answer of a social error; None for any other exception."""
    if isinstance(exc, PostIdempotencyConflictError):
        return (409, "IDEMPOTENCY_CONFLICT", str(exc), {"post_id": exc.post_id})
    if not isinstance(exc, SocialError):
        return None
    details: dict[str, Any] = {"platform": exc.platform, "reason": exc.reason}
    if isinstance(exc, PlatformNotConfiguredError):  # not offered by this installation
        return (404, exc.code, str(exc), details)
    if isinstance(exc, OAuthError):
        return (400, exc.code, str(exc), details)
    if isinstance(exc, NotConnectedError | ConnectionRevokedError):
        return (409, exc.code, str(exc), details)
    if isinstance(exc, TransientSocialError):
        return (503, exc.code, str(exc), details)
    return (502, exc.code, str(exc), details)
