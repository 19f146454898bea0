"""A real ``ugen worker`` told to stop (SIGTERM) mid-job: it exits 0 within the grace bound,
hands its job back, and another worker finishes it without paying a vendor twice. The same
worker serves ``--metrics-port`` and writes JSON log lines carrying the job's id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from benchmarks._ports import free_port
from tests.pipeline.test_crash_recovery import (
    assert_nothing_regenerated,
    checkpointed,
    wait_for_segments,
)
from tests.utils.jobs import submit
from tests.utils.workers import Workers
from ugen.core.config import Settings

GRACE_S = 1.0
SEGMENTS = 4


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_sigterm_mid_job_exits_within_grace_and_job_completes_elsewhere(
    settings: Settings, product_image: Path, workers: Workers, tmp_path: Path
) -> None:
    port = free_port()
    workers.env["UGEN_LOG_FORMAT"] = "json"  # both workers write the data dir's log file
    env = {**workers.env, "UGEN_SHUTDOWN_GRACE_S": str(GRACE_S)}
    log = (tmp_path / "w1.log").open("ab")
    w1 = subprocess.Popen(
        [sys.executable, "-m", "ugen.cli", "worker", "--executor-id", "w1",
         "--metrics-port", str(port), "--metrics-addr", "127.0.0.1"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        job_id = submit(settings, product_image, segment_count=SEGMENTS, aspect_ratio="1:1",
                        music_enabled=False)
        wait_for_segments(job_id, 1)
        metrics = scrape(port)
        assert metrics[("ugen_jobs", (("status", "running"),))] == 1
        assert metrics[("ugen_stage_duration_seconds_count", (("stage", "init"),))] == 1

        w1.send_signal(signal.SIGTERM)  # the process alone, as `systemctl stop` with
        code = w1.wait(timeout=GRACE_S + 20)  # KillMode=mixed does
    finally:
        if w1.poll() is None:
            w1.kill()
            w1.wait()
    assert code == 0
    keyframes, segments = checkpointed(job_id)
    assert len(segments) < SEGMENTS  # it was handed back unfinished

    workers.start("w2")  # another worker recovers the handed-back job
    assert_nothing_regenerated(settings, job_id, keyframes, segments)

    entries = [json.loads(line) for line in
               (settings.data_dir / "logs" / "ugen.log").read_text().splitlines()]
    about_job = [e for e in entries if e["job_id"] == job_id]
    assert any("stage agents completed" in str(e["message"]) for e in about_job), entries
    assert any("handing them back" in str(e["message"]) for e in entries)
