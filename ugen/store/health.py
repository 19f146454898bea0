"""Readiness: can this process reach the database and the artifact store right now?

Each check makes one cheap round trip that fails when the dependency does: the database
reads one row of ``jobs`` (a real table, so a lost or replaced SQLite file fails too), and the
artifact store lists a prefix that holds nothing (S3: one ``ListObjectsV2``; a local
directory: it exists, or can be made, and is writable). A check raises on failure;
:func:`readiness` runs both with a time limit and says which failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Literal

from sqlalchemy import text

from ugen.core.config import Settings
from ugen.core.log_records import redact_secrets
from ugen.store import artifacts
from ugen.store.db import get_engine

Dependency = Literal["database", "storage"]
_PROBE_PREFIX = "_ugen_readyz/"
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ugen-readyz")


@dataclass(frozen=True)
class CheckResult:
    """One dependency's answer: ``ok``, or the reason it is not."""

    name: Dependency
    ok: bool
    error: str | None = None


def check_database(settings: Settings) -> None:
    """One row of ``jobs`` read through the process's engine."""
    with get_engine(settings).connect() as conn:
        conn.execute(text("SELECT 1 FROM jobs LIMIT 1")).all()


def check_storage(settings: Settings) -> None:
    """List an empty prefix of the configured artifact store."""
    factory = getattr(artifacts, "artifact_store", None)
    store = factory(settings) if factory is not None else \
        artifacts.LocalArtifactStore(settings.artifacts_dir)
    root = getattr(store, "root", None)
    if isinstance(root, Path):
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(f"artifact directory {root} is not writable")
    list(islice(store.iter_keys(_PROBE_PREFIX), 1))


def readiness(settings: Settings) -> tuple[CheckResult, ...]:
    """Both checks, run at once, each given ``settings.readiness_timeout_s``."""
    checks: dict[Dependency, Callable[[Settings], None]] = {
        "database": check_database, "storage": check_storage}
    futures = {name: _pool.submit(fn, settings) for name, fn in checks.items()}
    results: list[CheckResult] = []
    for name, future in futures.items():
        try:
            future.result(timeout=settings.readiness_timeout_s)
        except FutureTimeout:
            limit = settings.readiness_timeout_s
            results.append(CheckResult(name, False, f"no answer in {limit:g} s"))
        except Exception as err:  # the dependency's own error is the reason given
            results.append(CheckResult(name, False, _reason(err)))
        else:
            results.append(CheckResult(name, True))
    return tuple(results)


def _reason(err: BaseException) -> str:
    """The error's class and first line, short enough for a probe's answer."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return redact_secrets(f"{type(err).__name__}: {first}")[:300]
