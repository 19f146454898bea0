"""The status read behind every poll of a job: key, job and stages on the driver's connection.

``GET /jobs/{job_id}`` is what clients poll, and SQLAlchemy's per-statement work (session,
execution context, result objects) costs several times the three indexed reads themselves.
Here the same Core SELECTs are compiled once for the engine's dialect and run on a pooled
DBAPI cursor. Rows come back raw (the driver's values, cheap to compare, so a caller can tell
an unchanged job at no cost); :meth:`StatusReader.job` and :meth:`StatusReader.stages` turn
them into records through each column type's own result processor, so a record holds the same
Python values as the ORM's model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, Table, bindparam, select
from sqlalchemy.engine import Dialect

from ugen.store.models import ApiKey, Job, JobStage

RawRow = tuple[Any, ...]
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """The columns of an API key that decide whether it authenticates."""

    id: str
    account_id: str
    revoked_at: datetime | None
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """The columns of a job that its public status shows (same names as :class:`Job`)."""

    id: str
    account_id: str
    status: str
    current_stage: str | None
    progress_percent: int
    run_number: int
    params: dict[str, Any]
    estimate: dict[str, Any]
    credits_reserved: int
    credits_consumed: int
    error_stage: str | None
    error_message: str | None
    final_video: str | None
    thumbnail: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class StageRecord:
    """The columns of a job's stage that its public status shows (as :class:`JobStage`)."""

    stage: str
    status: str
    run_number: int
    started_at: datetime | None
    finished_at: datetime | None
    credits_used: int
    error: str | None


JOB_ACCOUNT = [f.name for f in fields(JobRecord)].index("account_id")
"""Where a raw job row holds the job's account."""


def _columns(table: Any, record: type[object]) -> Select[Any]:
    tbl: Table = table
    return select(*(tbl.c[f.name] for f in fields(record)))  # type: ignore[arg-type]


_KEY = _columns(ApiKey.__table__, KeyRecord).where(
    ApiKey.__table__.c.key_hash == bindparam("key_hash"))
_JOB = _columns(Job.__table__, JobRecord).where(Job.__table__.c.id == bindparam("job_id"))
_STAGES = (_columns(JobStage.__table__, StageRecord)
           .where(JobStage.__table__.c.job_id == bindparam("job_id"))
           .order_by(JobStage.__table__.c.position))


class _Query:
    """A Core SELECT compiled once for a dialect: its SQL, parameters and column processors."""

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self._order = compiled.positiontup if compiled.positional else None
        self._processors: list[Callable[[Any], Any] | None] = [
            col.type.dialect_impl(dialect).result_processor(dialect, None)
            for col in stmt.selected_columns]

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self._order is None:
            return values
        return tuple(values[name] for name in self._order)

    def record(self, raw: RawRow, kind: Callable[..., _R]) -> _R:
        return kind(*(p(v) if p is not None and v is not None else v
                      for p, v in zip(self._processors, raw, strict=True)))


@dataclass(frozen=True, slots=True)
class RawStatus:
    """One status read as the driver returned it."""

    key: RawRow | None
    job: RawRow | None
    stages: tuple[RawRow, ...]


class StatusReader:
    """Reads of one engine's database for the status of a job."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self._key, self._job, self._stages = (
            _Query(_KEY, dialect), _Query(_JOB, dialect), _Query(_STAGES, dialect))

    def read(self, key_hash: str, job_id: str) -> RawStatus:
        """The key with this hash, the job and its stages (no stages without the job)."""
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(self._key.sql, self._key.params({"key_hash": key_hash}))
                key = cur.fetchone()
                cur.execute(self._job.sql, self._job.params({"job_id": job_id}))
                job = cur.fetchone()
                stages: tuple[RawRow, ...] = ()
                if job is not None:
                    cur.execute(self._stages.sql, self._stages.params({"job_id": job_id}))
                    stages = tuple(tuple(row) for row in cur.fetchall())
            finally:
                cur.close()
        finally:
            conn.close()  # back to the pool, which ends the read transaction
        return RawStatus(key=None if key is None else tuple(key),
                         job=None if job is None else tuple(job), stages=stages)

    def key(self, raw: RawRow) -> KeyRecord:
        return self._key.record(raw, KeyRecord)

    def job(self, raw: RawRow) -> JobRecord:
        return self._job.record(raw, JobRecord)

    def stages(self, raws: Sequence[RawRow]) -> list[StageRecord]:
        return [self._stages.record(raw, StageRecord) for raw in raws]
