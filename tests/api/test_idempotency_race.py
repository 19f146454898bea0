"""Two creates with one idempotency_key racing: one job exists, the loser wrote nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.service import jobs as job_service
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store.api_keys import create_account
from ugen.store.db import session_scope


def test_losing_racer_writes_nothing(settings: Settings, product_image: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    account_id, _ = create_account(settings, "racer", 1000)
    options = JobOptions.model_validate({"product_name": "P", "video_model": "kling3_std",
                                         "segment_duration": 3, "segment_count": 1})
    args = {"account_id": account_id, "options": options, "image": product_image,
            "idempotency_key": "k1", "request_hash": "h1"}
    first, created = service.submit_job_once(settings, **args)  # type: ignore[arg-type]
    assert created

    # The second request checked before the first one stored its key.
    real = job_service._idempotent_match
    calls: list[int] = []

    def stale_first_check(*a: object) -> str | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*a)  # type: ignore[arg-type]

    monkeypatch.setattr(job_service, "_idempotent_match", stale_first_check)
    again, created = service.submit_job_once(settings, **args)  # type: ignore[arg-type]
    assert (again, created) == (first, False)

    with session_scope(settings) as s:
        rows, total = job_store.list_jobs(s, account_id)
        assert total == 1 and [j.id for j in rows] == [first]
        first_job = job_store.get_job(s, first)
        assert first_job is not None
        assert ledger.balance(s, account_id).credit_reserved == first_job.credits_reserved
        queued = s.execute(text("SELECT workflow_uuid FROM workflow_status")).scalars().all()
    assert queued == [first_job.workflow_id]  # the loser's run was never queued
    # Its product image was stored before its transaction, and removed with it.
    assert sorted(p.parent.parent.name for p in settings.artifacts_dir.glob("*/input/*")) \
        == [first]
