"""Engine and sessions for the product tables; the schema is brought to the latest Alembic
revision the first time a process opens the database.

Several processes may start at once on a fresh data dir or an empty PostgreSQL database
(a worker, the API, a CLI command): they migrate one at a time, under a PostgreSQL advisory
lock or, for SQLite, an exclusive lock on a file beside the database. A process that finds
the schema at the latest revision takes no lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from ugen.core.config import Settings
from ugen.core.paths import private_dir, private_file

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
# One session factory per engine: building a sessionmaker sets up its event dispatch, which
# costs more than a short read itself.
_factories: dict[Engine, sessionmaker[Session]] = {}
_MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "ugen_alembic_version"
_PG_MIGRATION_LOCK = 727274


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def sqlalchemy_url(url: str) -> str:
    """The URL with an explicit driver (psycopg 3 for PostgreSQL)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for an in-memory database)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


@cache
def head_revision() -> str:
    """The latest revision of the product tables' migrations."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def _current_revision(conn: Connection) -> str | None:
    try:
        return conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    except DBAPIError:
        conn.rollback()
        return None


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _migrate_engine(engine: Engine, url: str) -> None:
    """Bring the schema to head, one process at a time; nothing to do when it is there."""
    with engine.connect() as conn:
        if _current_revision(conn) == head_revision():
            return
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            # Processes starting together on a fresh database migrate one at a time.
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            _upgrade(conn)
        return
    db_file = _sqlite_file(url)
    lock = (_file_lock(db_file.with_name(db_file.name + ".migrate-lock"))
            if db_file is not None else _no_lock())
    with lock, engine.begin() as conn:
        _upgrade(conn)


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


PING_AFTER_IDLE_S = 5.0
"""A pooled server connection idle longer than this is pinged before it is handed out."""


def _checked_in(_dbapi_conn: object, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: object) -> None:
    """Pessimistic disconnect handling, only for connections that sat idle a while.

    ``pool_pre_ping`` pings on every checkout: a round trip per transaction, five per job
    created. A connection back in the pool for under :data:`PING_AFTER_IDLE_S` was just
    working; an older one (the server may have restarted meanwhile) is pinged and, when
    dead, replaced (the pool retries the checkout with a new connection).
    """
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
        return
    try:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("SELECT 1")
        finally:
            cur.close()
        if not dbapi_conn.autocommit:
            dbapi_conn.rollback()  # the ping opened a transaction
    except Exception as err:  # any failure: the connection is unusable
        raise DisconnectionError(f"pooled connection is dead: {err}") from err


def ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection of ``engine`` before handing it out only when it sat idle
    more than :data:`PING_AFTER_IDLE_S` (instead of ``pool_pre_ping``'s every checkout)."""
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", _ping_if_idle)


def _create_engine(settings: Settings, url: str) -> Engine:
    private_dir(settings.data_dir)
    if not url.startswith("sqlite"):
        # Ten kept open: a burst of concurrent requests in one API process reuses them
        # instead of opening (and closing again) overflow connections, each a new server
        # process on PostgreSQL.
        engine = create_engine(url, pool_size=10, max_overflow=10)
        ping_when_idle(engine)
        return engine
    db_file = _sqlite_file(url)
    if db_file is not None:
        private_dir(db_file.parent)
        private_file(db_file)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(settings: Settings) -> Engine:
    """One engine per database URL per process, its schema at the latest revision.

    The first call in a process creates the data dir (0700) and the SQLite file (0600) when
    missing, and migrates the schema; later calls return the same engine.
    """
    url = sqlalchemy_url(settings.resolved_database_url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(settings, url)
            try:
                _migrate_engine(engine, url)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
            _factories[engine] = sessionmaker(bind=engine, expire_on_commit=False)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    engine = get_engine(settings)
    factory = _factories.get(engine) or sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def autocommit_session(settings: Settings) -> Iterator[Session]:
    """A session whose every statement commits on its own: no BEGIN and COMMIT round trips.

    For a single write, or reads, that need no transaction around them (on PostgreSQL each
    transaction costs two round trips more than its statements).
    """
    engine = get_engine(settings)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, \
            Session(bind=conn) as session:
        yield session


def migrate(settings: Settings) -> None:
    """Bring the product tables to the latest Alembic revision (idempotent; the first use of
    the database in a process does it anyway)."""
    get_engine(settings)
