"""Loopback ports for the local servers the benchmarks and tests start."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    """A port nothing listens on now (the caller binds it soon after)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Return once ``proc`` accepts connections on ``port``.

    Raises:
        RuntimeError: the process exited first; TimeoutError: it did not listen in time.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port} after {timeout_s} s")
