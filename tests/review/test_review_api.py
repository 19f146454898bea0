"""``GET/POST /api/v1/jobs/{job_id}/review``: what waits, decisions, and bad requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import account, client, create_job, make_account, upload  # noqa: F401
from tests.review.helpers import wait_pending, worker
from tests.utils.jobs import wait
from ugen import service

Account = tuple[str, str]


def _review(client: TestClient, key: str, job_id: str, body: Any) -> Any:  # noqa: F811
    return client.post(f"/api/v1/jobs/{job_id}/review", headers={"X-API-Key": key}, json=body)


def test_review_over_http(
    client: TestClient, account: Account,  # noqa: F811
    make_account: Callable[..., Account], create_job: Callable[..., Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = worker(monkeypatch)
    _, key = account
    _, stranger = make_account()
    r = create_job(key, human_review_max_rejections=1, stop_at_stage="init")
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    wait_pending(settings, job_id, {0})

    r = client.get(f"/api/v1/jobs/{job_id}/review", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "awaiting_review"
    assert body["human_review_max_rejections"] == 1
    assert body["human_review_budget"] == "accept_best"
    [pending] = body["pending"]
    assert (pending["keyframe"], pending["round"], pending["attempt"]) == (0, 0, 0)
    assert 0.0 <= pending["qa_score"] <= 1.0
    assert pending["image_url"].startswith("/api/v1/files/")
    image = client.get(pending["image_url"])
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/api/v1/jobs/{job_id}", headers={"X-API-Key": key}).json()[
        "status"] == "awaiting_review"

    # 422: malformed decisions are refused before anything is decided.
    bad: dict[str, Any]
    for bad in ({}, {"decisions": []}, {"decisions": [{"keyframe": 0}]},
                {"decisions": [{"keyframe": 0, "approved": False}]},
                {"decisions": [{"keyframe": 0, "approved": False, "reason": ""}]},
                {"decisions": [{"keyframe": 0, "approved": "yes"}]},
                {"decisions": [{"keyframe": -1, "approved": True}]},
                {"decisions": [{"keyframe": 0, "approved": True, "extra": 1}]},
                {"decisions": [{"keyframe": 0, "approved": False, "reason": "a\nb"}]}):
        r = _review(client, key, job_id, bad)
        assert r.status_code == 422, (bad, r.text)
    # 404: no such job, or another account's.
    assert _review(client, key, "nope", {"decisions": [
        {"keyframe": 0, "approved": True}]}).status_code == 404
    assert client.get("/api/v1/jobs/nope/review",
                      headers={"X-API-Key": key}).status_code == 404
    assert _review(client, stranger, job_id, {"decisions": [
        {"keyframe": 0, "approved": True}]}).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/review",
                      headers={"X-API-Key": stranger}).status_code == 404
    # 409: a keyframe that does not wait (all or nothing: keyframe 0 stays pending).
    r = _review(client, key, job_id, {"decisions": [
        {"keyframe": 0, "approved": True}, {"keyframe": 3, "approved": True}]})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "REVIEW_NOT_PENDING"
    assert service.job_view(settings, job_id).status == "awaiting_review"
    r = _review(client, key, job_id, {"decisions": [
        {"keyframe": 0, "approved": True}, {"keyframe": 0, "approved": False, "reason": "x"}]})
    assert r.status_code == 409, r.text

    r = _review(client, key, job_id, {"decisions": [{"keyframe": 0, "approved": True,
                                                     "reason": "looks right"}]})
    assert r.status_code == 200, r.text
    assert r.json()["pending"] == []
    [decided] = r.json()["decided"]
    assert (decided["keyframe"], decided["decision"], decided["reason"]) == (
        0, "approved", "looks right")
    # Decided already: 409 while the job moves on, and once it ended.
    r = _review(client, key, job_id, {"decisions": [{"keyframe": 0, "approved": True}]})
    assert r.status_code == 409, r.text

    assert wait(settings, job_id, timeout=60)["status"] == "stopped"
    r = _review(client, key, job_id, {"decisions": [{"keyframe": 0, "approved": True}]})
    assert r.status_code == 409 and "not awaiting_review" in r.json()["error"]["message"]


def test_review_from_the_cli(create_job: Callable[..., Any], account: Account,  # noqa: F811
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """``ugen review JOB`` lists what waits; ``--reject N:REASON`` / ``--approve N``
    decide; bad decisions exit non-zero and decide nothing."""
    from typer.testing import CliRunner

    from ugen.cli import app

    settings = worker(monkeypatch)
    _, key = account
    job_id = create_job(key, human_review_max_rejections=1, stop_at_stage="init").json()[
        "job_id"]
    wait_pending(settings, job_id, {0})
    runner = CliRunner()
    shown = runner.invoke(app, ["review", job_id])
    assert shown.exit_code == 0, shown.output
    assert "/api/v1/files/" in shown.output and "--reject N:REASON" in shown.output
    assert runner.invoke(app, ["review", job_id, "--reject", "0"]).exit_code == 2
    assert runner.invoke(app, ["review", job_id, "--approve", "3"]).exit_code == 1
    assert runner.invoke(app, ["review", "no-such-job"]).exit_code == 1
    assert [p.keyframe for p in wait_pending(settings, job_id, {0}).pending] == [0]
    rejected = runner.invoke(app, ["review", job_id, "--reject", "0:too dark", "--json"])
    assert rejected.exit_code == 0, rejected.output
    assert '"decision": "rejected"' in rejected.output and "too dark" in rejected.output
    state = wait_pending(settings, job_id, {0})  # made again, waiting in its second round
    assert state.pending[0].round == 1
    assert runner.invoke(app, ["review", job_id, "--approve", "0"]).exit_code == 0
    assert wait(settings, job_id, timeout=60)["status"] == "stopped"
