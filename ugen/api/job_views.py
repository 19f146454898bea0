"""The status body every poll of ``GET /jobs/{job_id}`` reads.

The body is the one job view (:func:`ugen.views.job_public`) built from the status records of
``store.status_reads``. :class:`JobStatuses` answers a poll: the key, the job and
its stages in three indexed reads on the driver's connection, and the serialised body kept
per job while those rows are unchanged (a body with signed URLs is kept for the second they
were signed in), so an unchanged job costs a comparison of rows, not a model and its JSON.
The key is read on every request: a revoked or expired key is refused at once, and a failed
check counts against the client's address (:mod:`ugen.api.auth_limits`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ugen.api.auth_limits import FailedAuthLimiter
from ugen.api.deps import invalid_key
from ugen.api.errors import ApiError
from ugen.core.config import Settings
from ugen.store.api_keys import KEY_PREFIX, account_of_key_record, hash_key
from ugen.store.db import get_engine
from ugen.store.status_reads import JOB_ACCOUNT, JobRecord, RawRow, StatusReader
from ugen.views import job_public

_KEPT_BODIES = 1024
"""Status bodies kept per process (a few kB each); the oldest goes first."""


def _signs(job: JobRecord) -> bool:
    """Whether the job's body carries signed download URLs (they change by the second)."""
    return job.status == "completed" and bool(job.final_video or job.thumbnail)


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

    def __init__(self, settings: Settings, limiter: FailedAuthLimiter | None = None) -> None:
        self.settings = settings
        self.limiter = limiter
        self._reader: StatusReader | None = None
        self._bodies: dict[str, _Body] = {}

    def _reader_now(self) -> StatusReader:
        engine = get_engine(self.settings)
        reader = self._reader
        if reader is None or reader.engine is not engine:
            reader = self._reader = StatusReader(engine)
        return reader

    def _refused(self, client: str | None) -> ApiError:
        if self.limiter is not None:
            self.limiter.record_failure(client)
        return invalid_key()

    def body(self, raw_key: str, job_id: str, client: str | None = None) -> bytes:
        """The job's status as JSON (the bytes of :class:`JobPublic`).

        Raises:
            ApiError: 429 when ``client`` failed too many key checks lately; 401 for an
                unknown, revoked or expired key; 404 ``JOB_NOT_FOUND`` for a missing job or
                another account's.
        """
        if self.limiter is not None:
            self.limiter.check(client)
        if not raw_key.startswith(KEY_PREFIX):
            raise self._refused(client)
        reader = self._reader_now()
        raw = reader.read(hash_key(raw_key), job_id)
        account = account_of_key_record(self.settings,
                                        None if raw.key is None else reader.key(raw.key))
        if account is None:
            raise self._refused(client)
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
