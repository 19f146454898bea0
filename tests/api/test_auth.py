"""API keys: hashed storage, X-API-Key and Bearer, and 401 for missing, bad, revoked, expired."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import headers
from ugen.core.config import Settings
from ugen.store.api_keys import authenticate, create_api_key, hash_key, revoke_api_key
from ugen.store.db import session_scope
from ugen.store.models import ApiKey, utcnow

BALANCE = "/api/v1/credits/balance"


def _assert_401(r: object) -> None:
    assert r.status_code == 401  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert body["error"]["code"] == "UNAUTHORIZED"
    assert body["error"]["message"]
    assert body["error"]["details"] == {}


def test_missing_and_bad_keys_are_401(client: TestClient, account: tuple[str, str]) -> None:
    _assert_401(client.get(BALANCE))
    _assert_401(client.get(BALANCE, headers={"X-API-Key": "ugen_sk_nope"}))
    _assert_401(client.get(BALANCE, headers={"X-API-Key": "something-else"}))
    _assert_401(client.get(BALANCE, headers={"Authorization": "Bearer ugen_sk_nope"}))


def test_x_api_key_and_bearer_both_work(client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    r = client.get(BALANCE, headers=headers(key))
    assert r.status_code == 200
    assert r.json() == {"credit_balance": 1000, "credit_reserved": 0, "available_credits": 1000}
    assert client.get(BALANCE, headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_key_is_stored_hashed_and_masked(settings: Settings, account: tuple[str, str]) -> None:
    account_id, key = account
    with session_scope(settings) as s:
        row = s.scalars(select(ApiKey).where(ApiKey.account_id == account_id)).one()
        assert row.key_hash == hash_key(key) and key not in (row.key_hash, row.key_prefix)
        assert row.key_prefix == f"ugen_sk_...{key[-4:]}"
    assert authenticate(settings, key) == account_id
    with session_scope(settings) as s:
        assert s.get(ApiKey, row.id).last_used_at is not None  # type: ignore[union-attr]


def test_revoked_and_expired_keys_are_401(client: TestClient, settings: Settings,
                                          account: tuple[str, str]) -> None:
    account_id, first = account
    second = create_api_key(settings, account_id, name="rotation")
    revoke_api_key(settings, _key_id(settings, first))
    _assert_401(client.get(BALANCE, headers=headers(first)))
    assert client.get(BALANCE, headers=headers(second.api_key)).status_code == 200

    expired = create_api_key(settings, account_id, expires_at=utcnow() - timedelta(seconds=1))
    _assert_401(client.get(BALANCE, headers=headers(expired.api_key)))
    later = create_api_key(settings, account_id, expires_at=utcnow() + timedelta(days=1))
    assert client.get(BALANCE, headers=headers(later.api_key)).status_code == 200


def _key_id(settings: Settings, raw: str) -> str:
    with session_scope(settings) as s:
        return s.scalars(select(ApiKey.id).where(ApiKey.key_hash == hash_key(raw))).one()


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/jobs" in spec["paths"]
    assert client.get("/docs").status_code == 200
