"""The HTTP API tests' fixtures (an app, accounts with keys, uploads), for variant sets."""

from tests.api.conftest import account, client, make_account, upload

__all__ = ["account", "client", "make_account", "upload"]
