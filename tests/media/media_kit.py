"""Helpers for the media tests: tiny generated media (lavfi sources) and raw decoding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ugen.media.runner import ffmpeg_argv, run_capture, run_ffmpeg

W, H, FPS = 320, 568, 30
FAST_H264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23"]

VideoFactory = Callable[..., Path]


def video_factory(tmp_path: Path) -> VideoFactory:
    """A function building H.264 MP4s from testsrc2 (optionally with a sine track)."""

    def make(name: str, *, size: str = f"{W}x{H}", fps: int = FPS, duration: float = 1.0,
             audio: str | None = "stereo48", sar: str | None = None,
             pix_fmt: str = "yuv420p") -> Path:
        out = tmp_path / name
        args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={duration}"]
        if audio is not None:
            rate, channels = {"stereo48": (48000, 2), "mono44": (44100, 1)}[audio]
            tone = f"sine=frequency=440:sample_rate={rate}:duration={duration}"
            args += ["-f", "lavfi", "-i", tone]
        vf = f"setsar={sar}" if sar else "null"
        args += ["-vf", vf, *FAST_H264, "-pix_fmt", pix_fmt]
        if audio is not None:
            args += ["-c:a", "aac", "-ac", str(channels)]
        run_ffmpeg([*args, str(out)])
        return out

    return make


def lossless_testsrc(path: Path, *, size: tuple[int, int], fps: int, seconds: float) -> Path:
    """``seconds`` of testsrc2, losslessly coded at ``path``: frame k is the ground truth."""
    w, h = size
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(path)])
    return path


def decode_gray(path: Path, *, size: tuple[int, int] = (W, H)) -> npt.NDArray[np.float32]:
    """All frames of ``path`` as luma planes, shape (n, h, w)."""
    w, h = size
    out, _ = run_capture(ffmpeg_argv(["-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
                                      "-pix_fmt", "gray", "pipe:1"]))
    return np.frombuffer(out, np.uint8).reshape(-1, h, w).astype(np.float32)


def silence(path: Path, seconds: float) -> Path:
    """A silent 48 kHz stereo file of ``seconds`` (a soundtrack for render tests)."""
    run_ffmpeg(["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}", str(path)])
    return path


def decode_audio(path: Path, *, channels: int = 1) -> npt.NDArray[np.float32]:
    """The first audio stream as float samples at 48 kHz, shape (n, channels)."""
    out, _ = run_capture(ffmpeg_argv(["-i", str(path), "-map", "0:a:0", "-f", "f32le",
                                      "-ac", str(channels), "-ar", "48000", "pipe:1"]))
    return np.frombuffer(out, np.float32).reshape(-1, channels)


def processes_mentioning(marker: str) -> list[int]:
    """Process ids whose command line contains ``marker`` (to prove none was left running)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(proc.name))
    return found
