"""`ugen admin`: accounts, keys and credits for the HTTP API."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.api.conftest import headers
from ugen.cli import app
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import ApiKey

runner = CliRunner()
BALANCE = "/api/v1/credits/balance"


def test_admin_accounts_keys_and_credits(settings: Settings, client: TestClient) -> None:
    r = runner.invoke(app, ["admin", "create-account", "acme", "--credits", "250", "--json"])
    assert r.exit_code == 0, r.output
    created = json.loads(r.stdout)
    account_id, key = created["account_id"], created["api_key"]
    assert key.startswith("ugen_sk_")
    assert client.get(BALANCE, headers=headers(key)).json()["available_credits"] == 250

    r = runner.invoke(app, ["admin", "create-account", "acme", "--json"])
    assert r.exit_code == 2

    r = runner.invoke(app, ["admin", "grant-credits", account_id, "100"])
    assert r.exit_code == 0, r.output
    assert client.get(BALANCE, headers=headers(key)).json()["credit_balance"] == 350

    r = runner.invoke(app, ["admin", "create-key", account_id, "--name", "ci", "--json"])
    assert r.exit_code == 0, r.output
    second = json.loads(r.stdout)
    assert client.get(BALANCE, headers=headers(second["api_key"])).status_code == 200

    with session_scope(settings) as s:
        first_id = s.scalars(select(ApiKey.id).where(ApiKey.account_id == account_id,
                                                     ApiKey.name == "default")).one()
    r = runner.invoke(app, ["admin", "revoke-key", first_id])
    assert r.exit_code == 0, r.output
    assert client.get(BALANCE, headers=headers(key)).status_code == 401
    assert runner.invoke(app, ["admin", "revoke-key", "key_nope"]).exit_code == 2
    assert runner.invoke(app, ["admin", "grant-credits", "acct_nope", "5"]).exit_code == 2
