"""The lifecycle of a job's data: deleting a job, and collecting what nothing uses any more.

A deleted job is gone (its row, stages, events and attempts; its artifacts under
``{job_id}/`` in the store; its scratch under the work dir) except for its ledger lines and
provider calls, which keep the account's balance and the vendors' costs adding up. The
rows go first and the files after, so a failure half-way leaves only files without a job,
which :func:`collect_garbage` (``ugen admin gc``) removes.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ugen.core.config import Settings
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline.workfiles import job_work_dir, remove_tree, tree_size
from ugen.service.jobs import JobStateError, owned
from ugen.store import jobs as job_store
from ugen.store.artifacts import ArtifactError, StoredObject, artifact_store
from ugen.store.db import session_scope

log = logging.getLogger("ugen.service")

UPLOADS = "uploads/"
"""Where product images of accounts are kept: ``uploads/{account_id}/{upload_id}.{ext}``."""
VIDEO_TASKS = "video-tasks"
"""The video providers' task journals and downloads in the work dir (not per job)."""


class JobActiveError(JobStateError):
    """The job is queued or running: it has to be cancelled before it is deleted (409)."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(f"job {job_id} is {status}; cancel it first, then delete it")
        self.status = status


@dataclass(frozen=True)
class DeletedJob:
    """What deleting a job freed."""

    job_id: str
    artifact_bytes: int
    work_bytes: int
    artifacts_left: bool
    """True when the store failed: the files are orphans now, for ``ugen admin gc``."""

    @property
    def bytes_freed(self) -> int:
        return self.artifact_bytes + self.work_bytes


def delete_job(settings: Settings, job_id: str, *, account_id: str | None = None) -> DeletedJob:
    """Delete a finished job: its rows (not its ledger lines), artifacts and work files.

    Raises:
        JobNotFoundError: no such job, or (with ``account_id``) another account's.
        JobActiveError: the job is queued or running (cancel it first).
    """
    with session_scope(settings) as s:
        job = owned(job_store.get_job(s, job_id), job_id, account_id)
        if job.status not in TERMINAL_STATUSES:
            raise JobActiveError(job_id, job.status)
        if not job_store.delete_finished_job(s, job_id):  # retried meanwhile
            status = job_store.get_job(s, job_id)
            raise JobActiveError(job_id, status.status if status else "being deleted")
    left = False
    try:
        artifact_bytes = artifact_store(settings).delete_prefix(f"{job_id}/")
    except ArtifactError as err:
        log.warning("job %s deleted; its artifacts are left for gc: %s", job_id, err)
        artifact_bytes, left = 0, True
    work_bytes = remove_tree(job_work_dir(settings, job_id))
    log.info("job %s deleted: %d bytes freed", job_id, artifact_bytes + work_bytes)
    return DeletedJob(job_id, artifact_bytes, work_bytes, left)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w``, ``90s`` as a duration.

    Raises:
        ValueError: not a number followed by one of s, m, h, d, w, or not above zero.
    """
    found = _DURATION.match(text.lower())
    if found is None:
        raise ValueError(f"{text!r} is not a duration like 30m, 24h or 7d")
    value = timedelta(**{_UNITS[found.group(2)]: float(found.group(1))})
    if value <= timedelta(0):
        raise ValueError(f"{text!r} is not above zero")
    return value


@dataclass(frozen=True)
class GcReport:
    """What ``collect_garbage`` removed (or, in a dry run, would remove)."""

    dry_run: bool
    cutoff: datetime
    expired_uploads: int
    upload_bytes: int
    orphaned_jobs: int
    """Artifact prefixes ``{job_id}/`` of jobs that no longer exist."""
    orphan_bytes: int
    work_entries: int
    """Work dirs of jobs that are not running, and video-task files, on this machine."""
    work_bytes: int

    @property
    def bytes_freed(self) -> int:
        return self.upload_bytes + self.orphan_bytes + self.work_bytes


def _job_id_of(name: str) -> str | None:
    """``name`` if it is a job id (a canonical UUID), else None."""
    try:
        return name if str(uuid.UUID(name)) == name else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Group:
    """Objects of the store that go together: one upload, or one job's prefix."""

    prefix: str
    objects: tuple[StoredObject, ...]

    @property
    def size(self) -> int:
        return sum(o.size for o in self.objects)

    @property
    def newest(self) -> datetime:
        return max(o.modified for o in self.objects)


