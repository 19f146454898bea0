"""Jobs over HTTP: create, idempotency, credits, validation, read, list, cancel, retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import SMALL_JOB, headers
from ugen.core.types import STAGES

JOBS = "/api/v1/jobs"
CreateJob = Callable[..., Any]


def _balance(client: TestClient, key: str) -> dict[str, int]:
    data: dict[str, int] = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    return data


def test_create_job_reserves_credits(client: TestClient, account: tuple[str, str],
                                     create_job: CreateJob) -> None:
    _, key = account
    r = create_job(key)
    assert r.status_code == 201, r.text
    job = r.json()
    total = job["estimate"]["total"]
    assert job["status"] == "queued" and total > 0
    assert job["credits_reserved"] == total and job["credits_consumed"] == 0
    assert [s["name"] for s in job["stages"]] == list(STAGES)
    assert job["stages"][0]["status"] == "completed"
    assert job["params"]["video_model"] == "kling3_std"
    assert job["final_video_url"] is None
    assert {c["component"] for c in job["estimate"]["components"]} >= {"video_model"}
    assert _balance(client, key) == {"credit_balance": 1000, "credit_reserved": total,
                                     "available_credits": 1000 - total}

    got = client.get(f"{JOBS}/{job['job_id']}", headers=headers(key))
    assert got.status_code == 200
    assert got.json()["job_id"] == job["job_id"]
    assert got.json()["created_at"].endswith(("Z", "+00:00"))


def test_idempotency_key(client: TestClient, account: tuple[str, str],
                         upload: Callable[[str], str]) -> None:
    _, key = account
    body = {**SMALL_JOB, "product_image_url": upload(key), "idempotency_key": "order-42"}
    first = client.post(JOBS, headers=headers(key), json=body)
    assert first.status_code == 201
    again = client.post(JOBS, headers=headers(key), json=body)
    assert again.status_code == 200
    assert again.json()["job_id"] == first.json()["job_id"]
    assert _balance(client, key)["credit_reserved"] == first.json()["credits_reserved"]

    other = client.post(JOBS, headers=headers(key), json={**body, "segment_count": 2})
    assert other.status_code == 409
    err = other.json()["error"]
    assert err["code"] == "IDEMPOTENCY_CONFLICT"
    assert err["details"]["job_id"] == first.json()["job_id"]
    assert client.get(JOBS, headers=headers(key)).json()["total"] == 1


def test_insufficient_credits_is_402(client: TestClient, make_account: Callable[..., Any],
                                     create_job: CreateJob) -> None:
    _, key = make_account(credits=10)
    r = create_job(key)
    assert r.status_code == 402
    err = r.json()["error"]
    assert err["code"] == "INSUFFICIENT_CREDITS"
    assert err["details"]["available"] == 10 and err["details"]["required"] > 10
    assert client.get(JOBS, headers=headers(key)).json()["total"] == 0


def test_invalid_parameters_are_422_naming_the_field(
        client: TestClient, account: tuple[str, str], upload: Callable[[str], str]) -> None:
    _, key = account
    url = upload(key)

    def post(**fields: Any) -> Any:
        return client.post(JOBS, headers=headers(key),
                           json={"product_name": "P", "product_image_url": url, **fields})

    r = post(video_model="veo3_fast", aspect_ratio="1:1")
    assert r.status_code == 422 and "aspect_ratio 1:1" in r.text
    r = post(video_model="veo3", segment_duration=5)
    assert r.status_code == 422 and "segment_duration 5" in r.text
    r = post(segment_count=11)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "segment_count"]

    r = client.post(JOBS, headers=headers(key), json={"product_name": "P"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "product_image_url"]
    r = post(product_image_url="ftp://example.com/p.png")
    assert r.status_code == 422 and "absolute http(s) URL" in r.text
    r = post(product_image_url="ugen://uploads/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "product_image_url"]
    for hook in ("http://127.0.0.1:9/hook", "https://169.254.169.254/x", "ftp://example.com"):
        r = post(webhook_url=hook)
        assert r.status_code == 422, hook
        assert r.json()["detail"][0]["loc"] == ["body", "webhook_url"]
    balance = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    assert balance["credit_reserved"] == 0  # no refused request moved credits


def test_another_accounts_job_and_upload_are_404(
        client: TestClient, make_account: Callable[..., Any], create_job: CreateJob,
        upload: Callable[[str], str]) -> None:
    _, mine = make_account()
    _, theirs = make_account()
    job_id = create_job(mine).json()["job_id"]
    for method, path in [("GET", f"{JOBS}/{job_id}"), ("POST", f"{JOBS}/{job_id}/cancel"),
                         ("POST", f"{JOBS}/{job_id}/retry"), ("GET", f"{JOBS}/{job_id}/video")]:
        r = client.request(method, path, headers=headers(theirs))
        assert r.status_code == 404, (method, path)
        assert r.json()["error"]["code"] == "JOB_NOT_FOUND"
    assert client.get(JOBS, headers=headers(theirs)).json()["total"] == 0
    r = client.post(JOBS, headers=headers(theirs),
                    json={**SMALL_JOB, "product_image_url": upload(mine)})
    assert r.status_code == 422


def test_list_paginates_and_filters_cancel_releases(
        client: TestClient, account: tuple[str, str], create_job: CreateJob) -> None:
    _, key = account
    first = create_job(key).json()
    second = create_job(key).json()

    r = client.post(f"{JOBS}/{first['job_id']}/cancel", headers=headers(key))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["credits_reserved"] == 0
    assert _balance(client, key)["credit_reserved"] == second["credits_reserved"]
    again = client.post(f"{JOBS}/{first['job_id']}/cancel", headers=headers(key))
    assert again.status_code == 409 and again.json()["error"]["code"] == "JOB_STATE_CONFLICT"

    page = client.get(f"{JOBS}?page_size=1", headers=headers(key)).json()
    assert (page["total"], page["page"], page["page_size"], page["total_pages"]) == (2, 1, 1, 2)
    assert page["items"][0]["job_id"] == second["job_id"]
    page2 = client.get(f"{JOBS}?page=2&page_size=1", headers=headers(key)).json()
    assert page2["items"][0]["job_id"] == first["job_id"]
    cancelled = client.get(f"{JOBS}?status=cancelled", headers=headers(key)).json()
    assert [j["job_id"] for j in cancelled["items"]] == [first["job_id"]]
    assert client.get(f"{JOBS}?status=bogus", headers=headers(key)).status_code == 422
    assert client.get(f"{JOBS}?page_size=101", headers=headers(key)).status_code == 422

    # A queued job cannot be retried; the cancelled one can.
    r = client.post(f"{JOBS}/{second['job_id']}/retry", headers=headers(key))
    assert r.status_code == 409 and r.json()["error"]["code"] == "JOB_STATE_CONFLICT"
    r = client.post(f"{JOBS}/{first['job_id']}/retry", headers=headers(key),
                    json={"from_stage": "agents"})
    assert r.status_code == 200, r.text
    retry = r.json()
    assert retry["from_stage"] == "agents" and retry["run_number"] == 2
    assert retry["credits_reserved"] > 0
    r = client.post(f"{JOBS}/{first['job_id']}/retry", headers=headers(key),
                    json={"from_stage": "nope"})
    assert r.status_code == 422


def test_unknown_job_and_unfinished_downloads(client: TestClient, account: tuple[str, str],
                                              create_job: CreateJob) -> None:
    _, key = account
    r = client.get(f"{JOBS}/does-not-exist", headers=headers(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"
    job_id = create_job(key).json()["job_id"]
    r = client.get(f"{JOBS}/{job_id}/video", headers=headers(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "OUTPUT_NOT_READY"
