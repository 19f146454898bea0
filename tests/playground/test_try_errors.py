"""The Playground refuses what it cannot make or bill, hides other accounts' tasks, and a
failing provider releases the credits with the reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.playground.conftest import keyed, wait_task
from tests.playground.test_try import balance, ledger_of
from ugen.core.config import Settings
from ugen.providers import registry
from ugen.providers.base import SegmentRequest, VideoPoll
from ugen.store.db import session_scope
from ugen.store.playground import PlaygroundTask

TRY = {"prompt": "The bottle spins", "duration": 3, "aspect_ratio": "1:1"}


class RefusingVideo:
    """A video provider that takes the task and then fails it, saying why."""

    def __init__(self) -> None:
        self.submitted: list[SegmentRequest] = []

    def submit(self, request: SegmentRequest) -> str:
        self.submitted.append(request)
        return "lv-refused0"

    def poll(self, task_id: str) -> VideoPoll:
        return VideoPoll("failed", error="the scene was refused by the vendor's filter")


@pytest.fixture
def refusing(settings: Settings) -> Iterator[RefusingVideo]:
    video = RefusingVideo()
    registry.set_override(replace(registry.build_providers(settings), video=video))
    yield video
    registry.set_override(None)


def tasks_count(settings: Settings) -> int:
    with session_scope(settings) as s:
        return int(s.scalar(select(func.count()).select_from(PlaygroundTask)) or 0)


def test_failing_provider_releases_credits_and_says_why(
        client: TestClient, make_account: Callable[..., tuple[str, str]],
        refusing: RefusingVideo) -> None:
    _, key = make_account(100)
    r = client.post("/api/v1/models/kling3_pro/try", headers=keyed(key), json=TRY)
    assert r.status_code == 202, r.text
    assert r.json()["credits_reserved"] == 21  # kling3_pro: 7 credits a second
    done = wait_task(client, key, r.json()["task_id"])
    assert done["status"] == "failed" and done["credits_charged"] == 0
    assert done["video_url"] is None
    assert done["error"]["code"] == "PROVIDER_ERROR"
    assert "refused by the vendor's filter" in done["error"]["message"]
    assert [req.model_id for req in refusing.submitted] == ["kling3_pro"]
    rows = ledger_of(client, key, done["task_id"])
    assert [(r["type"], r["amount"]) for r in rows] == [("release", 21), ("reserve", -21)]
    assert "failed" in str(rows[0]["description"])
    assert balance(client, key)["available_credits"] == 100


@pytest.mark.parametrize(("model", "body", "field"), [
    ("kling3_4k", {"aspect_ratio": "auto"}, "aspect_ratio"),
    ("kling3_std", {"duration": 11}, "duration"),
    ("veo3_fast", {"duration": 5, "aspect_ratio": "9:16"}, "duration"),
    ("kling3_std", {"resolution": "1080p"}, "resolution"),
    ("kling3_std", {"first_frame": "4b0c2f4e-6f43-4b7e-9a55-0d6a2a1c3b7e"}, "first_frame"),
    ("kling3_std", {"last_frame": "not-an-upload"}, "last_frame"),
    ("kling3_std", {"prompt": ""}, "prompt"),
    ("kling3_std", {"prompt": "   "}, "prompt"),
    ("kling3_std", {"fps": 60}, "fps"),
])
def test_bad_options_are_422_and_reserve_nothing(
        api_client: TestClient, settings: Settings, make_account: Callable[..., tuple[str, str]],
        model: str, body: dict[str, Any], field: str) -> None:
    _, key = make_account(1000)
    r = api_client.post(f"/api/v1/models/{model}/try", headers=keyed(key),
                        json={**TRY, **body})
    assert r.status_code == 422, r.text
    assert [e["loc"][-1] for e in r.json()["detail"]] == [field]
    assert balance(api_client, key)["credit_reserved"] == 0
    assert tasks_count(settings) == 0


def test_unknown_model_is_404(api_client: TestClient,
                              make_account: Callable[..., tuple[str, str]]) -> None:
    _, key = make_account()
    r = api_client.post("/api/v1/models/sora-9/try", headers=keyed(key), json=TRY)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "MODEL_NOT_FOUND"
    assert "kling3_std" in r.json()["error"]["details"]["available"]


def test_short_balance_is_402(api_client: TestClient, settings: Settings,
                              make_account: Callable[..., tuple[str, str]]) -> None:
    _, key = make_account(10)
    r = api_client.post("/api/v1/models/kling3_std/try", headers=keyed(key), json=TRY)
    assert r.status_code == 402, r.text
    assert r.json()["error"] == {"code": "INSUFFICIENT_CREDITS",
                                 "message": "Insufficient credits",
                                 "details": {"required": 15, "available": 10}}
    assert tasks_count(settings) == 0
    assert balance(api_client, key)["credit_reserved"] == 0


def test_other_accounts_task_is_404_and_no_key_is_401(
        client: TestClient, make_account: Callable[..., tuple[str, str]],
        refusing: RefusingVideo) -> None:
    _, mine = make_account()
    _, theirs = make_account()
    task_id = client.post("/api/v1/models/kling3_std/try", headers=keyed(mine),
                          json=TRY).json()["task_id"]
    r = client.get(f"/api/v1/models/tasks/{task_id}", headers=keyed(theirs))
    assert r.status_code == 404 and r.json()["error"]["code"] == "TASK_NOT_FOUND"
    assert client.get("/api/v1/models/tasks/nope", headers=keyed(mine)).status_code == 404
    assert client.get(f"/api/v1/models/tasks/{task_id}").status_code == 401
    assert client.post("/api/v1/models/kling3_std/try", json=TRY).status_code == 401
    assert client.get(f"/api/v1/models/tasks/{task_id}/video").status_code == 403
    wait_task(client, mine, task_id)
