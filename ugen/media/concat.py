"""Join generated segments into one lossless intermediate, dropping repeated boundary frames.

Every segment is normalised inside one ffmpeg call (frame rate, letterbox to the output size,
square pixels, BT.709 yuv420p; audio 48 kHz stereo, silence where a segment has none) and cut
to an exact number of frames and samples, so audio and video stay aligned across the joins.
The result is H.264 ``-qp 0`` plus PCM in Matroska: the final render stays the only lossy encode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ugen.core.config import get_settings
from ugen.media.boundary import (
    MAX_BOUNDARY_FRAMES,
    TAIL_FRAMES,
    Frames,
    analysis_size,
    count_duplicates,
    read_gray_frames,
)
from ugen.media.encode import AUDIO_RATE, lossless_video_args, pcm_args
from ugen.media.errors import (
    FFmpegError,
    FFmpegTimeout,
    InvalidMediaError,
    InvalidSegmentError,
    MediaError,
)
from ugen.media.files import atomic_output
from ugen.media.filters import chain, fit_and_pad
from ugen.media.probe import MediaInfo, probe
from ugen.media.runner import run_ffmpeg


@dataclass(frozen=True)
class ConcatResult:
    """The joined intermediate.

    ``segment_offsets_s[i]`` is where segment *i*'s kept content starts on the output timeline;
    ``dropped_boundary_frames[i]`` is how many source frames were dropped from the start of
    segment *i+1* because they repeated the end of segment *i*.
    """

    path: Path
    duration_s: float
    frame_count: int
    segment_offsets_s: tuple[float, ...]
    dropped_boundary_frames: tuple[int, ...]


@dataclass(frozen=True)
class SegmentPlan:
    """What to take from one input: skip ``skip_frames`` source frames (``skip_s`` seconds of
    audio with them), then exactly ``out_frames`` frames at the output rate."""

    path: Path
    has_audio: bool
    skip_frames: int
    skip_s: float
    out_frames: int


def _samples(frames: int, fps: int) -> int:
    return round(frames * AUDIO_RATE / fps)


def _segment_filters(i: int, plan: SegmentPlan, start_frame: int, *,
                     width: int, height: int, fps: int) -> list[str]:
    video = [f"trim=start_frame={plan.skip_frames}"] if plan.skip_frames else []
    video += [
        "setpts=PTS-STARTPTS", f"fps={fps}",
        f"tpad=stop_mode=clone:stop={fps}", f"trim=end_frame={plan.out_frames}",
        "setpts=PTS-STARTPTS", *fit_and_pad(width, height),
    ]
    n = _samples(start_frame + plan.out_frames, fps) - _samples(start_frame, fps)
    fmt = f"aformat=sample_fmts=s16:sample_rates={AUDIO_RATE}:channel_layouts=stereo"
    if plan.has_audio:
        head = f"[{i}:a:0]"
        audio = [f"atrim=start={plan.skip_s:.6f}"] if plan.skip_frames else []
        audio += ["asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", fmt,
                  f"apad=whole_len={n}", f"atrim=end_sample={n}"]
    else:
        head = ""
        audio = [f"anullsrc=r={AUDIO_RATE}:cl=stereo", fmt, f"atrim=end_sample={n}"]
    return [f"[{i}:v:0]{chain(video)}[v{i}]", f"{head}{chain(audio)}[a{i}]"]


def build_concat_args(plans: list[SegmentPlan], out: Path, *, width: int, height: int, fps: int,
                      threads: int = 0) -> list[str]:
    """ffmpeg args (no binary) normalising and joining ``plans`` in one filtergraph."""
    inputs: list[str] = []
    graph: list[str] = []
    pads = ""
    start = 0
    for i, plan in enumerate(plans):
        inputs += ["-i", str(plan.path)]
        graph += _segment_filters(i, plan, start, width=width, height=height, fps=fps)
        pads += f"[v{i}][a{i}]"
        start += plan.out_frames
    graph.append(f"{pads}concat=n={len(plans)}:v=1:a=1[vout][aout]")
    return [
        *inputs, "-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
        *lossless_video_args(threads=threads), *pcm_args(), "-f", "matroska", str(out),
    ]


def _probe_segment(i: int, path: Path) -> MediaInfo:
    try:
        info = probe(path)
        if info.video is None:
            raise InvalidSegmentError(i, path, "has no video stream")
        if not info.video.frames or info.video.fps <= 0:
            info = probe(path, count_frames=True)
    except InvalidSegmentError:
        raise
    except InvalidMediaError as err:
        raise InvalidSegmentError(i, path, f"unreadable ({err})") from err
    if info.video is None or not info.video.frames or info.video.fps <= 0:
        raise InvalidSegmentError(i, path, "has no decodable video frames")
    return info


def _read(i: int, path: Path, size: tuple[int, int], *, head: int | None = None,
          tail_s: float | None = None) -> Frames:
    try:
        frames = read_gray_frames(path, size=size, head=head, tail_s=tail_s)
    except FFmpegError as err:
        raise InvalidSegmentError(i, path, f"cannot be decoded: {err.stderr_tail[-400:]}") from err
    if len(frames) == 0:
        raise InvalidSegmentError(i, path, "decodes to no frames")
    return frames


def _boundary_duplicates(infos: list[MediaInfo], size: tuple[int, int]) -> list[int]:
    """Duplicated frames at the start of each segment after the first."""
    dropped: list[int] = []
    for i in range(1, len(infos)):
        prev, cur = infos[i - 1], infos[i]
        assert prev.video is not None and cur.video is not None and cur.video.frames
        tail = _read(i - 1, prev.path, size, tail_s=max(0.5, (TAIL_FRAMES + 2) / prev.video.fps))
        limit = min(MAX_BOUNDARY_FRAMES, cur.video.frames - 1)
        head = _read(i, cur.path, size, head=MAX_BOUNDARY_FRAMES)
        dropped.append(count_duplicates(tail[-TAIL_FRAMES:], head, limit=limit))
    return dropped


def _plan(info: MediaInfo, skip: int, fps: int) -> SegmentPlan:
    assert info.video is not None and info.video.frames
    src_fps = info.video.fps
    kept = info.video.frames - skip
    return SegmentPlan(
        path=info.path, has_audio=info.audio is not None, skip_frames=skip,
        skip_s=skip / src_fps, out_frames=max(1, round(kept * fps / src_fps)),
    )


_DECODE_ERROR = re.compile(r"(?:stream|Input) #(\d+)")


def _blame(err: FFmpegError, segments: list[Path]) -> MediaError:
    """Turn an ffmpeg failure into an error naming the segment its log points at, if any."""
    match = _DECODE_ERROR.search(err.stderr_tail)
    if match and not isinstance(err, FFmpegTimeout) and int(match.group(1)) < len(segments):
        i = int(match.group(1))
        reason = f"failed while joining: {err.stderr_tail[-400:]}"
        return InvalidSegmentError(i, segments[i], reason)
    return err


def concat_segments(segments: list[Path], out: Path, *, width: int, height: int,
                    fps: int) -> ConcatResult:
    """Join ``segments`` into a lossless Matroska intermediate at ``out``.

    Args:
        segments: H.264/AAC MP4 files in play order (any fps, size, SAR, audio or none).
        out: destination (``.mkv``), written atomically.
        width, height, fps: the output geometry and frame rate.

    Returns:
        Where each segment landed and how many boundary frames were dropped.

    Raises:
        InvalidSegmentError: a segment is missing, unreadable or undecodable (index and path).
        FFmpegError: the join itself failed for another reason.
    """
    if not segments:
        raise ValueError("concat_segments needs at least one segment")
    infos = [_probe_segment(i, p) for i, p in enumerate(segments)]
    dropped = _boundary_duplicates(infos, analysis_size(width, height))
    plans = [_plan(info, skip, fps) for info, skip in zip(infos, [0, *dropped], strict=True)]
    threads = get_settings().ffmpeg_threads
    with atomic_output(out) as tmp:
        try:
            run_ffmpeg(build_concat_args(plans, tmp, width=width, height=height, fps=fps,
                                         threads=threads))
        except FFmpegError as err:
            raise _blame(err, segments) from err
    offsets, start = [], 0
    for plan in plans:
        offsets.append(start / fps)
        start += plan.out_frames
    return ConcatResult(
        path=out, duration_s=start / fps, frame_count=start,
        segment_offsets_s=tuple(offsets), dropped_boundary_frames=tuple(dropped),
    )
