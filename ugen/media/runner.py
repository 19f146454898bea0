"""Run ffmpeg and ffprobe as child processes: argument lists only, a timeout, stderr kept.

The child is always ended in ``finally``, so no ffmpeg is left behind when the caller fails or
is interrupted.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections import deque
from collections.abc import Sequence
from typing import IO

from ugen.core.config import get_settings
from ugen.media.errors import FFmpegError, FFmpegTimeout

STDERR_TAIL_LINES = 40


def end_process(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` if it still runs, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _tail(text: str) -> str:
    return "\n".join(deque(text.splitlines(), maxlen=STDERR_TAIL_LINES))


def _kill_and_tail(proc: subprocess.Popen[bytes]) -> str:
    """Kill a child that ran too long and return what it had written to stderr."""
    proc.kill()
    try:
        _, err = proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        return ""
    return _tail((err or b"").decode("utf-8", "replace"))


def ffmpeg_argv(
    args: Sequence[str], *, overwrite: bool = True, loglevel: str = "error"
) -> list[str]:
    """The full argv for ffmpeg with the project's common flags in front of ``args``.

    ``loglevel="info"`` (with ``-nostats``) is for analysis filters that report in the log
    (ebur128, loudnorm, volumedetect).
    """
    settings = get_settings()
    head = [settings.ffmpeg_path, "-hide_banner", "-nostdin", "-loglevel", loglevel]
    if loglevel != "error":
        head.append("-nostats")
    if overwrite:
        head.append("-y")
    return head + list(args)


def run_ffmpeg(
    args: Sequence[str], *, timeout: float | None = None, loglevel: str = "error"
) -> str:
    """Run ffmpeg with ``args`` (no binary name); return its stderr (warnings, filter logs).

    Raises:
        FFmpegError: non-zero exit, with argv and the stderr tail.
        FFmpegTimeout: ran past ``timeout`` seconds.
    """
    return run_process(ffmpeg_argv(args, loglevel=loglevel), timeout=timeout)


def _run(argv: list[str], *, timeout: float | None, stdin: bytes | None,
         capture: bool) -> tuple[bytes, str]:
    limit = timeout if timeout is not None else get_settings().ffmpeg_timeout_s
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        try:
            out, err = proc.communicate(input=stdin, timeout=limit)
        except subprocess.TimeoutExpired as exc:
            raise FFmpegTimeout(
                f"{argv[0]} timed out after {limit:g} s", argv=argv, returncode=None,
                stderr_tail=_kill_and_tail(proc),
            ) from exc
        text = err.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise FFmpegError(
                f"{argv[0]} failed with exit code {proc.returncode}",
                argv=argv, returncode=proc.returncode, stderr_tail=_tail(text),
            )
        return out or b"", text
    finally:
        end_process(proc)


def run_process(
    argv: list[str], *, timeout: float | None = None, stdin: bytes | None = None
) -> str:
    """Run a media tool; return stderr text. See :func:`run_ffmpeg` for errors."""
    return _run(argv, timeout=timeout, stdin=stdin, capture=False)[1]


def run_capture(argv: list[str], *, timeout: float | None = None) -> tuple[bytes, str]:
    """Run a media tool and return (stdout bytes, stderr text); errors as :func:`run_ffmpeg`."""
    return _run(argv, timeout=timeout, stdin=None, capture=True)


class FrameWriter:
    """Pipe raw RGB frames into an ffmpeg encoder (used to render generated animation).

    Use as a context manager; ``write`` takes ``height*width*3`` bytes per frame.
    """

    def __init__(self, args: Sequence[str], *, timeout: float | None = None) -> None:
        self.argv = ffmpeg_argv(args)
        self._timeout = timeout if timeout is not None else get_settings().ffmpeg_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> FrameWriter:
        import tempfile

        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
        )
        return self

    def write(self, frame: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(frame)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._proc is not None and self._stderr is not None
        proc = self._proc
        try:
            if proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
            try:
                proc.wait(timeout=self._timeout)
            except subprocess.TimeoutExpired as err:
                raise FFmpegTimeout(
                    "ffmpeg timed out", argv=self.argv, returncode=None, stderr_tail=""
                ) from err
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace")
            if proc.returncode != 0 and exc_type is None:
                raise FFmpegError(
                    f"ffmpeg failed with exit code {proc.returncode}",
                    argv=self.argv, returncode=proc.returncode, stderr_tail=_tail(text),
                )
        finally:
            end_process(proc)
            self._stderr.close()
