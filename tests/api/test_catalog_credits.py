"""Models, personas, voices, credit balance, transactions and the estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import SMALL_JOB, headers
from ugen import catalog
from ugen.core.estimate import estimate
from ugen.core.schemas import JobOptions


def test_models_list_and_detail(client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    r = client.get("/api/v1/models", headers=headers(key))
    assert r.status_code == 200
    models = r.json()
    assert isinstance(models, list)
    assert {m["id"] for m in models} == set(catalog.video_models())
    kling = next(m for m in models if m["id"] == "kling3_std")
    assert "1:1" in kling["capabilities"]["supported_aspect_ratios"]
    assert kling["capabilities"]["supported_durations"] == list(range(3, 11))
    assert {"resolution", "supports_sound", "supports_elements"} <= set(kling["capabilities"])
    assert kling["pricing"]["unit"] == "second"

    r = client.get("/api/v1/models/veo3_fast", headers=headers(key))
    assert r.status_code == 200 and r.json()["capabilities"]["supported_durations"] == [8]
    r = client.get("/api/v1/models/sora-2", headers=headers(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MODEL_NOT_FOUND"


def test_personas_and_voices(client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    personas = client.get("/api/v1/personas", headers=headers(key)).json()
    assert personas["total"] == len(catalog.personas()) and personas["page"] == 1
    assert {"id", "name", "voice_id"} <= set(personas["items"][0])
    voices = client.get("/api/v1/voices?page_size=2", headers=headers(key)).json()
    assert len(voices["items"]) == min(2, len(catalog.voices()))
    assert voices["total_pages"] == -(-len(catalog.voices()) // 2)


def test_estimate_is_a_breakdown_by_component(client: TestClient,
                                              account: tuple[str, str]) -> None:
    _, key = account
    body = {k: v for k, v in SMALL_JOB.items() if k != "product_name"}
    r = client.post("/api/v1/credits/estimate", headers=headers(key), json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    expected = estimate(JobOptions.model_validate(SMALL_JOB))
    assert data["total"] == expected.total
    assert sum(c["credits"] for c in data["components"]) == data["total"]
    names = {c["component"] for c in data["components"]}
    assert {"keyframes", "video_model", "voice_over", "music", "post_processing"} <= names
    r = client.post("/api/v1/credits/estimate", headers=headers(key),
                    json={"video_model": "veo3_fast", "segment_duration": 5})
    assert r.status_code == 422


def test_transactions_envelope_and_job_filter(client: TestClient, account: tuple[str, str],
                                              create_job: Callable[..., Any]) -> None:
    _, key = account
    job = create_job(key).json()
    r = client.get("/api/v1/credits/transactions", headers=headers(key))
    assert r.status_code == 200
    data = r.json()
    assert data["total"] == 2 and data["page_size"] == 20 and data["total_pages"] == 1
    assert [t["type"] for t in data["items"]] == ["reserve", "bonus"]
    reserve = data["items"][0]
    assert reserve["amount"] == -job["estimate"]["total"]
    assert reserve["balance_before"] == reserve["balance_after"] == 1000
    r = client.get(f"/api/v1/credits/transactions?job_id={job['job_id']}&page_size=1",
                   headers=headers(key))
    assert r.json()["total"] == 1 and r.json()["items"][0]["job_id"] == job["job_id"]
    r = client.get("/api/v1/credits/transactions?page_size=101", headers=headers(key))
    assert r.status_code == 422
