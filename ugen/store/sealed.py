"""The installation's key for secrets at rest, and sealing with it (:mod:`ugen.core.crypto`).

The key material is ``UGEN_SECRET_KEY``, else a random key created once as ``secret.key``
(mode 0600) in the data dir, shared by every process on that data dir. Webhook signing
secrets and social-account tokens are sealed with it, each with a purpose of its own.
"""

from __future__ import annotations

from ugen.core import crypto
from ugen.core.config import Settings
from ugen.store.signed_urls import key_from_file

KEY_FILE = "secret.key"


def key_material(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    return key_from_file(settings.data_dir / KEY_FILE)


def seal(settings: Settings, plain: str, *, purpose: bytes, context: str) -> str:
    """``plain`` encrypted for the database, bound to ``context`` (the owning row)."""
    return crypto.seal(key_material(settings), plain, purpose=purpose, context=context)


def unseal(settings: Settings, stored: str, *, purpose: bytes, context: str) -> str:
    """Raises: SecretDecryptionError: the value does not decrypt (see ``ugen.core.crypto``)."""
    return crypto.unseal(key_material(settings), stored, purpose=purpose, context=context)
