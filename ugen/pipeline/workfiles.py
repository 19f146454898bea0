"""A job's work files: scratch a stage's steps write on this machine, never an artifact.

Steps write scratch under ``<work_dir>/<job_id>/run<n>/`` (speech clips, a music bed, the
video provider's render before it is stored). Everything a later stage, a retried step or a
later run reads is in the artifact store, so a run's work files go as soon as a stage of it
completes: stages run one after another, and what a step replayed after a crash needs it makes
again. A worker that dies with scratch on its disk leaves it to ``ugen admin gc``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

from ugen.core.config import Settings

log = logging.getLogger("ugen.pipeline")


def job_work_dir(settings: Settings, job_id: str) -> Path:
    """Every run's scratch of one job on this machine."""
    return settings.work_dir / job_id


def run_work_dir(settings: Settings, job_id: str, run_number: int) -> Path:
    """One run's scratch of one job on this machine."""
    return job_work_dir(settings, job_id) / f"run{run_number}"


def tree_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (0 when it is missing)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:  # removed meanwhile
                continue
    return total


def remove_tree(path: Path) -> int:
    """Remove a file or directory tree; return the bytes freed.

    Failures are logged, not raised: scratch that cannot be removed now is left to
    ``ugen admin gc`` rather than failing the job that made it.
    """
    if not path.exists():
        return 0
    size = tree_size(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as err:
        log.warning("could not remove work files %s: %s", path, err)
        return size - tree_size(path)
    return size


def clean_run_work(settings: Settings, job_id: str, run_number: int) -> int:
    """Remove one run's scratch of a job, and the job's folder once empty; bytes freed."""
    freed = remove_tree(run_work_dir(settings, job_id, run_number))
    with contextlib.suppress(OSError):  # missing, or another run's scratch is still there
        job_work_dir(settings, job_id).rmdir()
    return freed
