"""Kling's API token: a short-lived JWT (HS256) signed with the secret key.

Signed by hand (RFC 7519 compact form, HMAC-SHA256) rather than through a JWT library:
the keys are the vendor's, whatever their length, and nothing else is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

from pydantic import SecretStr

TOKEN_TTL_S = 1800
REFRESH_MARGIN_S = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(access_key: str, secret_key: str, *, now: float | None = None,
               ttl_s: int = TOKEN_TTL_S) -> str:
    """``{"iss": access key, "exp": now + ttl, "nbf": now - 5}`` signed HS256 with the secret."""
    issued = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": issued + ttl_s, "nbf": issued - 5}
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, payload))
    signature = hmac.new(secret_key.encode("utf-8"), signing_input.encode("ascii"),
                         hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


class TokenSource:
    """Hands out a cached token, renewed some minutes before it expires."""

    def __init__(self, access_key: SecretStr, secret_key: SecretStr) -> None:
        self._access_key = access_key
        self._secret_key = secret_key
        self._lock = threading.Lock()
        self._token = ""
        self._expires_at = 0.0

    def token(self) -> str:
        with self._lock:
            now = time.time()
            if now > self._expires_at - REFRESH_MARGIN_S:
                self._token = make_token(self._access_key.get_secret_value(),
                                         self._secret_key.get_secret_value(), now=now)
                self._expires_at = now + TOKEN_TTL_S
            return self._token
