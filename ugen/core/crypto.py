"""Authenticated encryption of small secrets kept in the database (``enc:v1:`` values).

A stored value is ``enc:v1:`` + base64url(nonce ‖ AES-256-GCM ciphertext and tag). The key
is derived (HKDF-SHA256) from the installation's key material with a ``purpose`` of its own,
so a webhook secret and a social token never share a key; ``context`` (the owning account,
say) is the associated data, so a value copied to another row does not decrypt. This module
is pure: where the key material comes from is the caller's business
(:mod:`ugen.store.sealed`).

Errors::

    SecretDecryptionError    the value does not decrypt with this key, purpose and context
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

PREFIX = "enc:v1:"
_NONCE_BYTES = 12

_lock = threading.Lock()
_ciphers: dict[tuple[bytes, bytes], AESGCM] = {}


class SecretDecryptionError(Exception):
    """A stored secret does not decrypt with the configured key."""


def _cipher(material: bytes, purpose: bytes) -> AESGCM:
    with _lock:
        cipher = _ciphers.get((material, purpose))
        if cipher is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=purpose).derive(material)
            cipher = _ciphers[(material, purpose)] = AESGCM(key)
    return cipher


def seal(material: bytes, plain: str, *, purpose: bytes, context: str) -> str:
    """The stored form of ``plain``, bound to ``context``."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(material, purpose).encrypt(nonce, plain.encode("utf-8"), context.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def unseal(material: bytes, stored: str, *, purpose: bytes, context: str) -> str:
    """The plain text of a sealed value.

    Raises:
        SecretDecryptionError: not a sealed value, or it does not decrypt with this key,
            purpose and context (the key changed, or the value was altered or moved).
    """
    if not is_sealed(stored):
        raise SecretDecryptionError("the value is not encrypted (no enc:v1: prefix)")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        plain = _cipher(material, purpose).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                                   context.encode())
        return plain.decode("utf-8")
    except (InvalidTag, binascii.Error, ValueError) as err:
        raise SecretDecryptionError("the value does not decrypt with this key") from err