def _groups(objects: Iterable[StoredObject]) -> tuple[list[_Group], dict[str, _Group]]:
    """The store's uploads (with their companions) and its job prefixes, by job id. Keys of
    any other shape are not ours to judge and are left alone."""
    uploads: dict[str, list[StoredObject]] = defaultdict(list)
    jobs: dict[str, list[StoredObject]] = defaultdict(list)
    for obj in objects:
        parts = obj.key.split("/")
        if obj.key.startswith(UPLOADS) and len(parts) == 3 and parts[2]:
            upload_id = parts[2].split(".", 1)[0]
            uploads[f"{UPLOADS}{parts[1]}/{upload_id}."].append(obj)
        elif len(parts) > 1 and _job_id_of(parts[0]) is not None:
            jobs[parts[0]].append(obj)
    return ([_Group(p, tuple(objs)) for p, objs in uploads.items()],
            {job_id: _Group(f"{job_id}/", tuple(objs)) for job_id, objs in jobs.items()})


def _mtime(path: Path) -> datetime:
    """The newest modification time of a file or of anything under a directory."""
    newest = path.lstat().st_mtime
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:
                continue
    return datetime.fromtimestamp(newest, UTC)


def _stale_work(settings: Settings, cutoff: datetime) -> list[Path]:
    """Work dirs of jobs not queued or running, and video-task files, untouched since
    ``cutoff``. A running job's scratch is kept however old."""
    root = settings.work_dir
    if not root.is_dir():
        return []
    with session_scope(settings) as s:
        active = job_store.active_job_ids(s)
    found = [entry for entry in root.iterdir()
             if _job_id_of(entry.name) is not None and entry.name not in active
             and _mtime(entry) < cutoff]
    tasks = root / VIDEO_TASKS
    if tasks.is_dir():
        found += [Path(dirpath) / name for dirpath, _, files in os.walk(tasks)
                  for name in files if _mtime(Path(dirpath) / name) < cutoff]
    return found


def collect_garbage(settings: Settings, *, older_than: timedelta, dry_run: bool = False,
                    now: datetime | None = None) -> GcReport:
    """Remove what no job needs and nothing touched for ``older_than``.

    - uploads older than the bound: a job copies its product image into its own artifacts
      when it is created (``{job_id}/input/``), so no job reads an upload after that;
    - artifact prefixes ``{job_id}/`` whose job no longer exists (deleted, or its row never
      written), when nothing under them is newer than the bound (a job being created
      writes its input before its row);
    - this machine's work dirs of jobs that are not queued or running, and video-task
      files, older than the bound.

    With ``dry_run`` nothing is removed; the report says what would be.
    """
    cutoff = (now or datetime.now(UTC)) - older_than
    store = artifact_store(settings)
    uploads, jobs = _groups(store.iter_keys())
    with session_scope(settings) as s:
        existing = job_store.existing_job_ids(s, list(jobs))
    expired = [g for g in uploads if g.newest < cutoff]
    orphans = [g for job_id, g in jobs.items() if job_id not in existing and g.newest < cutoff]
    work = _stale_work(settings, cutoff)
    if dry_run:
        upload_bytes = sum(g.size for g in expired)
        orphan_bytes = sum(g.size for g in orphans)
        work_bytes = sum(tree_size(p) for p in work)
    else:
        upload_bytes = sum(store.delete_prefix(g.prefix) for g in expired)
        orphan_bytes = sum(store.delete_prefix(g.prefix) for g in orphans)
        work_bytes = sum(remove_tree(p) for p in work)
    report = GcReport(dry_run=dry_run, cutoff=cutoff, expired_uploads=len(expired),
                      upload_bytes=upload_bytes, orphaned_jobs=len(orphans),
                      orphan_bytes=orphan_bytes, work_entries=len(work), work_bytes=work_bytes)
    log.info("gc%s: %d uploads, %d orphaned jobs, %d work entries, %d bytes",
             " (dry run)" if dry_run else "", report.expired_uploads, report.orphaned_jobs,
             report.work_entries, report.bytes_freed)
    return report
