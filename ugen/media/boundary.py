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

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ugen.media.filters import chain, fit_and_pad
from ugen.media.probe import MediaInfo, VideoStream
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


def _tail_seek(video: VideoStream) -> list[str]:
    """Input options reading a segment's last frames: half a second, or :data:`TAIL_FRAMES`
    and two more frames where that is longer, before the end of its pictures (which may end
    before its sound); counted back from the end of the file where their length is unknown."""
    window = max(0.5, (TAIL_FRAMES + 2) / video.fps) if video.fps > 0 else 0.5
    end = video.duration or (video.frames / video.fps if video.frames and video.fps else None)
    if not end:
        return ["-sseof", f"-{window:.3f}"]
    return ["-ss", f"{max(0.0, end - window):.3f}"]


@dataclass(frozen=True)
class SegmentEnds:
    """The pictures of a segment that its joins are judged on: its first
    :data:`HEAD_FRAMES` and last frames, gray at the analysis size. Either may be absent
    (None): the first segment's head and the last one's tail are never compared.

    Reading the last frames decodes the segment from its last keyframe, often all of it, so
    the pipeline reads them once, when the segment arrives (see ``ugen.pipeline.generation``),
    and keeps them beside it with the segment's digest. Reading them needs the segment's
    probe, kept too (``info``), so the join is planned without probing the segment again.
    """

    head: Frames | None
    tail: Frames | None
    info: MediaInfo | None = None
    """The segment's probe, where one was taken to read its tail."""

    def save(self, path: Path, *, source: Path) -> None:
        """Write to ``path`` (``.npz``), tied to the content of the segment ``source``."""
        arrays = {name: frames.astype(np.uint8) for name, frames in
                  (("head", self.head), ("tail", self.tail)) if frames is not None}
        arrays["digest"] = np.frombuffer(file_digest(source), np.uint8)
        if self.info is not None:
            arrays["info"] = np.frombuffer(json.dumps(self.info.to_dict()).encode(), np.uint8)
        with path.open("wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path, *, source: Path, size: tuple[int, int]) -> SegmentEnds | None:
        """The ends saved at ``path`` for ``source`` (their probe naming ``source``) at
        ``size``; None when the file is missing or unreadable, or was saved for other content
        or another analysis size."""
        try:
            with np.load(path) as data:
                digest = data["digest"].tobytes()
                head = data["head"] if "head" in data.files else None
                tail = data["tail"] if "tail" in data.files else None
                info = (MediaInfo.from_dict(json.loads(data["info"].tobytes()), path=source)
                        if "info" in data.files else None)
        except (OSError, KeyError, TypeError, ValueError, EOFError, zipfile.BadZipFile):
            return None
        w, h = size
        if digest != file_digest(source) or any(
                part is not None and (part.ndim != 3 or part.shape[1:] != (h, w))
                for part in (head, tail)):
            return None
        return cls(None if head is None else head.astype(np.float32),
                   None if tail is None else tail.astype(np.float32), info)


def file_digest(path: Path) -> bytes:
    """SHA-256 of a file's bytes."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").digest()


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Small (w, h) with the output's aspect ratio, used for every comparison."""
    return ANALYSIS_WIDTH, max(2, round(ANALYSIS_WIDTH * height / width))


def gray_frames_args(
    path: Path, *, size: tuple[int, int], head: int | None = None,
    tail_of: VideoStream | None = None,
) -> list[str]:
    """ffmpeg args decoding the first ``head`` frames, or the last frames of the pictures
    ``tail_of`` describes (the file's video stream), to raw 8-bit gray on stdout."""
    w, h = size
    seek = _tail_seek(tail_of) if tail_of is not None else []
    limit = ["-frames:v", str(head)] if head is not None else []
    vf = chain(fit_and_pad(w, h, pix_fmt="gray", bt709=False, flags="area"))
    return [*seek, "-i", str(path), "-map", "0:v:0", "-vf", vf, *limit,
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]


def read_gray_frames(
    path: Path, *, size: tuple[int, int], head: int | None = None,
    tail_of: VideoStream | None = None,
) -> Frames:
    """Decode frames as in :func:`gray_frames_args`.

    Raises:
        FFmpegError: the file cannot be decoded.
    """
    args = gray_frames_args(path, size=size, head=head, tail_of=tail_of)
    out, _ = run_capture(ffmpeg_argv(args), timeout=120)
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
