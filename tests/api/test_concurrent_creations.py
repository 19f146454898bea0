"""Money under concurrency: 50 job creations at once against a balance that covers 10.

A real server (uvicorn on loopback, its request threads overlapping in the database) and 50
client threads released together by a barrier. Exactly 10 jobs are accepted and 40 refused
with 402; the ledger never shows the balance, or the credits available, below zero, and
adds up to the account's balance and reservation. No worker runs, so the 10 jobs stay
queued with their credits reserved. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from tests.utils.server import running_server
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store.api_keys import create_account, grant_credits
from ugen.store.db import session_scope
from ugen.store.models import Account, CreditTransaction, Job

REQUESTS = 50
FITS = 10
# Per-account job limits (429) would refuse jobs before credits do: switched off here.
NO_JOB_LIMITS = {"max_concurrent_jobs": "0", "max_daily_jobs": "0"}
# Movements of the owned balance; the reservation moves with reserve, release and consume.
BALANCE_TYPES = {"purchase", "bonus", "refund", "consume"}
RESERVED_SIGN = {"reserve": -1, "release": -1, "consume": 1}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def race_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        with isolated_settings(tmp_path / "data", **NO_JOB_LIMITS) as settings:
            yield settings
        return
    with temporary_database() as url, isolated_settings(
            tmp_path / "data", database_url=url, **NO_JOB_LIMITS) as settings:
        yield settings


def _create_all(base_url: str, key: str, body: dict[str, Any]) -> list[httpx.Response]:
    """Send ``REQUESTS`` creations at once, one thread and connection each."""
    barrier = threading.Barrier(REQUESTS)

    def create(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            client.get("/api/v1/models", headers=headers(key))  # connect before the barrier
            barrier.wait()
            return client.post("/api/v1/jobs", headers=headers(key), json=body)

    with ThreadPoolExecutor(REQUESTS) as pool:
        return list(pool.map(create, range(REQUESTS)))


def _assert_ledger_balances(settings: Settings, account_id: str, price: int) -> None:
    with session_scope(settings) as s:
        account = s.get(Account, account_id)
        assert account is not None
        rows = list(s.scalars(select(CreditTransaction)
                              .where(CreditTransaction.account_id == account_id)
                              .order_by(CreditTransaction.id)))
        jobs = list(s.scalars(select(Job).where(Job.account_id == account_id)))
    assert Counter(t.type for t in rows) == {"purchase": 1, "reserve": FITS}
    balance = reserved = 0
    for t in rows:
        assert t.balance_before == balance, t.id
        balance += t.amount if t.type in BALANCE_TYPES else 0
        reserved += RESERVED_SIGN.get(t.type, 0) * t.amount
        assert (t.balance_after, t.reserved_after) == (balance, reserved), t.id
        assert 0 <= t.reserved_after <= t.balance_after, t.id  # available never below 0
    assert (account.credit_balance, account.credit_reserved) == (balance, reserved)
    assert (balance, reserved) == (price * FITS, price * FITS)
    assert len(jobs) == FITS
    assert all(j.status == "queued" and j.credits_reserved == price for j in jobs)
    assert {t.job_id for t in rows if t.type == "reserve"} == {j.id for j in jobs}


@pytest.mark.timeout(300)
def test_concurrent_creations_accept_exactly_what_the_balance_covers(
        race_settings: Settings) -> None:
    app = create_app(race_settings, runtime_role="client")
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as c:
        account_id, key = create_account(race_settings, "racer", 0)
        price = c.post("/api/v1/credits/estimate", headers=headers(key), json=SMALL_JOB)
        assert price.status_code == 200, price.text
        total: int = price.json()["total"]
        grant_credits(race_settings, account_id, total * FITS, description="exactly ten jobs")
        up = c.post("/api/v1/uploads/product-image", headers=headers(key),
                    files={"file": ("p.png", png_bytes(), "image/png")})
        assert up.status_code == 201, up.text
        body = {**SMALL_JOB, "product_image_url": up.json()["url"]}

        responses = _create_all(base_url, key, body)

        assert Counter(r.status_code for r in responses) == {201: FITS, 402: REQUESTS - FITS}
        for r in responses:
            if r.status_code == 402:
                error = r.json()["error"]
                assert error["code"] == "INSUFFICIENT_CREDITS"
                assert error["details"]["required"] == total
                assert 0 <= error["details"]["available"] < total
        assert len({r.json()["job_id"] for r in responses if r.status_code == 201}) == FITS
        assert c.get("/api/v1/credits/balance", headers=headers(key)).json() == {
            "credit_balance": total * FITS, "credit_reserved": total * FITS,
            "available_credits": 0}
    _assert_ledger_balances(race_settings, account_id, total)
