"""Access logs without secrets: a signed URL's signature and other credentials are redacted.

A signed download URL is its own capability, so the access log line of
``GET /api/v1/files/{job_id}/final.mp4?expires=...&signature=...`` must not carry the
signature. :class:`RedactSecrets` is a logging filter that rewrites the arguments of every
record of the ``uvicorn.access`` logger: the values of secret-like query parameters
(``signature``, ``token``, ``api_key``, ...) become ``REDACTED``, and so does anything that
looks like an API key (``ugen_sk_...``). :func:`install_access_log_filter` puts it on the
logger once; the app does so when it is built, so every way of serving it is covered.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "REDACTED"

SECRET_PARAMS = ("signature", "sig", "token", "access_token", "refresh_token", "id_token",
                 "api_key", "apikey", "api-key", "key", "secret", "password",
                 "client_secret", "x-amz-signature", "x-amz-credential", "x-goog-signature",
                 "x-goog-credential", "code", "state", "code_verifier")
"""Query parameters whose values are never logged (compared without case); ``code`` and
``state`` are the OAuth callback's authorization code and connect attempt."""

_PARAM = re.compile(r"(?i)(?<=[?&;])(" + "|".join(re.escape(p) for p in SECRET_PARAMS)
                    + r")=[^&;#\s]*")
_API_KEY = re.compile(r"ugen_sk_[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """``text`` (a request target) with secret query values and API keys replaced."""
    if "=" not in text and "ugen_sk_" not in text:
        return text
    return _API_KEY.sub(REDACTED, _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text))


class RedactSecrets(logging.Filter):
    """Redact secrets in the string arguments of a log record (it is never dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_access_log_filter(logger_name: str = ACCESS_LOGGER) -> None:
    """Put :class:`RedactSecrets` on the access logger, once.

    A filter on the logger stays when the server (re)configures the logger's handlers, and
    it runs before any handler formats the line.
    """
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
