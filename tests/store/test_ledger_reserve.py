"""Credit reservations on SQLite and PostgreSQL (where a reservation is one statement): a
repeated key moves credits once, a reservation the balance cannot cover moves nothing, and
every line adds up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from ugen.core.config import Settings
from ugen.store import ledger
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        with isolated_settings(tmp_path / "data") as found:
            yield found
        return
    with temporary_database() as url, isolated_settings(tmp_path / "data",
                                                        database_url=url) as found:
        yield found


def _lines(settings: Settings, account_id: str) -> list[tuple[str, int, int, int, int]]:
    with session_scope(settings) as s:
        return [(t.type, t.amount, t.balance_before, t.balance_after, t.reserved_after)
                for t in s.scalars(select(CreditTransaction)
                                   .where(CreditTransaction.account_id == account_id)
                                   .order_by(CreditTransaction.id))]


def test_reserve_once_per_key_and_never_beyond_the_balance(settings: Settings) -> None:
    account_id, _ = create_account(settings, "ledger", 100)
    for _ in range(2):  # the same key twice: one movement
        with session_scope(settings) as s:
            ledger.reserve(s, account_id, "job-1", 30, key="job-1:1:reserve",
                           description="job estimate")
    with pytest.raises(ledger.InsufficientCreditsError) as refused, \
            session_scope(settings) as s:
        ledger.reserve(s, account_id, "job-2", 71, key="job-2:1:reserve")
    assert (refused.value.required, refused.value.available) == (71, 70)
    with session_scope(settings) as s:
        ledger.reserve(s, account_id, "job-3", 70, key="job-3:1:reserve")  # exactly fits
        assert ledger.balance(s, account_id) == ledger.Balance(100, 100)
    assert _lines(settings, account_id) == [
        ("bonus", 100, 0, 100, 0), ("reserve", -30, 100, 100, 30),
        ("reserve", -70, 100, 100, 100)]
    with session_scope(settings) as s:
        line = s.scalar(select(CreditTransaction)
                        .where(CreditTransaction.idempotency_key == "job-1:1:reserve"))
        assert line is not None
        assert (line.job_id, line.description) == ("job-1", "job estimate")
        assert line.created_at is not None
