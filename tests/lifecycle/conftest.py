"""The HTTP API's fixtures (app, accounts, uploads, job creation), shared with these tests."""

from __future__ import annotations

from tests.api.conftest import account, client, create_job, make_account, upload

__all__ = ["account", "client", "create_job", "make_account", "upload"]
