"""Per-account job limits: active (queued + running) jobs, and jobs created per rolling 24 h.

:func:`admit_job` runs first in the transaction that creates the job: a no-op UPDATE of the
account row takes the row's lock (PostgreSQL) or the database's write lock (SQLite), so two
creations for one account check and insert one after the other and can never both pass a
limit that only one of them fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from ugen.store.models import Account, Job, utcnow

ACTIVE_STATUSES = ("queued", "running")
WINDOW = timedelta(hours=24)
CONCURRENT_RETRY_AFTER_S = 30
"""Suggested wait when the concurrent limit is hit: a job's end cannot be predicted."""

LimitName = Literal["concurrent_jobs", "daily_jobs"]


@dataclass(frozen=True)
class JobLimits:
    """The defaults (``UGEN_MAX_CONCURRENT_JOBS``, ``UGEN_MAX_DAILY_JOBS``); 0: no limit."""

    max_concurrent: int
    max_daily: int


class JobLimitError(Exception):
    """The account is at one of its job limits (HTTP 429)."""

    def __init__(self, limit: LimitName, maximum: int, current: int,
                 retry_after_s: int) -> None:
        super().__init__(f"{limit} limit reached: {current} of {maximum}; retry in "
                         f"{retry_after_s} s")
        self.limit = limit
        self.maximum = maximum
        self.current = current
        self.retry_after_s = retry_after_s


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(Job).where(*where)) or 0)


def _daily_retry_after(session: Session, account_id: str, since: datetime, over: int,
                       now: datetime) -> int:
    """Seconds until enough of the window's jobs age out for one more to fit."""
    oldest = session.scalar(
        select(Job.created_at).where(Job.account_id == account_id, Job.created_at >= since)
        .order_by(Job.created_at).offset(over).limit(1))
    if oldest is None:  # pragma: no cover - the count said it exists
        return 1
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


def admit_job(session: Session, account_id: str, defaults: JobLimits, *,
              now: datetime | None = None) -> None:
    """Check the account's limits, holding its lock until the transaction ends.

    Call it first in the transaction that inserts the job.

    Raises:
        JobLimitError: a limit is reached; nothing was written.
        KeyError: no such account.
    """
    row = session.execute(
        update(Account).where(Account.id == account_id)
        .values(credit_reserved=Account.credit_reserved)
        .returning(Account.max_concurrent_jobs, Account.max_daily_jobs)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise KeyError(account_id)
    max_concurrent = defaults.max_concurrent if row[0] is None else int(row[0])
    max_daily = defaults.max_daily if row[1] is None else int(row[1])
    now = now or utcnow()
    if max_concurrent > 0:
        active = _count(session, Job.account_id == account_id, Job.status.in_(ACTIVE_STATUSES))
        if active >= max_concurrent:
            raise JobLimitError("concurrent_jobs", max_concurrent, active,
                                CONCURRENT_RETRY_AFTER_S)
    if max_daily > 0:
        since = now - WINDOW
        today = _count(session, Job.account_id == account_id, Job.created_at >= since)
        if today >= max_daily:
            retry = _daily_retry_after(session, account_id, since, today - max_daily, now)
            raise JobLimitError("daily_jobs", max_daily, today, retry)
