"""The models page's Try form: it queues a try, shows its progress and then its video."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from ugen import service
from ugen.core.config import Settings
from ugen.store.api_keys import create_account
from ugen.web import create_site


@pytest.fixture
def site(settings: Settings, worker: None) -> Iterator[TestClient]:
    with TestClient(create_site(settings), base_url="http://testserver") as client:
        yield client


def sign_in(settings: Settings, client: TestClient, credits: int = 1000) -> str:
    """Sign ``client`` in as a new account; the page's CSRF token."""
    account_id, _ = create_account(settings, f"web-{time.monotonic_ns()}", credits)
    token = service.create_login_link(settings, account_id)
    assert client.get(f"/login/link?token={token}", follow_redirects=False).status_code == 303
    return csrf_of(client.get("/models").text)


def panel_until_done(client: TestClient, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = client.get(f"/models/tasks/{task_id}/panel")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["done"]:
            return body
        assert 'data-panel-url' in body["html"] and "<progress" in body["html"]
        time.sleep(0.1)
    raise TimeoutError(task_id)


def test_try_form_queues_a_try_and_shows_its_video(settings: Settings,
                                                   site: TestClient) -> None:
    csrf = sign_in(settings, site)
    page = site.get("/models").text
    assert 'action="/models/kling3_std/try"' in page and "playground.js" in page
    assert "3 s · 15 credits" in page  # the price of each length, per model
    r = site.post("/models/kling3_std/try", follow_redirects=False, data={
        "csrf_token": csrf, "prompt": "The bottle turns on a marble table",
        "aspect_ratio": "1:1", "duration": "3", "first_frame": ""})
    assert r.status_code == 303, r.text
    task_id = re.fullmatch(r"/models\?task=([0-9a-f-]+)#try-task", r.headers["location"])
    assert task_id is not None
    shown = site.get(r.headers["location"]).text
    assert 'id="try-task"' in shown and "15 credits" in shown
    done = panel_until_done(site, task_id.group(1))
    assert done["status"] == "completed"
    assert re.search(r'<video [^>]*src="/api/v1/models/tasks/[0-9a-f-]+/video\?expires=\d+&amp;'
                     r'signature=[0-9a-f]+"', done["html"])
    assert "data-panel-url" not in done["html"]  # the script stops following it
    assert "Your recent tries" in site.get("/models").text


def test_try_form_errors_are_shown_beside_the_form(settings: Settings,
                                                   site: TestClient) -> None:
    csrf = sign_in(settings, site, credits=10)
    r = site.post("/models/kling3_std/try", data={
        "csrf_token": csrf, "prompt": "x", "aspect_ratio": "1:1", "duration": "11"})
    assert r.status_code == 422
    assert "Duration must be one of 3, 4, 5" in r.text
    r = site.post("/models/kling3_std/try", data={
        "csrf_token": csrf, "prompt": "x", "aspect_ratio": "1:1", "duration": "3"})
    assert r.status_code == 402
    assert "Not enough credits: this try needs 15 and 10 are available." in r.text
    r = site.post("/models/kling3_std/try", data={"prompt": "x", "duration": "3"})
    assert r.status_code == 403  # no CSRF token
    assert site.get("/models/tasks/nope/panel").status_code == 404
