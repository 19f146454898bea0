"""Webhook signing secrets encrypted at rest.

A tenant's secret is needed in clear to sign deliveries, so it cannot be hashed like an API
key; it is stored encrypted instead (``enc:v1:``, AES-256-GCM: :mod:`ugen.core.crypto`), with
the account id as associated data (a value copied to another account's row does not
decrypt). The key comes from ``UGEN_SECRET_KEY``, else from ``secret.key`` in the data dir
(:mod:`ugen.store.sealed`). A stored value without the prefix is a secret saved before
encryption and is read as it is; it is encrypted the next time the webhook is set.

Errors::

    SecretDecryptionError    the stored value does not decrypt with this key (the key
                             changed or was lost, or the value was altered)
"""

from __future__ import annotations

from ugen.core.config import Settings
from ugen.core.crypto import PREFIX, SecretDecryptionError, is_sealed
from ugen.store import sealed
from ugen.store.sealed import KEY_FILE

__all__ = ["KEY_FILE", "PREFIX", "SecretDecryptionError", "seal", "unseal"]

_PURPOSE = b"ugen webhook secrets v1"


def seal(settings: Settings, secret: str, *, account_id: str) -> str:
    """The stored form of ``secret`` for ``account_id``'s row."""
    return sealed.seal(settings, secret, purpose=_PURPOSE, context=account_id)


def unseal(settings: Settings, stored: str, *, account_id: str) -> str:
    """The secret of a stored value (one saved before encryption is returned as it is).

    Raises:
        SecretDecryptionError: the value does not decrypt with this key and account.
    """
    if not is_sealed(stored):
        return stored
    try:
        return sealed.unseal(settings, stored, purpose=_PURPOSE, context=account_id)
    except SecretDecryptionError as err:
        raise SecretDecryptionError(
            "the webhook secret does not decrypt: UGEN_SECRET_KEY (or the data dir's "
            f"{KEY_FILE}) is not the key it was saved with") from err
