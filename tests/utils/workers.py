"""`ugen worker` child processes for multi-process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class Workers:
    """``ugen worker`` child processes sharing the test's database."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, executor_id: str, *, queues: list[str] | None = None) -> None:
        log = (self.log_dir / f"{executor_id}.log").open("ab")
        flags = [f"--queue={q}" for q in queues or []]
        self.procs[executor_id] = subprocess.Popen(
            [sys.executable, "-m", "ugen.cli", "worker", "--executor-id", executor_id, *flags],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self, executor_id: str) -> None:
        proc = self.procs.pop(executor_id)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()
