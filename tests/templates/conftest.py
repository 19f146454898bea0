"""The API tests' fixtures (an app on the test's database, accounts with keys, uploads)."""

from __future__ import annotations

from tests.api.conftest import account, client, create_job, make_account, upload

__all__ = ["account", "client", "create_job", "make_account", "upload"]
