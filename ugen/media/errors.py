"""Errors of media work.

    MediaError
    ├── FFmpegError          ffmpeg/ffprobe exited non-zero (argv and stderr tail attached)
    │   └── FFmpegTimeout    it ran past its time limit and was killed
    └── InvalidMediaError    a file is not what it must be (no video stream, wrong size, ...)
        └── InvalidSegmentError   one input segment of a concatenation (index and path attached)
"""

from __future__ import annotations

from pathlib import Path


class MediaError(Exception):
    """Root of media errors."""


class FFmpegError(MediaError):
    def __init__(self, message: str, *, argv: list[str], returncode: int | None, stderr_tail: str):
        super().__init__(f"{message}: {stderr_tail.strip()[-600:]}" if stderr_tail else message)
        self.argv = argv
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class FFmpegTimeout(FFmpegError):
    pass


class InvalidMediaError(MediaError):
    pass


class InvalidSegmentError(InvalidMediaError):
    """Segment ``index`` (0-based) at ``path`` cannot be used; the message says why."""

    def __init__(self, index: int, path: Path, reason: str) -> None:
        super().__init__(f"segment {index} ({path.name}): {reason}")
        self.index = index
        self.path = path
        self.reason = reason
