"""The job as the API shows it, and the status body every poll of ``GET /jobs/{job_id}`` reads.

:func:`job_public` builds :class:`JobPublic` from a model, from Core rows or from the status
records of ``store.status_reads``. :class:`JobStatuses` answers a poll: the key, the job and
its stages in three indexed reads on the driver's connection, and the serialised body kept
per job while those rows are unchanged (a body with signed URLs is kept for the second they
were signed in), so an unchanged job costs a comparison of rows, not a model and its JSON.
The key is read on every request: a revoked or expired key is refused at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from ugen.api.deps import invalid_key
from ugen.api.errors import ApiError
from ugen.api.schemas import JobPublic, StagePublic, as_utc, estimate_public
from ugen.core.config import Settings
from ugen.store.api_keys import KEY_PREFIX, account_of_key_record, hash_key
from ugen.store.db import get_engine
from ugen.store.models import Job, JobStage
from ugen.store.signed_urls import sign_artifact
from ugen.store.status_reads import JOB_ACCOUNT, JobRecord, RawRow, StageRecord, StatusReader

_KEPT_BODIES = 1024
"""Status bodies kept per process (a few kB each); the oldest goes first."""


def _stage(st: JobStage | Row[Any] | StageRecord) -> StagePublic:
    duration = (round((st.finished_at - st.started_at).total_seconds(), 3)
                if st.started_at and st.finished_at else None)
    return StagePublic(name=st.stage, status=st.status,  # type: ignore[arg-type]
                       run_number=st.run_number, started_at=as_utc(st.started_at),
                       finished_at=as_utc(st.finished_at), duration_s=duration,
                       credits_used=st.credits_used, error=st.error)


def _signs(job: Job | Row[Any] | JobRecord) -> bool:
    return job.status == "completed" and bool(job.final_video or job.thumbnail)


def _signed(settings: Settings, job: Job | Row[Any] | JobRecord, key: str | None) -> str | None:
    return sign_artifact(settings, job.id, key) if job.status == "completed" and key else None


def job_public(job: Job | Row[Any] | JobRecord,
               stages: Sequence[JobStage | Row[Any] | StageRecord],
               settings: Settings) -> JobPublic:
    """The job as the API shows it, from its model or from plain rows of the same columns."""
    return JobPublic(
        job_id=job.id, status=job.status,  # type: ignore[arg-type]
        current_stage=job.current_stage,  # type: ignore[arg-type]
        progress_percent=job.progress_percent, run_number=job.run_number,
        stages=[_stage(st) for st in stages], estimate=estimate_public(job.estimate),
        credits_reserved=job.credits_reserved, credits_consumed=job.credits_consumed,
        final_video_url=_signed(settings, job, job.final_video),
        thumbnail_url=_signed(settings, job, job.thumbnail),
        error_stage=job.error_stage,  # type: ignore[arg-type]
        error_message=job.error_message, idempotency_key=job.idempotency_key,
        created_at=as_utc(job.created_at), started_at=as_utc(job.started_at),
        finished_at=as_utc(job.finished_at), updated_at=as_utc(job.updated_at),
        params=job.params,
    )


@dataclass(frozen=True, slots=True)
class _Body:
    job: RawRow
    stages: tuple[RawRow, ...]
    signed_at: int | None
    """The second its download URLs were signed in (None: it has none)."""
    body: bytes


class JobStatuses:
    """The JSON body of ``GET /jobs/{job_id}``, for one app's settings.

    Used from the event loop's thread only (the route and the fast path answer there).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reader: StatusReader | None = None
        self._bodies: dict[str, _Body] = {}

    def _reader_now(self) -> StatusReader:
        engine = get_engine(self.settings)
        reader = self._reader
        if reader is None or reader.engine is not engine:
            reader = self._reader = StatusReader(engine)
        return reader

    def body(self, raw_key: str, job_id: str) -> bytes:
        """The job's status as JSON (the bytes of :class:`JobPublic`).

        Raises:
            ApiError: 401 for an unknown, revoked or expired key; 404 ``JOB_NOT_FOUND`` for a
                missing job or another account's.
        """
        if not raw_key.startswith(KEY_PREFIX):
            raise invalid_key()
        reader = self._reader_now()
        raw = reader.read(hash_key(raw_key), job_id)
        account = account_of_key_record(self.settings,
                                        None if raw.key is None else reader.key(raw.key))
        if account is None:
            raise invalid_key()
        if raw.job is None or raw.job[JOB_ACCOUNT] != account:
            raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}")
        kept = self._bodies.get(job_id)
        if (kept is not None and kept.job == raw.job and kept.stages == raw.stages
                and (kept.signed_at is None or kept.signed_at == int(time.time()))):
            return kept.body
        job = reader.job(raw.job)
        signed_at = int(time.time()) if _signs(job) else None
        body = job_public(job, reader.stages(raw.stages), self.settings).model_dump_json()
        entry = _Body(raw.job, raw.stages, signed_at, body.encode())
        self._bodies.pop(job_id, None)
        while len(self._bodies) >= _KEPT_BODIES:
            self._bodies.pop(next(iter(self._bodies)), None)
        self._bodies[job_id] = entry
        return entry.body
