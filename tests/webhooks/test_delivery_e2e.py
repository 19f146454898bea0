"""End to end: a job made over HTTP ends, its webhook is signed, retried and logged."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.webhooks.conftest import Receiver
from ugen import service
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.core.schemas import JobOptions
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline.worker import start_worker
from ugen.providers import registry
from ugen.providers.base import KeyframeRequest, PermanentProviderError
from ugen.store.db import session_scope
from ugen.store.models import WebhookConfig
from ugen.webhooks.secrets import seal

SECRET = "4f3c" * 16  # like `openssl rand -hex 32`
JOB = {**SMALL_JOB, "stop_at_stage": None, "music_enabled": False, "aspect_ratio": "1:1"}


def _dev_client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    """An API whose settings (and the worker's) accept the loopback receiver."""
    monkeypatch.setenv("UGEN_ALLOW_PRIVATE_URLS", "1")
    return TestClient(create_app(get_settings()))


def _create_job(c: TestClient, key: str, **fields: Any) -> str:
    r = c.post("/api/v1/uploads/product-image", headers=headers(key),
               files={"file": ("photo.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    r = c.post("/api/v1/jobs", headers=headers(key),
               json={**JOB, "product_image_url": r.json()["url"], **fields})
    assert r.status_code == 201, r.text
    job_id: str = r.json()["job_id"]
    return job_id


def _wait_job(c: TestClient, key: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        job: dict[str, Any] = c.get(f"/api/v1/jobs/{job_id}", headers=headers(key)).json()
        if job["status"] in TERMINAL_STATUSES or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def _wait_attempts(c: TestClient, key: str, job_id: str,
                   done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        r = c.get("/api/v1/tenants/me/webhook/deliveries", headers=headers(key),
                  params={"job_id": job_id})
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = sorted(r.json()["items"], key=lambda i: i["attempt"])
        if done(items) or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_completed_job_webhook_retried_until_accepted(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, key = account
    rec = receiver(SECRET, [500, 500])
    with _dev_client(monkeypatch) as c:
        r = c.put("/api/v1/tenants/me/webhook", headers=headers(key),
                  json={"webhook_url": rec.url, "webhook_secret": SECRET})
        assert r.status_code == 200, r.text
        start_worker(get_settings())
        job_id = _create_job(c, key)
        job = _wait_job(c, key, job_id)
        assert job["status"] == "completed", job
        items = _wait_attempts(c, key, job_id,
                               lambda it: any(i["state"] == "delivered" for i in it))

    assert [i["status_code"] for i in items] == [500, 500, 200]
    assert [i["state"] for i in items] == ["failed", "failed", "delivered"]
    with session_scope(settings) as s:  # signed with a secret the database does not show
        stored = s.get(WebhookConfig, account_id)
        assert stored is not None and stored.webhook_secret is not None
        assert SECRET not in stored.webhook_secret
    assert all(isinstance(i["latency_ms"], int) and i["latency_ms"] >= 0 for i in items)
    assert items[0]["error"] == "HTTP 500" and items[2]["error"] is None
    assert len({i["delivery_id"] for i in items}) == 1
    assert items[0]["next_attempt_at"] is not None and items[2]["next_attempt_at"] is None

    time.sleep(0.5)  # nothing more arrives after the accepted attempt
    assert [x.answered for x in rec.received] == [500, 500, 200]
    assert all(x.ugen_ok and x.standard_ok for x in rec.received)
    assert {x.headers["webhook-id"] for x in rec.received} == {items[0]["delivery_id"]}
    assert all(x.headers["content-type"] == "application/json" for x in rec.received)
    payload = rec.received[2].json()
    assert set(payload) == {"event", "job_id", "status", "final_video_url", "thumbnail_url",
                            "credits_consumed", "error_message", "timestamp"}
    assert payload["event"] == "job.completed" and payload["status"] == "completed"
    assert payload["job_id"] == job_id
    # Signed URLs: the same file, each signed when it was given out.
    assert payload["final_video_url"].split("?")[0] == job["final_video_url"].split("?")[0] \
        == f"/api/v1/files/{job_id}/final.mp4"
    assert payload["thumbnail_url"].split("?")[0] == job["thumbnail_url"].split("?")[0]
    assert payload["credits_consumed"] == job["credits_consumed"] > 0
    assert payload["error_message"] is None
    assert payload["timestamp"].endswith("Z") and payload["timestamp"][:10] == \
        job["finished_at"][:10]
    assert items[2]["payload"] == payload


class FailingKeyframes:
    def generate_keyframe(self, request: KeyframeRequest) -> Any:
        raise PermanentProviderError("the keyframe vendor refused", provider="test")


def test_failed_job_webhook_to_per_job_url_unsigned(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-job webhook_url wins over the tenant URL; without a secret, no signature."""
    _, key = account
    tenant = receiver(None, [])
    per_job = receiver(None, [])
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with _dev_client(monkeypatch) as c:
        c.put("/api/v1/tenants/me/webhook", headers=headers(key),
              json={"webhook_url": tenant.url})
        start_worker(get_settings())
        job_id = _create_job(c, key, webhook_url=per_job.url)
        job = _wait_job(c, key, job_id)
        assert job["status"] == "failed", job
        items = _wait_attempts(c, key, job_id, lambda it: bool(it) and
                               it[-1]["state"] == "delivered")
    assert [i["status_code"] for i in items] == [200]
    assert tenant.received == []
    [got] = per_job.received
    assert "x-ugen-signature" not in got.headers and "webhook-signature" not in got.headers
    payload = got.json()
    assert payload["event"] == "job.failed" and payload["status"] == "failed"
    assert payload["final_video_url"] is None and payload["thumbnail_url"] is None
    assert "the keyframe vendor refused" in payload["error_message"]
    assert payload["error_message"] == job["error_message"]


def test_no_webhook_configured_no_delivery(settings: Settings, account: tuple[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _, key = account
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with _dev_client(monkeypatch) as c:
        start_worker(get_settings())
        job_id = _create_job(c, key)
        assert _wait_job(c, key, job_id)["status"] == "failed"
        time.sleep(0.3)
        r = c.get("/api/v1/tenants/me/webhook/deliveries", headers=headers(key))
        assert r.json() == {"items": [], "total": 0, "page": 1, "page_size": 20,
                            "total_pages": 0}


def test_gives_up_after_max_attempts_and_never_sends_twice(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, key = account
    monkeypatch.setenv("UGEN_WEBHOOK_MAX_ATTEMPTS", "3")
    rec = receiver("k", [503, 503, 503, 503])
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with _dev_client(monkeypatch) as c:
        c.put("/api/v1/tenants/me/webhook", headers=headers(key),
              json={"webhook_url": rec.url, "webhook_secret": "k"})
        start_worker(get_settings())
        job_id = _create_job(c, key)
        assert _wait_job(c, key, job_id)["status"] == "failed"
        items = _wait_attempts(c, key, job_id, lambda it: len(it) == 3 and
                               it[-1]["state"] != "pending")
        assert [(i["attempt"], i["status_code"], i["state"]) for i in items] == [
            (1, 503, "failed"), (2, 503, "failed"), (3, 503, "failed")]
        assert items[-1]["next_attempt_at"] is None
        # The job's end hook again (a replayed step): same delivery id, same workflow.
        from ugen.webhooks.delivery import notify_job_ended

        notify_job_ended(job_id, 1)
        time.sleep(0.5)
        r = c.get("/api/v1/tenants/me/webhook/deliveries", headers=headers(key),
                  params={"page_size": 2, "page": 2})
        assert r.json()["total"] == 3 and r.json()["total_pages"] == 2
        assert len(r.json()["items"]) == 1
    assert len(rec.received) == 3


def test_private_per_job_url_refused_at_delivery(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        tmp_path: Path) -> None:
    """Without UGEN_ALLOW_PRIVATE_URLS a loopback per-job URL is never called.

    The API refuses such a URL at creation; a job submitted another way (the service layer,
    as the CLI does) is still checked again when the webhook is sent.
    """
    account_id, key = account
    rec = receiver(None, [])
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with TestClient(create_app(settings)) as c:
        start_worker(settings)
        uploaded = c.post("/api/v1/uploads/product-image", headers=headers(key),
                          files={"file": ("photo.png", png_bytes(), "image/png")})
        refused = c.post("/api/v1/jobs", headers=headers(key),
                         json={**JOB, "product_image_url": uploaded.json()["url"],
                               "webhook_url": rec.url})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "webhook_url"]
        image = tmp_path / "product.png"
        image.write_bytes(png_bytes())
        options = JobOptions.model_validate({**JOB, "webhook_url": rec.url})
        job_id = service.submit_job(settings, account_id=account_id, options=options,
                                    image=image).id
        assert _wait_job(c, key, job_id)["status"] == "failed"
        items = _wait_attempts(c, key, job_id, lambda it: bool(it) and
                               it[-1]["state"] == "failed")
    assert len(items) == 1 and items[0]["status_code"] is None
    assert items[0]["error"].startswith("refused URL")
    assert rec.received == []


def _config_row(settings: Settings, account_id: str, url: str, stored_secret: str) -> None:
    with session_scope(settings) as s:
        s.add(WebhookConfig(account_id=account_id, webhook_url=url,
                            webhook_secret=stored_secret))


def test_secret_saved_before_encryption_still_signs(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, key = account
    rec = receiver("plain-secret-of-old", [])
    _config_row(settings, account_id, rec.url, "plain-secret-of-old")
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with _dev_client(monkeypatch) as c:
        start_worker(get_settings())
        job_id = _create_job(c, key)
        assert _wait_job(c, key, job_id)["status"] == "failed"
        items = _wait_attempts(c, key, job_id, lambda it: bool(it) and
                               it[-1]["state"] != "pending")
    assert [i["state"] for i in items] == ["delivered"]
    [got] = rec.received
    assert got.ugen_ok and got.standard_ok


def test_secret_that_does_not_decrypt_is_never_sent_unsigned(
        settings: Settings, account: tuple[str, str], receiver: Callable[..., Receiver],
        monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, key = account
    rec = receiver(None, [])
    elsewhere = settings.model_copy(update={"secret_key": SecretStr("another deployment")})
    _config_row(settings, account_id, rec.url, seal(elsewhere, SECRET, account_id=account_id))
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, keyframes=FailingKeyframes()))
    with _dev_client(monkeypatch) as c:
        start_worker(get_settings())
        job_id = _create_job(c, key)
        assert _wait_job(c, key, job_id)["status"] == "failed"
        items = _wait_attempts(c, key, job_id, lambda it: bool(it) and
                               it[-1]["state"] != "pending")
    assert [(i["state"], i["status_code"]) for i in items] == [("failed", None)]
    assert "UGEN_SECRET_KEY" in items[0]["error"] and SECRET not in items[0]["error"]
    assert rec.received == []
