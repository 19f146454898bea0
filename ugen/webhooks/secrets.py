"""Webhook signing secrets encrypted at rest.

A tenant's secret is needed in clear to sign deliveries, so it cannot be hashed like an API
key; it is stored encrypted instead: ``enc:v1:`` + base64url(nonce ‖ AES-256-GCM ciphertext
and tag), with the account id as associated data (a value copied to another account's row
does not decrypt). The key is derived (HKDF-SHA256) from ``UGEN_SECRET_KEY``, else from a
random key created once as ``secret.key`` (mode 0600) in the data dir, shared by every
process on that data dir. A stored value without the prefix is a secret saved before
encryption and is read as it is; it is encrypted the next time the webhook is set.

Errors::

    SecretDecryptionError    the stored value does not decrypt with this key (the key
                             changed or was lost, or the value was altered)
"""

from __future__ import annotations

import base64
import binascii
import os
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ugen.core.config import Settings
from ugen.store.signed_urls import key_from_file

KEY_FILE = "secret.key"
PREFIX = "enc:v1:"
_NONCE_BYTES = 12
_INFO = b"ugen webhook secrets v1"

_lock = threading.Lock()
_ciphers: dict[bytes, AESGCM] = {}


class SecretDecryptionError(Exception):
    """A stored secret does not decrypt with the configured key."""


def _key_material(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    return key_from_file(settings.data_dir / KEY_FILE)


def _cipher(settings: Settings) -> AESGCM:
    material = _key_material(settings)
    with _lock:
        cipher = _ciphers.get(material)
        if cipher is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=_INFO).derive(material)
            cipher = _ciphers[material] = AESGCM(key)
    return cipher


def seal(settings: Settings, secret: str, *, account_id: str) -> str:
    """The stored form of ``secret`` for ``account_id``'s row."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(settings).encrypt(nonce, secret.encode("utf-8"), account_id.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(settings: Settings, stored: str, *, account_id: str) -> str:
    """The secret of a stored value (one saved before encryption is returned as it is).

    Raises:
        SecretDecryptionError: the value does not decrypt with this key and account.
    """
    if not stored.startswith(PREFIX):
        return stored
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        plain = _cipher(settings).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                          account_id.encode())
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError) as err:
        raise SecretDecryptionError(
            "the webhook secret does not decrypt: UGEN_SECRET_KEY (or the data dir's "
            f"{KEY_FILE}) is not the key it was saved with") from err

