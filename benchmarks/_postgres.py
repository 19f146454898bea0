"""A throwaway PostgreSQL database for a benchmark run or a test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class NoPostgres(RuntimeError):
    """No PostgreSQL server answers at :data:`ADMIN_URL`."""


@contextmanager
def temporary_database(admin_url: str = ADMIN_URL, *, prefix: str = "ugen_bench"
                       ) -> Iterator[str]:
    """Create ``<prefix>_<random>`` and yield its URL; drop it afterwards.

    Raises:
        NoPostgres: the server does not answer.
    """
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 3})
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        engine.dispose()
        raise NoPostgres(f"no PostgreSQL server answers ({err.orig})") from err
    try:
        url = make_url(admin_url).set(database=name, drivername="postgresql")
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
