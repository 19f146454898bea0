"""Fixtures for pipeline tests: worker processes and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.postgres import temporary_database
from tests.utils.workers import Workers
from ugen.core.config import Settings, get_settings
from ugen.store.db import migrate


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    env = {**os.environ}
    env.update({
        "UGEN_PROVIDERS": "simulated",
        "UGEN_SIMULATED_SEGMENT_S": "2.5",
        "UGEN_SIMULATED_KEYFRAME_S": "0.4",
        "UGEN_VIDEO_POLL_INTERVAL_S": "0.2",
        "UGEN_HEARTBEAT_INTERVAL_S": "0.5",
        "UGEN_HEARTBEAT_TIMEOUT_S": "4",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    })
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop_all()


@pytest.fixture
def postgres_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                      workers: Workers) -> Iterator[Settings]:
    with temporary_database() as url:
        monkeypatch.setenv("UGEN_DATABASE_URL", url)
        workers.env["UGEN_DATABASE_URL"] = url
        pg = get_settings()
        migrate(pg)
        yield pg
        workers.stop_all()
        from ugen.pipeline import runtime
        from ugen.store.db import dispose_engines

        runtime.stop()
        dispose_engines()


