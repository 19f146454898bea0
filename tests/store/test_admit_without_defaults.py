"""Job limits when the defaults set none: an account's own limit still holds, concurrently
too, and an account without one is admitted without taking its lock."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from ugen.core.config import Settings
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope
from ugen.store.limits import JobLimitError, JobLimits, admit_job
from ugen.store.models import Account, Job, utcnow

NONE = JobLimits(max_concurrent=0, max_daily=0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        with isolated_settings(tmp_path / "data") as found:
            yield found
        return
    with temporary_database() as url, isolated_settings(tmp_path / "data",
                                                        database_url=url) as found:
        yield found


def _create(settings: Settings, account_id: str) -> None:
    with session_scope(settings) as s:
        admit_job(s, account_id, NONE)
        s.add(Job(id=str(uuid.uuid4()), account_id=account_id, status="queued", params={},
                  estimate={}, created_at=utcnow()))


def test_the_accounts_own_limit_holds_under_concurrent_creations(settings: Settings) -> None:
    account_id, _ = create_account(settings, "limited", 0)
    with session_scope(settings) as s:
        s.execute(update(Account).where(Account.id == account_id).values(max_concurrent_jobs=2))
    refused: list[JobLimitError] = []
    start = threading.Barrier(6)

    def attempt() -> None:
        start.wait()
        try:
            _create(settings, account_id)
        except JobLimitError as err:
            refused.append(err)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(refused) == 4
    assert {(e.limit, e.maximum, e.current) for e in refused} == {("concurrent_jobs", 2, 2)}


def test_without_any_limit_every_creation_is_admitted(settings: Settings) -> None:
    account_id, _ = create_account(settings, "free", 0)
    for _ in range(5):
        _create(settings, account_id)
    with pytest.raises(KeyError), session_scope(settings) as s:
        admit_job(s, "acct_missing", NONE)
