"""A throwaway PostgreSQL database per test (skipped with a reason when no server answers)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from benchmarks._postgres import NoPostgres
from benchmarks._postgres import temporary_database as _temporary_database


@contextmanager
def temporary_database() -> Iterator[str]:
    """Create ``ugen_test_<random>`` and yield its URL; drop it afterwards."""
    try:
        with _temporary_database(prefix="ugen_test") as url:
            yield url
    except NoPostgres as err:
        pytest.skip(f"{err} on 127.0.0.1:5432")
