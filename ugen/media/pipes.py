"""Several media processes joined by pipes, under one deadline, all ended in ``finally``.

The final render runs one encoder and, one after another, a decoder per segment, with raw
frames moving from each decoder's stdout to the encoder's stdin through this process (see
:mod:`ugen.media.feed`). :class:`ProcessGroup` starts them, kills every one still running when
the deadline passes (blocked reads and writes then end, so the caller can report the timeout)
and ends them all on exit, whatever happened. Each child's stderr goes to a temporary file, so
a chatty child can never block on a full pipe, and its tail is kept for errors.

Frames are moved with ``splice(2)`` where the platform has it: the pages go from one pipe to
the other without being copied through user space.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import IO

from ugen.media.errors import FFmpegError, FFmpegTimeout
from ugen.media.runner import STDERR_TAIL_LINES, end_process

PIPE_BYTES = 1 << 20
"""Pipe capacity asked for (Linux's default ceiling for unprivileged processes): a 1080x1920
frame then crosses in three steps instead of fifty."""
_TAIL_BYTES = 64 * 1024


def widen_pipe(fd: int) -> None:
    """Ask for a :data:`PIPE_BYTES` pipe buffer on ``fd`` (Linux); elsewhere it stays as is."""
    if sys.platform == "linux":
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def read_exact(fd: int, n: int) -> bytes:
    """Read ``n`` bytes from ``fd``, fewer only at end of file."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        chunk = os.readv(fd, [view[got:]])
        if chunk == 0:
            break
        got += chunk
    return bytes(buf[:got])


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``.

    Raises:
        BrokenPipeError: the reader has gone.
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def copy_exact(src: int, dst: int, n: int) -> int:
    """Move ``n`` bytes from pipe ``src`` to ``dst``; return how many moved (fewer only at end
    of file).

    Raises:
        BrokenPipeError: the reader of ``dst`` has gone.
    """
    moved = 0
    splice = getattr(os, "splice", None)
    while moved < n:
        if splice is not None:
            step = splice(src, dst, min(n - moved, PIPE_BYTES))
        else:
            chunk = os.read(src, min(n - moved, PIPE_BYTES))
            write_all(dst, chunk)
            step = len(chunk)
        if step == 0:
            break
        moved += step
    return moved


@dataclass
class Child:
    """One running process of a :class:`ProcessGroup`: its argv, the process, its stderr."""

    argv: list[str]
    proc: subprocess.Popen[bytes]
    log: IO[bytes] = field(repr=False)

    def tail(self) -> str:
        """The last :data:`~ugen.media.runner.STDERR_TAIL_LINES` lines it wrote to stderr."""
        size = self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, size - _TAIL_BYTES))
        lines = self.log.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-STDERR_TAIL_LINES:])

    def stdin_fd(self) -> int:
        assert self.proc.stdin is not None, "started without stdin=PIPE"
        return self.proc.stdin.fileno()

    def stdout_fd(self) -> int:
        assert self.proc.stdout is not None, "started without stdout=PIPE"
        return self.proc.stdout.fileno()

    def close_stdin(self) -> None:
        """Signal end of input (a reader that has gone is no error here)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()


class ProcessGroup:
    """Processes that live and die together; use as a context manager.

    ``timeout`` seconds after entering, every child still running is killed and
    :attr:`timed_out` is set. Leaving the block kills whatever still runs and reaps it.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._children: list[Child] = []
        self._lock = threading.Lock()
        self._expired = threading.Event()
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> ProcessGroup:
        self._timer.start()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._timer.cancel()
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            _end(child)

    @property
    def timed_out(self) -> bool:
        return self._expired.is_set()

    def _expire(self) -> None:
        self._expired.set()
        with self._lock:
            for child in self._children:
                if child.proc.poll() is None:
                    child.proc.kill()

    def start(self, argv: list[str], *, stdin: bool = False, stdout: bool = False) -> Child:
        """Start ``argv`` with pipes for the stdin/stdout asked for (else ``/dev/null``)."""
        log = tempfile.TemporaryFile()  # noqa: SIM115  (the child owns it; closed by _end)
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout else subprocess.DEVNULL, stderr=log)
        except BaseException:
            log.close()
            raise
        child = Child(argv, proc, log)
        with self._lock:
            self._children.append(child)
            if self.timed_out:
                proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                widen_pipe(pipe.fileno())
        return child

    def wait(self, child: Child) -> int:
        """Wait for ``child`` to exit (at most until the deadline) and return its exit code.

        Raises:
            FFmpegTimeout: the deadline passed (the child was killed), with its stderr tail.
        """
        code = child.proc.wait()
        if self.timed_out:
            raise FFmpegTimeout(f"{child.argv[0]} timed out after {self.timeout:g} s",
                                argv=child.argv, returncode=None, stderr_tail=child.tail())
        return code

    def release(self, child: Child) -> None:
        """End ``child`` now if it still runs, reap it and close its pipes and log."""
        with self._lock:
            if child in self._children:
                self._children.remove(child)
        _end(child)


def failure(child: Child, code: int | None) -> FFmpegError:
    """The error for ``child`` having exited with ``code``, with argv and stderr tail."""
    return FFmpegError(f"{child.argv[0]} failed with exit code {code}", argv=child.argv,
                       returncode=code, stderr_tail=child.tail())


def _end(child: Child) -> None:
    proc = child.proc
    end_process(proc)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    child.log.close()
