"""Settings on a fresh database for tests that share one app across many requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.store.db import dispose_engines, migrate

# Variables a developer's shell may hold that would change what the tests measure.
_CLEARED = ("UGEN_DATABASE_URL", "UGEN_ALLOW_PRIVATE_URLS")


@contextmanager
def isolated_settings(data_dir: Path, **env: str) -> Iterator[Settings]:
    """Settings whose data (SQLite unless ``database_url`` is given) lives in ``data_dir``.

    ``env`` sets ``UGEN_<NAME>`` variables for the duration (names in lower case, as the
    settings spell them). DBOS and the engines are stopped on exit.
    """
    with pytest.MonkeyPatch.context() as mp:
        for name in _CLEARED:
            mp.delenv(name, raising=False)
        mp.setenv("UGEN_DATA_DIR", str(data_dir))
        mp.setenv("UGEN_EXECUTOR_ID", f"test-{data_dir.name}")
        for name, value in env.items():
            mp.setenv(f"UGEN_{name.upper()}", value)
        settings = get_settings()
        migrate(settings)
        try:
            yield settings
        finally:
            runtime.stop()
            dispose_engines()
