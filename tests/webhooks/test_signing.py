"""Signature headers: the hex HMAC and the Standard Webhooks signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ugen.webhooks.signing import delivery_headers, standard_secret, ugen_signature


def test_hex_hmac_known_vector() -> None:
    # echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    assert ugen_signature("secret", 1700000000, b'{"a":1}') == (
        "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686")


def test_standard_secret_is_base64_of_the_secret_bytes() -> None:
    assert standard_secret("abc") == "whsec_" + base64.b64encode(b"abc").decode()


def test_headers_verify_with_standardwebhooks() -> None:
    secret = "a" * 64
    body = json.dumps({"event": "job.completed", "job_id": "j1"}).encode()
    ts = int(time.time())
    headers = delivery_headers(secret, "0b7e0a6e-0000-4000-8000-000000000001", ts, body)
    assert headers["content-type"] == "application/json"
    assert headers["X-UGen-Timestamp"] == headers["webhook-timestamp"] == str(ts)
    assert headers["X-UGen-Signature"] == hmac.new(
        secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert Webhook(standard_secret(secret)).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_secret("another secret")).verify(body, headers)


def test_no_secret_no_signature_headers() -> None:
    headers = delivery_headers(None, "id-1", 1700000000, b"{}")
    assert "X-UGen-Signature" not in headers and "webhook-signature" not in headers
    assert headers["webhook-id"] == "id-1"
