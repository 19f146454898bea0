"""The process runner: timeouts end the child, failures carry ffmpeg's own words."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from media_kit import processes_mentioning

from ugen.media.errors import FFmpegError, FFmpegTimeout
from ugen.media.runner import ffmpeg_argv, run_ffmpeg


def test_run_ffmpeg_timeout_leaves_no_process(tmp_path: Path) -> None:
    marker = f"ugen-timeout-{uuid.uuid4().hex}"
    args = ["-re", "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=30:duration=3600",
            "-metadata", f"comment={marker}", "-f", "null", "-"]
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout) as caught:
        run_ffmpeg(args, timeout=0.5)
    assert time.monotonic() - started < 5
    assert caught.value.returncode is None and marker in " ".join(caught.value.argv)
    assert processes_mentioning(marker) == []


def test_run_ffmpeg_failure_carries_stderr_tail(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(FFmpegError) as caught:
        run_ffmpeg(["-i", str(missing), "-f", "null", "-"])
    assert caught.value.returncode not in (0, None)
    assert "No such file or directory" in caught.value.stderr_tail
    assert "nope.mp4" in str(caught.value)


def test_ffmpeg_argv_common_flags_first() -> None:
    argv = ffmpeg_argv(["-i", "x"])
    assert argv[1:7] == ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i"]
    assert ffmpeg_argv(["-i", "x"], loglevel="info")[4:6] == ["info", "-nostats"]
