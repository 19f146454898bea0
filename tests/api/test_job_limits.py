"""Per-account job limits: concurrent (queued + running) and per rolling 24 h, as 429."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.api.conftest import headers
from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from ugen import service
from ugen.core.config import Settings
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.limits import JobLimitError, JobLimits, admit_job
from ugen.store.models import Account, CreditTransaction, Job, utcnow

CreateJob = Callable[..., Any]


def _jobs(settings: Settings, account_id: str) -> int:
    with session_scope(settings) as s:
        return int(s.scalar(select(func.count()).select_from(Job)
                            .where(Job.account_id == account_id)) or 0)


def _reserves(settings: Settings, account_id: str) -> int:
    with session_scope(settings) as s:
        return int(s.scalar(select(func.count()).select_from(CreditTransaction)
                            .where(CreditTransaction.account_id == account_id,
                                   CreditTransaction.type == "reserve")) or 0)


def test_create_job_over_concurrent_limit_429(settings: Settings, client: TestClient,
                                              account: tuple[str, str],
                                              create_job: CreateJob) -> None:
    account_id, key = account
    settings.max_concurrent_jobs = 2
    first = create_job(key).json()["job_id"]
    assert create_job(key).status_code == 201
    balance = client.get("/api/v1/credits/balance", headers=headers(key)).json()

    r = create_job(key)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "30"
    assert r.json() == {"error": {
        "code": "JOB_LIMIT_EXCEEDED",
        "message": "the account's concurrent job limit of 2 is reached",
        "details": {"limit": "concurrent_jobs", "max": 2, "current": 2, "retry_after": 30}}}
    assert _jobs(settings, account_id) == 2 and _reserves(settings, account_id) == 2
    assert client.get("/api/v1/credits/balance", headers=headers(key)).json() == balance

    service.cancel_job(settings, first)  # a cancelled job frees its slot
    assert create_job(key).status_code == 201


def test_create_job_over_daily_limit_429(settings: Settings, client: TestClient,
                                         account: tuple[str, str],
                                         create_job: CreateJob) -> None:
    account_id, key = account
    settings.max_concurrent_jobs = 0
    settings.max_daily_jobs = 2
    for _ in range(2):
        job_id = create_job(key).json()["job_id"]
        service.cancel_job(settings, job_id)  # ended jobs still count for the day
    r = create_job(key)
    assert r.status_code == 429
    details = r.json()["error"]["details"]
    assert r.json()["error"]["code"] == "JOB_LIMIT_EXCEEDED"
    assert details["limit"] == "daily_jobs" and details["max"] == 2 and details["current"] == 2
    assert 86_000 < details["retry_after"] <= 86_400
    assert r.headers["retry-after"] == str(details["retry_after"])
    assert _jobs(settings, account_id) == 2


def test_create_job_account_override_wins(settings: Settings, client: TestClient,
                                          account: tuple[str, str],
                                          create_job: CreateJob) -> None:
    account_id, key = account
    with session_scope(settings) as s:
        s.execute(update(Account).where(Account.id == account_id)
                  .values(max_concurrent_jobs=1))
    assert create_job(key).status_code == 201
    r = create_job(key)
    assert r.status_code == 429 and r.json()["error"]["details"]["max"] == 1


def test_create_job_idempotent_replay_not_limited(settings: Settings, client: TestClient,
                                                  account: tuple[str, str],
                                                  create_job: CreateJob,
                                                  upload: Callable[[str], str]) -> None:
    _, key = account
    settings.max_concurrent_jobs = 1
    body = {"product_name": "P", "video_model": "kling3_std", "segment_duration": 3,
            "segment_count": 1, "product_image_url": upload(key), "idempotency_key": "k1"}
    assert client.post("/api/v1/jobs", headers=headers(key), json=body).status_code == 201
    assert client.post("/api/v1/jobs", headers=headers(key), json=body).status_code == 200


def _insert(settings: Settings, account_id: str, limits: JobLimits, *,
            created_at: Any = None) -> None:
    with session_scope(settings) as s:
        admit_job(s, account_id, limits)
        s.add(Job(id=str(uuid.uuid4()), account_id=account_id, status="queued", params={},
                  estimate={}, created_at=created_at or utcnow()))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def race_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        with isolated_settings(tmp_path / "data") as s:
            yield s
        return
    with temporary_database() as url, isolated_settings(tmp_path / "data",
                                                        database_url=url) as s:
        yield s


def test_admit_job_race_never_exceeds_limit(race_settings: Settings) -> None:
    settings = race_settings
    account_id, _ = create_account(settings, "racer", 0)
    limits = JobLimits(max_concurrent=3, max_daily=0)
    refused: list[JobLimitError] = []
    start = threading.Barrier(8)

    def attempt() -> None:
        start.wait()
        try:
            _insert(settings, account_id, limits)
        except JobLimitError as err:
            refused.append(err)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _jobs(settings, account_id) == 3 and len(refused) == 5
    assert {e.limit for e in refused} == {"concurrent_jobs"}


def test_admit_job_daily_retry_after_from_oldest_job(settings: Settings,
                                                     account: tuple[str, str]) -> None:
    account_id, _ = account
    now = utcnow()
    for hours_ago in (30, 23, 20, 1):  # the 30 h old one is outside the window
        _insert(settings, account_id, JobLimits(0, 0),
                created_at=now - timedelta(hours=hours_ago))
    with session_scope(settings) as s, pytest.raises(JobLimitError) as info:
        admit_job(s, account_id, JobLimits(max_concurrent=0, max_daily=2), now=now)
    # Two slots are needed back: the 23 h and the 20 h old jobs must age out.
    assert info.value.current == 3
    assert info.value.retry_after_s == 4 * 3600
    with session_scope(settings) as s:
        admit_job(s, account_id, JobLimits(max_concurrent=0, max_daily=4), now=now)
