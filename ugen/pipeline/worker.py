"""A worker process: DBOS with a stable executor id, a heartbeat, and recovery of the dead.

Each worker writes a heartbeat. When another worker has been silent longer than the timeout,
exactly one live worker claims it (a guarded UPDATE) and recovers its pending workflows, so a
machine that is gone for good does not strand its jobs, and no job is recovered twice.

A worker told to stop (SIGTERM, SIGINT) stops taking work and gives its running jobs
``shutdown_grace_s`` to end; a job still running then is handed back: the worker marks
itself silent, so a live worker recovers the job at its next heartbeat (a restarted worker
of the same id does so at start), from its last checkpoint.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime, timedelta

from dbos import DBOS
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from ugen.core.config import Settings
from ugen.pipeline import (
    playground,  # noqa: F401  (registers its workflow before launch)
    runtime,
)
from ugen.store.db import get_engine, session_scope
from ugen.store.models import Worker, utcnow


def _beat(settings: Settings, executor_id: str, queues: str) -> None:
    values = {"hostname": socket.gethostname(), "pid": os.getpid(), "queues": queues,
              "last_seen": utcnow(), "recovered_by": None}
    dialect = get_engine(settings).dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Worker).values(executor_id=executor_id, started_at=utcnow(), **values)
    stmt = stmt.on_conflict_do_update(index_elements=["executor_id"], set_=values)
    with session_scope(settings) as s:
        s.execute(stmt)


def _claim_dead(settings: Settings, executor_id: str) -> list[str]:
    cutoff = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    claimed: list[str] = []
    with session_scope(settings) as s:
        dead = s.scalars(
            Worker.__table__.select()
            .with_only_columns(Worker.executor_id)
            .where(Worker.last_seen < cutoff, Worker.recovered_by.is_(None),
                   Worker.executor_id != executor_id)
        ).all()
    for dead_id in dead:
        with session_scope(settings) as s:
            won = s.execute(
                update(Worker)
                .where(Worker.executor_id == dead_id, Worker.recovered_by.is_(None),
                       Worker.last_seen < cutoff)
                .values(recovered_by=executor_id)
            ).rowcount  # type: ignore[attr-defined]
        if won:
            claimed.append(dead_id)
    return claimed


class Heartbeat(threading.Thread):
    """Background heartbeat and dead-worker recovery."""

    def __init__(self, settings: Settings, executor_id: str, queues: str) -> None:
        super().__init__(name="ugen-heartbeat", daemon=True)
        self.settings = settings
        self.executor_id = executor_id
        self.queues = queues
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.settings.heartbeat_interval_s):
            try:
                _beat(self.settings, self.executor_id, self.queues)
                dead = _claim_dead(self.settings, self.executor_id)
                if dead:
                    DBOS.logger.warning("recovering the jobs of silent workers %s", dead)
                    DBOS._recover_pending_workflows(dead)
            except Exception as err:  # keep beating through a database hiccup
                DBOS.logger.warning("heartbeat failed: %s", err)


def start_worker(settings: Settings, *, queues: list[str] | None = None) -> Heartbeat:
    """Launch DBOS as a worker and start its heartbeat."""
    executor_id = runtime.start(settings, role="worker", listen=queues)
    names = ",".join(queues) if queues else "*"
    _beat(settings, executor_id, names)
    beat = Heartbeat(settings, executor_id, names)
    beat.start()
    runtime.on_stop(beat.stopped.set)
    return beat


def hand_back(settings: Settings, executor_id: str) -> None:
    """Mark this worker silent for good, so a live worker claims and recovers its jobs at its
    next heartbeat instead of after ``heartbeat_timeout_s``."""
    with session_scope(settings) as s:
        s.execute(update(Worker).where(Worker.executor_id == executor_id)
                  .values(last_seen=datetime(2000, 1, 1, tzinfo=UTC), recovered_by=None))


def shutdown_worker(settings: Settings, beat: Heartbeat) -> bool:
    """Stop taking work, let running jobs end within ``settings.shutdown_grace_s``, shut
    DBOS down; True when every job ended. Otherwise the jobs are handed back
    (:func:`hand_back`) and DBOS is left as it is: the caller ends the process at once, as
    a crash would, and DBOS resumes the jobs elsewhere from their last checkpoint (shutting
    DBOS down under a running step would only make that step fail)."""
    if runtime.drain(settings.shutdown_grace_s):
        runtime.stop()
        return True
    beat.stopped.set()
    DBOS.logger.warning("worker %s: jobs still running after %g s; handing them back",
                        beat.executor_id, settings.shutdown_grace_s)
    hand_back(settings, beat.executor_id)
    return False
