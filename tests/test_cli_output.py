"""The CLI speaks plainly: one clear error line for a failed job (no tracebacks; the log goes
to a file), nothing written after shutdown, and job ids never cut at 80 columns."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.pipeline.test_generation_qa import RejectingJudge
from tests.test_fresh_start import _env, ugen
from tests.utils.images import product_png
from ugen.cli import app
from ugen.core.config import Settings
from ugen.providers import registry

SMALL = ("--segment-count", "1", "--video-model", "kling3_std", "--segment-duration", "3")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _failing_env(tmp_path: Path) -> dict[str, str]:
    env = _env(tmp_path / "data")
    env.update({"UGEN_PROVIDERS": "simulated", "UGEN_SIMULATED_LATENCY_SCALE": "0",
                "UGEN_SIMULATED_PERMANENT_RATE": "1"})
    return env


def test_failed_run_prints_one_clear_error_and_logs_the_rest(tmp_path: Path) -> None:
    image = product_png(tmp_path / "product.png")
    env = _failing_env(tmp_path)
    done = ugen(env, "run", str(image), *SMALL)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert re.fullmatch(
        r"error: job \S+ failed in init: keyframe 0 \(anchor\): the provider could not make "
        r"it: simulated keyframe: invalid request \(400\)", errors[0]), errors[0]
    assert "ugen retry" in done.stderr
    log = (tmp_path / "data" / "logs" / "ugen.log").read_text()
    assert "Traceback" in log and "stage init failed" in log
    assert "before DBOS was launched" not in log
    assert (tmp_path / "data" / "logs" / "ugen.log").stat().st_mode & 0o077 == 0


def test_verbose_run_shows_the_log_on_the_terminal(tmp_path: Path) -> None:
    image = product_png(tmp_path / "product.png")
    done = ugen(_failing_env(tmp_path), "--verbose", "run", str(image), *SMALL)
    assert done.returncode == 1
    assert "stage init failed" in done.stderr and "Traceback" in done.stderr


def test_failed_generation_names_the_item_and_nothing_writes_after_shutdown(
        settings: Settings, product_image: Path, caplog: pytest.LogCaptureFixture) -> None:
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(
        base, segment_judge=RejectingJudge(base.segment_judge, "seg_00", times=10)))
    caplog.set_level(logging.WARNING)
    result = CliRunner().invoke(app, ["run", str(product_image), "--segment-count", "3",
                                      "--video-model", "kling3_std", "--segment-duration", "3",
                                      "--no-music", "--seed", "0", "--persona", "maya"])
    assert result.exit_code == 1
    assert "error: job" in result.stderr
    assert "failed in generation: segment 0: failed QA after 1 attempt(s): MOTION_ARTIFACT" \
        in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    at_exit = len(caplog.records)
    time.sleep(1.5)  # a workflow thread still running would write now
    assert [r.getMessage() for r in caplog.records[at_exit:]] == []
    assert not [r for r in caplog.records if "before DBOS was launched" in r.getMessage()]


def test_jobs_and_credits_keep_whole_job_ids_at_80_columns(tmp_path: Path) -> None:
    image = product_png(tmp_path / "product.png")
    env = {**_env(tmp_path / "data"), "COLUMNS": "80"}
    ids = []
    for name in ("A product name long enough to need cutting at eighty columns", "Short"):
        done = ugen(env, "submit", str(image), "--product-name", name,
                    "--stop-at-stage", "agents", *SMALL)
        assert done.returncode == 0, done.stderr
        ids.append(done.stdout.strip().splitlines()[-1])
    for command in ("jobs", "credits"):
        out = ugen(env, command).stdout
        lines = out.splitlines()
        assert all(len(line) <= 80 for line in lines), out
        for job_id in ids:
            assert any(job_id in line for line in lines), out
        # No id is cut or wrapped: every id-looking run of hex is a whole one of ours.
        fragments = re.findall(r"\b[0-9a-f]{8}-[0-9a-f-]*", out)
        assert set(fragments) <= set(ids), fragments
    assert "A product name" in ugen(env, "jobs").stdout


def test_show_json_of_a_job_lists_its_attempts(tmp_path: Path) -> None:
    image = product_png(tmp_path / "product.png")
    env = _env(tmp_path / "data")
    done = ugen(env, "run", str(image), "--stop-at-stage", "init", *SMALL)
    assert done.returncode == 0, done.stderr
    job_id = UUID.search(done.stdout)
    assert job_id is not None
    view = json.loads(ugen(env, "show", job_id.group(0), "--json").stdout)
    assert view["job"]["params"]["seed"] is not None and view["job"]["params"]["persona_id"]


def test_run_interrupted_keeps_the_job(tmp_path: Path) -> None:
    image = product_png(tmp_path / "product.png")
    env = _env(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-m", "ugen.cli", "run", str(image), *SMALL],
                            env=env, cwd=Path(__file__).resolve().parents[1], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "job <id>": the job is submitted and being watched
    job_id = UUID.search(first)
    assert job_id is not None, first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in out + err
    view = json.loads(ugen(env, "show", job_id.group(0), "--json").stdout)
    assert view["job"]["status"] in ("queued", "running")
