"""The account pages: credits and the ledger, API keys shown once, the webhook, the models."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.web.conftest import Browser
from ugen import catalog, service
from ugen.core.config import Settings
from ugen.store.api_keys import authenticate


def test_credits_page_shows_balance_and_ledger(browser: Callable[..., Browser]) -> None:
    page = browser(credits=750).client.get("/credits").text
    assert re.search(r'id="credit-balance">750<', page)
    assert re.search(r'id="credit-available">750<', page)
    assert "starter credits" in page and "bonus" in page


def test_api_key_is_shown_once_and_revoked(app_settings: Settings,
                                           browser: Callable[..., Browser]) -> None:
    b = browser()
    r = b.client.post("/settings/keys", data={"name": "Shop <b>sync</b>",
                                              "csrf_token": b.csrf})
    assert r.status_code == 201
    key = re.search(r'id="new-key" class="mono" readonly value="(ugen_sk_[^"]+)"', r.text)
    assert key is not None and "Shop &lt;b&gt;sync&lt;/b&gt;" in r.text
    assert authenticate(app_settings, key.group(1)) == b.account.account_id
    later = b.client.get("/settings").text
    assert key.group(1) not in later and key.group(1)[-4:] in later  # masked from now on
    key_id = service.api_keys_of(app_settings, b.account.account_id)[0].key_id
    stranger = browser()
    stranger.client.post(f"/settings/keys/{key_id}/revoke", data={"csrf_token": stranger.csrf})
    assert authenticate(app_settings, key.group(1)) == b.account.account_id
    r = b.client.post(f"/settings/keys/{key_id}/revoke", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303 and authenticate(app_settings, key.group(1)) is None
    empty = b.client.post("/settings/keys", data={"name": "  ", "csrf_token": b.csrf})
    assert empty.status_code == 422 and 'id="err-key-name"' in empty.text


def test_webhook_set_rotate_clear(app_settings: Settings,
                                  browser: Callable[..., Browser]) -> None:
    b = browser()
    bad = b.client.post("/settings/webhook", data={"webhook_url": "ftp://x",
                                                   "csrf_token": b.csrf})
    assert bad.status_code == 422 and "This URL is refused" in bad.text
    assert service.webhook_setting(app_settings, b.account.account_id).url is None
    url = "https://127.0.0.1:9/hook"
    r = b.client.post("/settings/webhook", data={"webhook_url": url, "csrf_token": b.csrf})
    first = re.search(r'id="new-secret" class="mono" readonly value="([^"]+)"', r.text)
    assert r.status_code == 200 and first is not None
    assert service.webhook_setting(app_settings, b.account.account_id).signed
    r = b.client.post("/settings/webhook", data={"webhook_url": url + "2",
                                                 "csrf_token": b.csrf})
    assert 'id="new-secret"' not in r.text  # the secret is kept, not shown again
    r = b.client.post("/settings/webhook/rotate", data={"csrf_token": b.csrf})
    second = re.search(r'id="new-secret" class="mono" readonly value="([^"]+)"', r.text)
    assert second is not None and second.group(1) != first.group(1)
    r = b.client.post("/settings/webhook/clear", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    assert service.webhook_setting(app_settings, b.account.account_id).url is None
    assert "No webhook set." in b.client.get("/settings").text
    assert b.client.post("/settings/webhook/rotate",
                         data={"csrf_token": b.csrf}).status_code == 409


def test_models_page_lists_capabilities_and_prices(browser: Callable[..., Browser]) -> None:
    page = browser().client.get("/models").text
    for model in catalog.video_models().values():
        assert model.name in page and f"{model.credits_per_unit} credits per" in page
    assert "3–10 s" in page and "9:16, 16:9, Auto, 1:1" in page


def test_catalog_media(browser: Callable[..., Browser]) -> None:
    client = browser().client
    persona = next(iter(catalog.personas()))
    r = client.get(f"/personas/{persona}.png")
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/personas/nobody.png").status_code == 404
    r = client.get("/voices/aria.ogg")
    assert r.status_code == 200 and r.content[:4] == b"OggS" and len(r.content) > 5000
    assert client.get("/voices/nobody.ogg").status_code == 404
    css = client.get("/captions.css")
    assert css.headers["content-type"].startswith("text/css") and "#FFE600" in css.text
