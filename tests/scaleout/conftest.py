"""Fixtures of the scale-out tests: machines (child processes) sharing one PostgreSQL
database and one bucket of a real S3 server, each with a data dir of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.postgres import temporary_database
from tests.utils.s3 import S3Server, s3_bucket, s3_server
from tests.utils.workers import Workers
from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.store.db import dispose_engines, migrate

__all__ = ["machines", "s3_bucket", "s3_server", "shared_settings"]


@pytest.fixture
def shared_settings(settings: Settings, s3_server: S3Server, s3_bucket: str,
                    monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The test process's settings: a new PostgreSQL database and the test's bucket (its own
    data dir stays the ``settings`` fixture's)."""
    with temporary_database() as url:
        monkeypatch.setenv("UGEN_DATABASE_URL", url)
        monkeypatch.setenv("UGEN_STORAGE_URL", f"s3://{s3_bucket}/ugen")
        monkeypatch.setenv("UGEN_S3_ENDPOINT_URL", s3_server.endpoint_url)
        shared = get_settings()
        migrate(shared)
        yield shared
        runtime.stop()
        dispose_engines()


@pytest.fixture
def machines(shared_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    """Child processes on the shared database and bucket with simulated vendors; each is
    started with its own ``UGEN_DATA_DIR``. Every one is stopped at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGEN_")}
    env.update({
        "UGEN_DATABASE_URL": str(shared_settings.database_url),
        "UGEN_STORAGE_URL": str(shared_settings.storage_url),
        "UGEN_S3_ENDPOINT_URL": str(shared_settings.s3_endpoint_url),
        "UGEN_PROVIDERS": "simulated",
        # The offline video vendor's servers: a place of their own, no worker's disk.
        "UGEN_LOCAL_VIDEO_DIR": str(tmp_path / "vendor"),
        "UGEN_SIMULATED_KEYFRAME_S": "0.3",
        "UGEN_SIMULATED_SEGMENT_S": "8",
        "UGEN_VIDEO_POLL_INTERVAL_S": "0.2",
        "UGEN_HEARTBEAT_INTERVAL_S": "0.5",
        "UGEN_HEARTBEAT_TIMEOUT_S": "3",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    })
    logs = tmp_path / "logs"
    logs.mkdir()
    pool = Workers(env, logs)
    yield pool
    pool.stop_all()
