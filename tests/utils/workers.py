"""`ugen worker` (and `ugen serve --no-worker`) child processes for multi-process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


class Workers:
    """``ugen worker`` (and API) child processes sharing the test's database."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, executor_id: str, *, queues: list[str] | None = None,
              env: dict[str, str] | None = None) -> None:
        """Start ``ugen worker``; ``env`` adds to the shared environment (a machine's own
        data dir, say)."""
        flags = [f"--queue={q}" for q in queues or []]
        self._spawn(executor_id, ["worker", "--executor-id", executor_id, *flags], env)

    def serve(self, name: str, *, port: int, env: dict[str, str] | None = None) -> str:
        """Start ``ugen serve --no-worker`` (an API process) on ``port``; return its base
        URL once it answers ``/healthz``."""
        self._spawn(name, ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
                    env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited; see {self.log_dir / name}.log")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} did not answer on {base} within 60 s")

    def check_running(self) -> None:
        """Raise when a child has exited (its log says why)."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see "
                                   f"{self.log_dir / name}.log")

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "ugen.cli", *args], env={**self.env, **(env or {})},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
