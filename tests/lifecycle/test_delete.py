"""Deleting a job over HTTP and from the CLI: its files go, its ledger lines stay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.api.conftest import headers
from tests.core.test_credits import assert_ledger_balances
from ugen.cli import app
from ugen.core.config import Settings
from ugen.store import jobs as job_store
from ugen.store.artifacts import artifact_store
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction, JobEvent, JobStage
from ugen.store.signed_urls import sign_artifact

JOBS = "/api/v1/jobs"
runner = CliRunner()


def _ledger(settings: Settings, account_id: str) -> list[tuple[int, str, int]]:
    with session_scope(settings) as s:
        return [(t.id, t.type, t.amount) for t in s.scalars(
            select(CreditTransaction).where(CreditTransaction.account_id == account_id)
            .order_by(CreditTransaction.id))]


def _rows_of(settings: Settings, job_id: str) -> int:
    with session_scope(settings) as s:
        return sum(s.scalar(select(func.count()).select_from(model)
                            .where(model.job_id == job_id)) or 0
                   for model in (JobStage, JobEvent))


@pytest.fixture
def finished(settings: Settings, client: TestClient, account: tuple[str, str],
             create_job: Callable[..., Any], tmp_path: Path) -> dict[str, Any]:
    """A job that was cancelled (credits reserved, then released) and then given a final
    video and poster in the store, marked completed; plus work files on this machine."""
    account_id, key = account
    job_id = create_job(key).json()["job_id"]
    assert client.post(f"{JOBS}/{job_id}/cancel", headers=headers(key)).status_code == 200
    store = artifact_store(settings)
    (tmp_path / "final.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000)
    (tmp_path / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0poster")
    store.put_file(store.key(job_id, "final.mp4"), tmp_path / "final.mp4")
    store.put_file(store.key(job_id, "poster.jpg"), tmp_path / "poster.jpg")
    with session_scope(settings) as s:
        job_store.set_job_fields(s, job_id, only_if_active=False, status="completed",
                                 final_video=f"{job_id}/final.mp4",
                                 thumbnail=f"{job_id}/poster.jpg")
    scratch = settings.work_dir / job_id / "run1" / "audio"
    scratch.mkdir(parents=True)
    (scratch / "line_00.wav").write_bytes(b"RIFF" + b"\x00" * 100)
    return {"job_id": job_id, "key": key, "account_id": account_id}


def test_delete_job_removes_files_and_keeps_ledger(settings: Settings, client: TestClient,
                                                   finished: dict[str, Any]) -> None:
    job_id, key, account_id = finished["job_id"], finished["key"], finished["account_id"]
    file_url = sign_artifact(settings, job_id, f"{job_id}/final.mp4")
    assert client.get(f"{JOBS}/{job_id}/video", headers=headers(key)).status_code == 200
    assert client.get(file_url).status_code == 200
    ledger_before = _ledger(settings, account_id)
    assert [t for _, t, _ in ledger_before] == ["bonus", "reserve", "release"]
    balance = client.get("/api/v1/credits/balance", headers=headers(key)).json()
    assert _rows_of(settings, job_id) > 0

    r = client.delete(f"{JOBS}/{job_id}", headers=headers(key))
    assert r.status_code == 204, r.text
    assert r.content == b""

    got = client.get(f"{JOBS}/{job_id}", headers=headers(key))
    assert got.status_code == 404 and got.json()["error"]["code"] == "JOB_NOT_FOUND"
    assert client.get(f"{JOBS}/{job_id}/video", headers=headers(key)).status_code == 404
    assert client.get(f"{JOBS}/{job_id}/stages", headers=headers(key)).status_code == 404
    assert client.get(file_url).status_code == 404
    assert client.get(JOBS, headers=headers(key)).json()["total"] == 0
    assert not (settings.artifacts_dir / job_id).exists()
    assert list(artifact_store(settings).iter_keys(f"{job_id}/")) == []
    assert not (settings.work_dir / job_id).exists()
    assert _rows_of(settings, job_id) == 0
    assert _ledger(settings, account_id) == ledger_before
    assert client.get("/api/v1/credits/balance", headers=headers(key)).json() == balance
    assert_ledger_balances(settings, account_id)

    again = client.delete(f"{JOBS}/{job_id}", headers=headers(key))
    assert again.status_code == 404


def test_delete_job_of_another_account_is_404(settings: Settings, client: TestClient,
                                              finished: dict[str, Any],
                                              make_account: Callable[..., Any]) -> None:
    _, other_key = make_account()
    job_id = finished["job_id"]
    r = client.delete(f"{JOBS}/{job_id}", headers=headers(other_key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"
    assert client.get(f"{JOBS}/{job_id}", headers=headers(finished["key"])).status_code == 200
    assert (settings.artifacts_dir / job_id / "final.mp4").is_file()


def test_delete_unknown_job_is_404(client: TestClient, account: tuple[str, str]) -> None:
    _, key = account
    r = client.delete(f"{JOBS}/3f1c2b0e-0000-4000-8000-000000000000", headers=headers(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "JOB_NOT_FOUND"


def test_delete_queued_job_is_409_until_cancelled(settings: Settings, client: TestClient,
                                                 account: tuple[str, str],
                                                 create_job: Callable[..., Any]) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    r = client.delete(f"{JOBS}/{job_id}", headers=headers(key))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "JOB_ACTIVE" and err["details"] == {"status": "queued"}
    assert client.get(f"{JOBS}/{job_id}", headers=headers(key)).json()["status"] == "queued"
    assert (settings.artifacts_dir / job_id).is_dir()
    assert client.post(f"{JOBS}/{job_id}/cancel", headers=headers(key)).status_code == 200
    assert client.delete(f"{JOBS}/{job_id}", headers=headers(key)).status_code == 204


def test_cli_delete_removes_job_after_cancel(settings: Settings, product_image: Path) -> None:
    submitted = runner.invoke(app, ["submit", str(product_image), "--product-name", "Glow",
                                    "--video-model", "kling3_std", "--segment-duration", "3",
                                    "--segment-count", "1", "--stop-at-stage", "agents"])
    assert submitted.exit_code == 0, submitted.stderr
    job_id = submitted.stdout.strip().splitlines()[-1]
    active = runner.invoke(app, ["delete", job_id])
    assert active.exit_code == 2 and "cancel it first" in active.stderr
    assert runner.invoke(app, ["cancel", job_id]).exit_code == 0
    size = sum(o.size for o in artifact_store(settings).iter_keys(f"{job_id}/"))
    assert size > 0
    deleted = runner.invoke(app, ["delete", job_id, "--json"])
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"job_id": job_id, "bytes_freed": size,
                                          "artifacts_left": False}
    assert not (settings.artifacts_dir / job_id).exists()
    shown = runner.invoke(app, ["show", job_id])
    assert shown.exit_code == 1 and "no job" in shown.stderr
    again = runner.invoke(app, ["delete", job_id])
    assert again.exit_code == 1 and "no job" in again.stderr
    assert_ledger_balances(settings, settings.default_account)
