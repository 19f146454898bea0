"""The pieces of an OAuth 2.0 authorization-code flow the platforms share.

``state`` is 32 random bytes (base64url), stored server-side only as its SHA-256, so a
leaked table cannot be replayed; PKCE (RFC 7636) uses a 64-character verifier and its S256
challenge, base64url(SHA-256(verifier)) without padding.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"


def new_state() -> str:
    return secrets.token_urlsafe(32)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-], within 43..128
    return Pkce(verifier=verifier, challenge=s256(verifier))
