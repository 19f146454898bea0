"""Every ``ugen`` command works as the very first command on a fresh data dir and on an empty
PostgreSQL database, as a real process: the schema is created on first use, safely when
several processes start at once, and the data dir and database file are private."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from benchmarks._ports import free_port
from tests.utils.images import product_png
from tests.utils.postgres import temporary_database
from ugen.store.db import sqlalchemy_url

UGEN = [sys.executable, "-m", "ugen.cli"]
ROOT = Path(__file__).resolve().parents[1]


def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGEN_")}
    env.update({"UGEN_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT), "COLUMNS": "100",
                "UGEN_QUEUE_POLLING_INTERVAL_S": "0.05"})
    if database_url:
        env["UGEN_DATABASE_URL"] = database_url
    return env


def ugen(env: dict[str, str], *args: str,
         timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*UGEN, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    return product_png(tmp_path / "product.png")


# (arguments, expected exit code, text the output must hold); each runs first on a fresh dir.
FIRST_COMMANDS: list[tuple[tuple[str, ...], int, str]] = [
    (("credits",), 0, "available_credits 1000"),
    (("jobs",), 0, "no jobs"),
    (("jobs", "--status", "failed"), 0, "no jobs with status failed"),
    (("show", "7b0c0e7e-0000-4000-8000-000000000000"), 1, "no job"),
    (("retry", "7b0c0e7e-0000-4000-8000-000000000000"), 1, "no job"),
    (("cancel", "7b0c0e7e-0000-4000-8000-000000000000"), 1, "no job"),
    (("models",), 0, "kling3_pro"),
    (("personas",), 0, "persona_id"),
    (("doctor",), 0, "keyframe"),
    (("estimate", "--segment-count", "2"), 0, "total"),
    (("admin", "create-account", "acme", "--credits", "5"), 0, "API key"),
    (("admin", "create-key", "local"), 0, "API key"),
    (("admin", "grant-credits", "local", "5"), 0, "available_credits 1005"),
    (("admin", "revoke-key", "key_missing"), 2, "no key key_missing"),
]


@pytest.mark.parametrize(("args", "code", "says"), FIRST_COMMANDS,
                         ids=[" ".join(a) for a, _, _ in FIRST_COMMANDS])
def test_command_works_first_on_fresh_data_dir(tmp_path: Path, args: tuple[str, ...],
                                               code: int, says: str) -> None:
    data = tmp_path / "fresh" / "data"
    done = ugen(_env(data), *args)
    out = done.stdout + done.stderr
    assert done.returncode == code, out
    assert says in out
    assert "Traceback" not in out
    if data.exists():  # the catalog commands need no data dir
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    db = data / "ugen.sqlite"
    if db.exists():
        assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_worker_first_then_submit_on_fresh_data_dir(tmp_path: Path, image: Path) -> None:
    env = _env(tmp_path / "data")
    worker = subprocess.Popen([*UGEN, "worker"], env=env, cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        done = ugen(env, "submit", str(image), "--stop-at-stage", "agents",
                    "--segment-count", "1", "--video-model", "kling3_std",
                    "--segment-duration", "3")
        assert done.returncode == 0, done.stderr
        job_id = done.stdout.strip().splitlines()[-1]
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline and status != "stopped":
            time.sleep(0.5)
            shown = ugen(env, "show", job_id, "--json")
            assert shown.returncode == 0, shown.stderr
            status = json.loads(shown.stdout)["job"]["status"]
        assert status == "stopped"
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "Traceback" not in err


def test_run_first_on_fresh_data_dir(tmp_path: Path, image: Path) -> None:
    done = ugen(_env(tmp_path / "data"), "run", str(image), "--stop-at-stage", "init",
                "--segment-count", "1", "--video-model", "kling3_std",
                "--segment-duration", "3")
    assert done.returncode == 0, done.stderr
    assert "stopped after init" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = subprocess.Popen([*UGEN, "serve", "--port", str(port)],
                            env=_env(tmp_path / "data"), cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    yield f"http://127.0.0.1:{port}", proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)


def test_serve_first_on_fresh_data_dir(served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()[1]
        try:
            answer = httpx.get(f"{base}/openapi.json", timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.3)
    assert answer.status_code == 200
    assert "/api/v1/jobs" in answer.json()["paths"]
    assert httpx.get(f"{base}/api/v1/jobs", timeout=5).status_code == 401


def _submit_many(env: dict[str, str], image: Path,
                 n: int) -> list[subprocess.CompletedProcess[str]]:
    args = ("submit", str(image), "--stop-at-stage", "agents", "--segment-count", "1",
            "--video-model", "kling3_std", "--segment-duration", "3")
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: ugen(env, *args), range(n)))


def test_processes_starting_together_on_fresh_data_dir_all_succeed(tmp_path: Path,
                                                                   image: Path) -> None:
    env = _env(tmp_path / "data")
    results = _submit_many(env, image, 4)
    for done in results:
        assert done.returncode == 0, done.stderr
    ids = {done.stdout.strip().splitlines()[-1] for done in results}
    assert len(ids) == 4
    listed = ugen(env, "jobs")
    assert all(job_id in listed.stdout for job_id in ids)
    credits = ugen(env, "credits")
    assert "credit_balance 1000" in credits.stdout  # the starter grant, made once


@pytest.mark.postgres
def test_commands_first_on_empty_postgres_database(tmp_path: Path, image: Path) -> None:
    with temporary_database() as url:
        env = _env(tmp_path / "data", url)
        for args, code, says in [(("credits",), 0, "available_credits 1000"),
                                 (("jobs",), 0, "no jobs")]:
            done = ugen(env, *args)
            assert done.returncode == code, done.stderr
            assert says in done.stdout
        results = _submit_many(env, image, 4)
        for done in results:
            assert done.returncode == 0, done.stderr
        engine = create_engine(sqlalchemy_url(url))
        try:
            with engine.connect() as conn:
                jobs = conn.execute(text("SELECT count(*) FROM jobs")).scalar()
                grants = conn.execute(text(
                    "SELECT count(*) FROM credit_transactions WHERE type = 'bonus'")).scalar()
                version = conn.execute(text(
                    "SELECT version_num FROM ugen_alembic_version")).scalar()
        finally:
            engine.dispose()
        assert jobs == 4 and grants == 1
        from ugen.store.db import head_revision

        assert version == head_revision()
