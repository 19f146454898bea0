"""Webhook signing secrets are stored encrypted; secrets saved before encryption still work."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import String, select

from tests.api.conftest import headers
from ugen.api.routes.tenants import MAX_SECRET_BYTES
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import WebhookConfig
from ugen.webhooks import store
from ugen.webhooks.secrets import KEY_FILE, PREFIX, SecretDecryptionError, seal, unseal

SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def test_seal_round_trip_hides_secret(settings: Settings) -> None:
    stored = seal(settings, SECRET, account_id="acct_1")
    assert stored.startswith(PREFIX) and SECRET not in stored and SECRET[:16] not in stored
    assert seal(settings, SECRET, account_id="acct_1") != stored  # a fresh nonce each time
    assert unseal(settings, stored, account_id="acct_1") == SECRET


def test_sealed_secret_is_bound_to_its_account(settings: Settings) -> None:
    stored = seal(settings, SECRET, account_id="acct_1")
    with pytest.raises(SecretDecryptionError):
        unseal(settings, stored, account_id="acct_2")
    with pytest.raises(SecretDecryptionError):
        unseal(settings, stored[:-4] + "AAAA", account_id="acct_1")


def test_secret_saved_before_encryption_is_read_as_is(settings: Settings) -> None:
    assert unseal(settings, "legacy-plain-secret", account_id="acct_1") == "legacy-plain-secret"


def test_key_file_created_once_private(settings: Settings) -> None:
    path = settings.data_dir / KEY_FILE
    assert not path.exists()
    stored = seal(settings, SECRET, account_id="a")
    assert os.stat(path).st_mode & 0o777 == 0o600
    key = path.read_bytes()
    assert len(key) == 64
    seal(settings, SECRET, account_id="a")
    assert path.read_bytes() == key
    assert unseal(settings, stored, account_id="a") == SECRET


def test_configured_key_used_and_required(settings: Settings) -> None:
    keyed = settings.model_copy(update={"secret_key": SecretStr("k" * 64)})
    other = settings.model_copy(update={"secret_key": SecretStr("o" * 64)})
    stored = seal(keyed, SECRET, account_id="a")
    assert not (settings.data_dir / KEY_FILE).exists()
    assert unseal(keyed, stored, account_id="a") == SECRET
    with pytest.raises(SecretDecryptionError) as info:
        unseal(other, stored, account_id="a")
    assert "UGEN_SECRET_KEY" in str(info.value) and "k" * 8 not in str(info.value)
    with pytest.raises(SecretDecryptionError):
        unseal(settings, stored, account_id="a")  # the data dir's own key


def test_longest_secret_fits_the_column(settings: Settings) -> None:
    column = WebhookConfig.__table__.c.webhook_secret.type
    assert isinstance(column, String) and column.length is not None
    longest = "é" * (MAX_SECRET_BYTES // 2)
    assert len(seal(settings, longest, account_id="acct_" + "f" * 16)) <= column.length


def _public(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_put_webhook_stores_secret_encrypted(settings: Settings, client: TestClient,
                                             account: tuple[str, str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, key = account
    _public(monkeypatch)
    r = client.put("/api/v1/tenants/me/webhook", headers=headers(key),
                   json={"webhook_url": "https://hooks.example.com/u", "webhook_secret": SECRET})
    assert r.status_code == 200, r.text
    with session_scope(settings) as s:
        stored = s.scalars(select(WebhookConfig.webhook_secret)
                           .where(WebhookConfig.account_id == account_id)).one()
        assert stored is not None and SECRET not in stored and stored.startswith(PREFIX)
        assert store.signing_secret(settings, store.get_config(s, account_id)) == SECRET
    for db_file in settings.data_dir.glob("ugen.sqlite*"):  # the database and its WAL
        assert SECRET.encode() not in db_file.read_bytes()


def test_signing_secret_of_row_saved_before_encryption(settings: Settings,
                                                       account: tuple[str, str]) -> None:
    account_id, _ = account
    with session_scope(settings) as s:
        s.add(WebhookConfig(account_id=account_id, webhook_url="https://h.example.com/",
                            webhook_secret="plain-old-secret"))
    with session_scope(settings) as s:
        config = store.get_config(s, account_id)
        assert store.signing_secret(settings, config) == "plain-old-secret"
        assert store.signing_secret(settings, None) is None
