"""``ugen serve`` with ``UGEN_LOG_FORMAT=json``: every line it logs, uvicorn's own included,
is one JSON object, on standard error and in the log file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line as JSON (a line that is not fails the test, named)."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    return found


def test_serve_logs_json_lines_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGEN_")}
    env.update({"UGEN_DATA_DIR": str(data), "UGEN_LOG_FORMAT": "json",
                "PYTHONPATH": str(ROOT), "COLUMNS": "100"})
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ugen.cli", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.3)
        assert answer.status_code == 200
        signed = httpx.get(f"http://127.0.0.1:{port}/api/v1/files/x/final.mp4",
                           params={"expires": "1", "signature": "deadbeefcafe"}, timeout=5)
        assert signed.status_code in (403, 404)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err

    lines = _json_lines(err)
    by_logger = {e["logger"] for e in lines}
    assert {"uvicorn.error", "uvicorn.access"} <= by_logger, by_logger
    assert any("Uvicorn running on" in e["message"] for e in lines)
    access = [e["message"] for e in lines if e["logger"] == "uvicorn.access"]
    # (Probes are not access-logged; the download is, its signature redacted.)
    assert any("GET /api/v1/files/x/final.mp4?expires=1&signature=REDACTED" in m
               for m in access), access
    assert "deadbeefcafe" not in err
    assert all(set(e) >= {"ts", "level", "logger", "message", "job_id"} for e in lines)

    logged = _json_lines((data / "logs" / "ugen.log").read_text())
    assert [e["message"] for e in logged] == [e["message"] for e in lines]
    assert "Dashboard:" in out  # the banner for people stays on standard output
