"""A throwaway PostgreSQL database per test (skipped with a reason when no server answers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _admin_engine() -> Engine:
    from sqlalchemy import create_engine

    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 3})


@contextmanager
def temporary_database() -> Iterator[str]:
    """Create ``ugen_test_<random>`` and yield its URL; drop it afterwards."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    engine = _admin_engine()
    name = f"ugen_test_{uuid.uuid4().hex[:10]}"
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        engine.dispose()
        pytest.skip(f"no PostgreSQL server answers on 127.0.0.1:5432 ({err.orig})")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
