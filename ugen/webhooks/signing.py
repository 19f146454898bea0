"""Webhook signature headers: U-Gen's own and Standard Webhooks', from one tenant secret.

- ``X-UGen-Timestamp``: unix seconds; ``X-UGen-Signature``: hex HMAC-SHA256 of
  ``"{timestamp}.{raw_body}"`` keyed with the UTF-8 bytes of the tenant's secret.
- ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` (Standard Webhooks): the secret
  used is ``"whsec_" + base64(secret bytes)``, so a receiver verifies with
  ``Webhook("whsec_" + base64.b64encode(secret.encode()).decode())`` — the HMAC key is the same
  bytes as for ``X-UGen-Signature``.

Without a secret a delivery carries the ids and timestamps but no signature header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from standardwebhooks import Webhook


def ugen_signature(secret: str, timestamp: int, raw_body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"{timestamp}.{raw_body}"`` with ``secret``."""
    message = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def standard_secret(secret: str) -> str:
    """The Standard Webhooks form of a tenant secret: ``whsec_`` + base64 of its bytes."""
    return "whsec_" + base64.b64encode(secret.encode("utf-8")).decode("ascii")


def delivery_headers(secret: str | None, delivery_id: str, timestamp: int,
                     raw_body: bytes) -> dict[str, str]:
    """Every header of one delivery attempt (signature headers only with a secret)."""
    headers = {
        "content-type": "application/json",
        "user-agent": "ugen-webhooks/1",
        "X-UGen-Timestamp": str(timestamp),
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["X-UGen-Signature"] = ugen_signature(secret, timestamp, raw_body)
        headers["webhook-signature"] = Webhook(standard_secret(secret)).sign(
            delivery_id, datetime.fromtimestamp(timestamp, UTC), raw_body.decode("utf-8"))
    return headers
