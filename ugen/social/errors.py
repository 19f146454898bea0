"""What can go wrong talking to a social platform, as one tree.

Transient errors subclass :class:`~ugen.providers.base.TransientProviderError`, so
:func:`ugen.providers.retry.call_with_retries` retries them with backoff (honouring a
``retry_after``); everything else ends the post ``failed`` with the platform's reason.

::

    SocialError                     root; ``platform``, ``reason`` (the platform's code)
    ├── TransientSocialError        5xx, timeouts, connection errors: retried
    │   └── RateLimitedError        the platform asks to slow down (429, rateLimitExceeded)
    └── PermanentSocialError        fail the post with the platform's reason
        ├── QuotaExceededError      the project's or user's quota is spent (quotaExceeded,
        │                           uploadLimitExceeded): retrying today cannot help
        ├── UploadSessionExpiredError  the upload session is gone: start a new one
        ├── ConnectionRevokedError  the platform refused the tokens for good: reconnect
        ├── NotConnectedError       the account has no connection to the platform
        ├── OAuthError              the connect flow failed (bad state, code, PKCE)
        ├── VideoSpecError          the video breaks the platform's limits (``field``)
        └── PlatformNotConfiguredError  no OAuth client configured for the platform
"""

from __future__ import annotations

from typing import Any

from ugen.providers.base import PermanentProviderError, ProviderError, TransientProviderError


def _restore(cls: type[SocialError], args: tuple[Any, ...],
             state: dict[str, Any]) -> SocialError:
    err = Exception.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class SocialError(ProviderError):
    """A social platform could not do what was asked."""

    code = "SOCIAL_ERROR"

    def __init__(self, message: str, *, platform: str, reason: str | None = None,
                 status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, provider=platform, retry_after=retry_after)
        self.platform = platform
        self.reason = reason
        """The platform's own error code (``quotaExceeded``, ``invalid_grant``)."""
        self.status_code = status_code

    def __reduce__(self) -> tuple[Any, ...]:
        # DBOS pickles a step's exception; keyword-only arguments need this to come back.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class TransientSocialError(SocialError, TransientProviderError):
    code = "PLATFORM_UNAVAILABLE"


class RateLimitedError(TransientSocialError):
    code = "RATE_LIMITED"


class PermanentSocialError(SocialError, PermanentProviderError):
    code = "PLATFORM_REJECTED"


class QuotaExceededError(PermanentSocialError):
    code = "QUOTA_EXCEEDED"


class UploadSessionExpiredError(PermanentSocialError):
    """The platform forgot the upload session (YouTube: ``404`` on the session URI): the
    bytes cannot be resumed there; the post starts a new session (no video exists yet)."""

    code = "UPLOAD_SESSION_EXPIRED"


class ConnectionRevokedError(PermanentSocialError):
    code = "CONNECTION_REVOKED"


class NotConnectedError(PermanentSocialError):
    code = "NOT_CONNECTED"


class OAuthError(PermanentSocialError):
    code = "OAUTH_FAILED"


class PlatformNotConfiguredError(PermanentSocialError):
    code = "PLATFORM_NOT_CONFIGURED"


class VideoSpecError(PermanentSocialError):
    code = "VIDEO_SPEC"

    def __init__(self, message: str, *, platform: str, field: str) -> None:
        super().__init__(message, platform=platform, reason=f"video.{field}")
        self.field = field
        """What was wrong: ``codec``, ``duration``, ``aspect``, ``size``."""
