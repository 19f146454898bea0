"""Per-account job limits: active (queued + running) jobs, and jobs created per rolling 24 h.

:func:`admit_job` runs in the transaction that creates the job (a job's creation calls it
last, after inserting the job): a no-op UPDATE of the account row takes the row's lock
(PostgreSQL) or the database's write lock (SQLite), so two creations for one account check
one after the other and can never both pass a limit that only one of them fits. When
neither the defaults nor the account set a limit, it only reads the account's limits and
takes no lock (the credit reservation's guarded UPDATE still keeps the balance right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.orm import Session

from ugen.store.models import Account, Job, utcnow

ACTIVE_STATUSES = ("queued", "running", "awaiting_review")
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


_ACCOUNT_LIMITS = (select(Account.max_concurrent_jobs, Account.max_daily_jobs)
                   .where(Account.id == bindparam("account_id")))


def _limited(maximum: int | None) -> bool:
    return maximum is not None and maximum > 0


def admit_job(session: Session, account_id: str, defaults: JobLimits, *, jobs: int = 1,
              now: datetime | None = None, created: str | None = None) -> None:
    """Check the account's limits, holding its lock until the transaction ends (where a
    limit applies: with none, nothing is locked).

    Call it in the transaction that inserts the job: before the insert, or after it with
    ``created`` (the inserted job's id, which the counts then leave out; taking the lock
    last holds it for less time). ``jobs`` > 1 admits a variant set: it needs one free
    concurrent slot (like one job) and room for all its jobs in the daily limit.

    Raises:
        JobLimitError: a limit is reached; nothing was written.
        KeyError: no such account.
    """
    if defaults.max_concurrent <= 0 and defaults.max_daily <= 0:
        # No default limit: most accounts have nothing to check, and then take no lock (it
        # would serialise every creation of the account for the rest of its transaction).
        row = session.execute(_ACCOUNT_LIMITS, {"account_id": account_id}).first()
        if row is None:
            raise KeyError(account_id)
        if not _limited(row[0]) and not _limited(row[1]):
            return
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
    others = () if created is None else (Job.id != created,)
    if max_concurrent > 0:
        active = _count(session, Job.account_id == account_id, Job.status.in_(ACTIVE_STATUSES),
                        *others)
        if active >= max_concurrent:
            raise JobLimitError("concurrent_jobs", max_concurrent, active,
                                CONCURRENT_RETRY_AFTER_S)
    if max_daily > 0:
        since = now - WINDOW
        today = _count(session, Job.account_id == account_id, Job.created_at >= since, *others)
        if today + jobs > max_daily:
            retry = _daily_retry_after(session, account_id, since,
                                       today + jobs - 1 - max_daily, now)
            raise JobLimitError("daily_jobs", max_daily, today, retry)
