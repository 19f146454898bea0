"""Find frames duplicated across a segment boundary by measuring how alike pictures are.

Each generated segment starts on the picture the previous one ended on, often repeated for a
frame or more. We decode the last frames of segment *i* and the first frames of segment *i+1*
as small grayscale pictures (letterboxed to the output's aspect, so sizes may differ) and
compare them with the mean absolute difference on the 0–255 scale.

A head frame of *i+1* counts as a copy of the last frame of *i* when it differs from it by
less than half of the typical frame-to-frame change inside *i* (the content's own motion),
but never by more than :data:`DUP_CEILING` and always when below :data:`DUP_FLOOR` (the level
of compression noise between two independent encodes of one picture). Only a run of copies at
the very start of *i+1* is counted, at most :data:`MAX_BOUNDARY_FRAMES`.

After the copies are dropped, the cut itself is judged: when the change from the last kept
picture of *i* to the first kept picture of *i+1* is far above the motion on either side (more
than :data:`JUMP_RATIO` times the median frame-to-frame change, and at least :data:`JUMP_MIN`),
the motion jumps there and the join gets a :data:`TRANSITION_FRAMES`-frame crossfade.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from ugen.media.filters import chain, fit_and_pad
from ugen.media.runner import ffmpeg_argv, run_capture

ANALYSIS_WIDTH = 64
MAX_BOUNDARY_FRAMES = 4
TAIL_FRAMES = 4
DUP_FLOOR = 0.5
DUP_CEILING = 2.0
DUP_MOTION_RATIO = 0.5
HEAD_FRAMES = MAX_BOUNDARY_FRAMES + 3
"""Frames decoded from the start of a segment: the possible copies plus enough to see motion."""
JUMP_RATIO = 3.0
JUMP_MIN = 6.0
TRANSITION_FRAMES = 4

Frames = npt.NDArray[np.float32]
"""A stack of grayscale pictures, shape ``(n, height, width)``, values 0–255."""


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Small (w, h) with the output's aspect ratio, used for every comparison."""
    return ANALYSIS_WIDTH, max(2, round(ANALYSIS_WIDTH * height / width))


def gray_frames_args(
    path: Path, *, size: tuple[int, int], head: int | None = None, tail_s: float | None = None
) -> list[str]:
    """ffmpeg args decoding the first ``head`` frames, or the last ``tail_s`` seconds, to raw
    8-bit gray on stdout."""
    w, h = size
    seek = ["-sseof", f"-{tail_s:.3f}"] if tail_s is not None else []
    limit = ["-frames:v", str(head)] if head is not None else []
    vf = chain(fit_and_pad(w, h, pix_fmt="gray", bt709=False, flags="area"))
    return [*seek, "-i", str(path), "-map", "0:v:0", "-vf", vf, *limit,
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]


def read_gray_frames(
    path: Path, *, size: tuple[int, int], head: int | None = None, tail_s: float | None = None
) -> Frames:
    """Decode frames as in :func:`gray_frames_args`.

    Raises:
        FFmpegError: the file cannot be decoded.
    """
    out, _ = run_capture(ffmpeg_argv(gray_frames_args(path, size=size, head=head, tail_s=tail_s)),
                         timeout=120)
    w, h = size
    usable = len(out) - len(out) % (w * h)
    return np.frombuffer(out[:usable], dtype=np.uint8).reshape(-1, h, w).astype(np.float32)


def frame_difference(a: Frames, b: Frames) -> float:
    """Mean absolute difference of two pictures (0 = identical, 255 = inverted)."""
    return float(np.abs(a - b).mean())


def duplicate_threshold(tail: Frames) -> float:
    """The difference below which a picture counts as a copy, from the motion inside ``tail``."""
    steps = [frame_difference(tail[i], tail[i + 1]) for i in range(len(tail) - 1)]
    motion = float(np.median(steps)) if steps else 0.0
    return min(DUP_CEILING, max(DUP_FLOOR, DUP_MOTION_RATIO * motion))


def count_duplicates(tail: Frames, head: Frames, *, limit: int = MAX_BOUNDARY_FRAMES) -> int:
    """How many leading frames of ``head`` repeat the last frame of ``tail`` (at most ``limit``)."""
    if len(tail) == 0 or len(head) == 0:
        return 0
    ref, threshold = tail[-1], duplicate_threshold(tail)
    count = 0
    for frame in head[:limit]:
        if frame_difference(ref, frame) > threshold:
            break
        count += 1
    return count


def _steps(frames: Frames) -> list[float]:
    return [frame_difference(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]


def transition_frames(tail: Frames, head: Frames) -> int:
    """Length of the crossfade the cut from ``tail[-1]`` to ``head[0]`` needs (0: none).

    Args:
        tail: the last kept pictures of one segment.
        head: the first kept pictures of the next (its duplicated frames already removed).

    Returns:
        :data:`TRANSITION_FRAMES` when the change across the cut is more than
        :data:`JUMP_RATIO` times the median change between neighbouring pictures on both sides
        and at least :data:`JUMP_MIN`; otherwise 0.
    """
    if len(tail) == 0 or len(head) == 0:
        return 0
    steps = _steps(tail) + _steps(head)
    motion = float(np.median(steps)) if steps else 0.0
    cut = frame_difference(tail[-1], head[0])
    return TRANSITION_FRAMES if cut >= JUMP_MIN and cut > JUMP_RATIO * motion else 0
