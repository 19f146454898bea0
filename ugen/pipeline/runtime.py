"""Start and stop DBOS in this process, as a worker or as a client that only enqueues.

A worker has a stable executor id, so a restarted worker resumes exactly its own jobs; a
client gets a fresh one and listens to no queue, so it never runs or recovers work.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Literal

from dbos import DBOS, DBOSClient, DBOSConfig
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ugen
from ugen.core.config import Settings
from ugen.core.heap import freeze_long_lived, thaw
from ugen.core.logs import quiet_dbos_console
from ugen.pipeline import queues
from ugen.store.db import migrate, ping_when_idle

Role = Literal["worker", "client"]
DBOS_APP_NAME = "ugen"

_lock = threading.Lock()
_active: tuple[str, str] | None = None
_on_stop: list[Callable[[], None]] = []


def default_executor_id() -> str:
    return f"worker-{socket.gethostname()}"


def dbos_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if url.startswith("postgresql+psycopg://"):
        return "postgresql://" + url.split("://", 1)[1]
    return url


def start(settings: Settings, *, role: Role = "worker",
          listen: Sequence[str] | None = None) -> str:
    """Launch DBOS for this process (idempotent); return the executor id.

    Args:
        role: ``worker`` runs queued jobs; ``client`` only enqueues and manages them.
        listen: queue names a worker takes work from (default: all).
    """
    global _active
    with _lock:
        if _active is not None:
            return _active[1]
        migrate(settings)
        # Importing registers the workflows and steps with DBOS before launch.
        from ugen.pipeline import posting, workflow  # noqa: F401

        if role == "worker":
            executor_id = settings.executor_id or default_executor_id()
        else:
            executor_id = f"client-{uuid.uuid4().hex[:12]}"
        config: DBOSConfig = {
            "name": DBOS_APP_NAME,
            "system_database_url": dbos_url(settings),
            "executor_id": executor_id,
            "application_version": ugen.__version__,
            "notification_listener_polling_interval_sec": 0.1,
            "log_level": "WARNING",
        }
        if not dbos_url(settings).startswith("sqlite"):
            # DBOS pings a pooled connection before every transaction (``pool_pre_ping``): a
            # round trip more for each enqueue. Its engine pings only idle connections
            # instead (below); one the server closed meanwhile fails its statement, which
            # DBOS retries on a new connection (its ``db_retry``).
            config["db_engine_kwargs"] = {"pool_pre_ping": False}
        quiet_dbos_console()
        DBOS(config=config)
        if role == "client":
            DBOS.listen_queues([])
        elif listen is not None:
            DBOS.listen_queues(list(listen))
        DBOS.launch()
        if "db_engine_kwargs" in config:
            _ping_dbos_when_idle()
        queues.register_queues(settings, update=role == "worker")
        freeze_long_lived()  # the workflows, stages and providers just imported
        _active = (role, executor_id)
        return executor_id


_clients: dict[int, tuple[Engine, DBOSClient]] = {}


def enqueue_in_transaction(session: Session, queue_name: str, workflow: Callable[..., object],
                           workflow_id: str, *args: object) -> None:
    """Queue ``workflow(*args)`` as ``workflow_id`` in the caller's transaction: the run
    exists exactly when what the transaction writes with it does (a job and its first run,
    say), and no transaction of its own is paid for. Workers see it at the commit.

    The session must be on the database DBOS keeps its tables in (ours: one database).
    """
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    found = _clients.get(id(engine))
    if found is not None and found[0] is engine:
        client = found[1]
    else:
        # DBOS's client on our own engine: it opens no pool and runs nothing in the
        # background; it only writes the run's rows on the connection it is given.
        client = DBOSClient(system_database_engine=engine, lazy=True,
                            application_name=DBOS_APP_NAME)
        _clients[id(engine)] = (engine, client)
    client.enqueue_in_transaction(session, {
        "queue_name": queue_name, "workflow_name": workflow.dbos_function_name,  # type: ignore[attr-defined]
        "workflow_id": workflow_id, "app_version": ugen.__version__}, *args)


def _ping_dbos_when_idle() -> None:
    """DBOS's system-database engine checks idle pooled connections like ours
    (:func:`ugen.store.db.ping_when_idle`); nothing when DBOS no longer has it there."""
    from dbos import _dbos

    instance = getattr(_dbos, "_dbos_global_instance", None)
    sys_db = getattr(instance, "_sys_db_field", None)
    engine = getattr(sys_db, "engine", None)
    if isinstance(engine, Engine):
        ping_when_idle(engine)


def stop(*, drain_s: float = 0.0) -> None:
    """Shut DBOS down in this process (tests and CLI exit).

    With ``drain_s``, queued work is no longer taken and the workflows this process is
    running get up to that long to finish (a cancelled one ends at its next step), so no
    thread writes to the database after shutdown; what still runs then is recovered later.
    """
    global _active
    with _lock:
        if _active is None:
            return
        while _on_stop:
            _on_stop.pop()()
        if drain_s > 0:
            _drain(drain_s)
        DBOS.destroy(destroy_registry=False)
        thaw()
        _active = None


def _drain(timeout_s: float) -> bool:
    """Stop taking queued work, then wait for this process's running workflows to end;
    True when none is left running."""
    from dbos import _dbos

    instance = getattr(_dbos, "_dbos_global_instance", None)
    running = getattr(instance, "_active_workflows_set", None)
    if instance is None or running is None:
        return True
    for event in getattr(instance, "background_thread_stop_events", ()):
        event.set()  # the queue runners stop dequeuing
    deadline = time.monotonic() + timeout_s
    while running.activeList() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running.activeList()


def drain(timeout_s: float) -> bool:
    """Stop taking queued work and give running workflows up to ``timeout_s`` to end, with
    DBOS still up; True when none is left running (then :func:`stop` is quick)."""
    with _lock:
        if _active is None:
            return True
        return _drain(timeout_s)


def on_stop(callback: Callable[[], None]) -> None:
    """Run ``callback`` when DBOS stops in this process (background threads end with it)."""
    with _lock:
        _on_stop.append(callback)


def active_role() -> Role | None:
    return _active[0] if _active else None  # type: ignore[return-value]
