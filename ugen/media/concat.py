"""Join generated segments into one lossless intermediate, dropping repeated boundary frames.

Every segment is normalised inside one ffmpeg call (frame rate, letterbox to the output size,
square pixels, BT.709 yuv420p; audio 48 kHz stereo, silence where a segment has none) and cut
to an exact number of frames and samples, so audio and video stay aligned across the joins.
Where the motion jumps at a join, the pictures crossfade over a few frames centred on it (the
last picture of one segment held into the next's first one held back): no frame is added or
removed and the audio still cuts at the join. The result is H.264 ``-qp 0`` plus PCM in
Matroska: the final render stays the only lossy encode.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from ugen.core.config import get_settings
from ugen.media.boundary import (
    HEAD_FRAMES,
    MAX_BOUNDARY_FRAMES,
    TAIL_FRAMES,
    Frames,
    analysis_size,
    count_duplicates,
    read_gray_frames,
    transition_frames,
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
from ugen.media.filters import chain, normalise_yuv420p
from ugen.media.probe import MediaInfo, probe
from ugen.media.runner import run_ffmpeg


@dataclass(frozen=True)
class ConcatResult:
    """The joined intermediate.

    ``segment_offsets_s[i]`` is where segment *i*'s kept content starts on the output timeline;
    ``dropped_boundary_frames[i]`` is how many source frames were dropped from the start of
    segment *i+1* because they repeated the end of segment *i*; ``transition_frames[i]`` is
    the length of the crossfade across that join (0 where the motion runs on smoothly).
    """

    path: Path
    duration_s: float
    frame_count: int
    segment_offsets_s: tuple[float, ...]
    dropped_boundary_frames: tuple[int, ...]
    transition_frames: tuple[int, ...] = ()


@dataclass(frozen=True)
class SegmentPlan:
    """What to take from one input: skip ``skip_frames`` source frames (``skip_s`` seconds of
    audio with them), then exactly ``out_frames`` frames at the output rate; crossfade the
    pictures over ``blend_frames`` frames centred on the join with the previous input.
    ``pix_fmt`` and ``color_space`` (ffprobe's names; ``None``: not known) let the pictures be
    normalised without needless conversions (:func:`ugen.media.filters.normalise_yuv420p`)."""

    path: Path
    has_audio: bool
    skip_frames: int
    skip_s: float
    out_frames: int
    blend_frames: int = 0
    pix_fmt: str | None = None
    color_space: str | None = None


DECODE_THREADS = 1
"""Decoder threads per segment in the one-call join (:func:`build_concat_args`). ffmpeg opens
every input at once and each keeps its decoder (with a frame pool per thread) until the join
reaches it, so memory grows with the segment count; one thread each keeps that growth smallest
(about 28 MB per 1080x1920 segment instead of 47 with automatic threads on two cores). The
final render does not join this way: it runs one decoder process at a time
(:mod:`ugen.media.feed`)."""


def _samples(frames: int, fps: int) -> int:
    return round(frames * AUDIO_RATE / fps)


def segment_video_filters(plan: SegmentPlan, *, width: int, height: int,
                          fps: int) -> list[str]:
    """The filter chain turning one input's pictures into exactly ``plan.out_frames`` frames at
    ``fps``, ``width``×``height`` BT.709 yuv420p (the skipped head dropped, a short end held)."""
    video = [f"trim=start_frame={plan.skip_frames}"] if plan.skip_frames else []
    return [
        *video, "setpts=PTS-STARTPTS", f"fps={fps}",
        f"tpad=stop_mode=clone:stop={fps}", f"trim=end_frame={plan.out_frames}",
        "setpts=PTS-STARTPTS",
        *normalise_yuv420p(width, height, pix_fmt=plan.pix_fmt, color_space=plan.color_space),
    ]


def _segment_filters(i: int, plan: SegmentPlan, start_frame: int, *,
                     width: int, height: int, fps: int) -> list[str]:
    video = segment_video_filters(plan, width=width, height=height, fps=fps)
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


def _blend_join(i: int, left: str, blend: int, start_frame: int, fps: int) -> str:
    """Crossfade ``left`` (segments before *i*) into ``[v{i}]`` over ``blend`` frames centred
    on ``start_frame``; each side is held by half the blend so no frame is added."""
    half = blend // 2
    return (f"[{left}]fps={fps},tpad=stop_mode=clone:stop={half}[l{i}];"
            f"[v{i}]tpad=start_mode=clone:start={half}[r{i}];"
            f"[l{i}][r{i}]xfade=transition=fade:duration={blend / fps:.6f}"
            f":offset={(start_frame - half) / fps:.6f}[j{i}]")


def _join_video(plans: list[SegmentPlan], fps: int) -> list[str]:
    if not any(plan.blend_frames for plan in plans[1:]):
        n = len(plans)
        return ["".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[vout]"]
    graph, left, start = [], "v0", plans[0].out_frames
    for i in range(1, len(plans)):
        if plans[i].blend_frames:
            graph.append(_blend_join(i, left, plans[i].blend_frames, start, fps))
        else:
            graph.append(f"[{left}][v{i}]concat=n=2:v=1:a=0[j{i}]")
        left, start = f"j{i}", start + plans[i].out_frames
    return [*graph, f"[{left}]null[vout]"]


def check_blends(plans: list[SegmentPlan]) -> None:
    """Refuse crossfades that cannot be made.

    Raises:
        ValueError: a blend on the first segment, or longer than twice a neighbour (the held
            frames would run out).
    """
    for i, plan in enumerate(plans):
        if plan.blend_frames and (i == 0 or plan.blend_frames // 2 > min(
                plan.out_frames, plans[i - 1].out_frames)):
            raise ValueError(f"segment {i} cannot blend over {plan.blend_frames} frames")


def join_graph(plans: list[SegmentPlan], *, width: int, height: int, fps: int,
               video: bool = True, audio: bool = True) -> tuple[list[str], list[str]]:
    """Inputs and filtergraph lines normalising and joining ``plans`` into ``[vout]`` (the
    pictures, crossfaded where planned) and ``[aout]`` (the audio, cut at the joins).

    Raises:
        ValueError: see :func:`check_blends`.
    """
    check_blends(plans)
    inputs: list[str] = []
    graph: list[str] = []
    start = 0
    for i, plan in enumerate(plans):
        inputs += ["-threads", str(DECODE_THREADS), "-i", str(plan.path)]
        pictures, sound = _segment_filters(i, plan, start, width=width, height=height, fps=fps)
        graph += [pictures] * video + [sound] * audio
        start += plan.out_frames
    n = len(plans)
    if video and audio and not any(plan.blend_frames for plan in plans[1:]):
        pads = "".join(f"[v{i}][a{i}]" for i in range(n))
        return inputs, [*graph, f"{pads}concat=n={n}:v=1:a=1[vout][aout]"]
    if video:
        graph += _join_video(plans, fps)
    if audio:
        graph.append("".join(f"[a{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1[aout]")
    return inputs, graph


def build_concat_args(plans: list[SegmentPlan], out: Path, *, width: int, height: int, fps: int,
                      threads: int = 0) -> list[str]:
    """ffmpeg args (no binary) normalising and joining ``plans`` in one filtergraph into a
    lossless Matroska file (see :func:`join_graph`)."""
    inputs, graph = join_graph(plans, width=width, height=height, fps=fps)
    return [
        *inputs, "-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]",
        *lossless_video_args(threads=threads), *pcm_args(), "-f", "matroska", str(out),
    ]


def build_audio_join_args(plans: list[SegmentPlan], out: Path, *, fps: int) -> list[str]:
    """ffmpeg args writing only the joined audio of ``plans`` (16-bit 48 kHz stereo WAV)."""
    inputs, graph = join_graph(plans, width=2, height=2, fps=fps, video=False)
    return [*inputs, "-filter_complex", ";".join(graph), "-map", "[aout]", *pcm_args(),
            "-f", "wav", str(out)]


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


def _boundaries(infos: list[MediaInfo], size: tuple[int, int]) -> list[tuple[int, int]]:
    """For each segment after the first: its duplicated head frames, and the crossfade its
    join with the previous segment needs."""
    found: list[tuple[int, int]] = []
    for i in range(1, len(infos)):
        prev, cur = infos[i - 1], infos[i]
        assert prev.video is not None and cur.video is not None and cur.video.frames
        tail = _read(i - 1, prev.path, size, tail_s=max(0.5, (TAIL_FRAMES + 2) / prev.video.fps))
        limit = min(MAX_BOUNDARY_FRAMES, cur.video.frames - 1)
        head = _read(i, cur.path, size, head=HEAD_FRAMES)
        skip = count_duplicates(tail[-TAIL_FRAMES:], head, limit=limit)
        found.append((skip, transition_frames(tail[-TAIL_FRAMES:], head[skip:])))
    return found


def _plan(info: MediaInfo, skip: int, fps: int, blend: int = 0) -> SegmentPlan:
    assert info.video is not None and info.video.frames
    src_fps = info.video.fps
    kept = info.video.frames - skip
    return SegmentPlan(
        path=info.path, has_audio=info.audio is not None, skip_frames=skip,
        skip_s=skip / src_fps, out_frames=max(1, round(kept * fps / src_fps)), blend_frames=blend,
        **_source_format(info),
    )


def _source_format(info: MediaInfo) -> dict[str, str | None]:
    """The pixel format and matrix of an H.264 segment, for cheap normalising. Only H.264:
    FFmpeg's decoder reports full range as ``yuvj420p`` there, so ``yuv420p`` means limited
    range (other codecs report full range as ``yuv420p`` plus a range tag probe does not keep).
    """
    if info.video is None or info.video.codec != "h264":
        return {"pix_fmt": None, "color_space": None}
    return {"pix_fmt": info.video.pix_fmt, "color_space": info.video.color_space}


def _fit_blends(plans: list[SegmentPlan]) -> list[SegmentPlan]:
    """Shorten crossfades that would hold more frames than a short neighbour has."""
    fitted = [plans[0]]
    for prev, plan in pairwise(plans):
        room = 2 * min(prev.out_frames, plan.out_frames)
        fitted.append(replace(plan, blend_frames=min(plan.blend_frames, room) // 2 * 2))
    return fitted


_DECODE_ERROR = re.compile(r"(?:stream|Input) #(\d+)")


def blame_segment(err: FFmpegError, segments: list[Path]) -> MediaError:
    """Turn an ffmpeg failure into an error naming the segment its log points at, if any."""
    match = _DECODE_ERROR.search(err.stderr_tail)
    if match and not isinstance(err, FFmpegTimeout) and int(match.group(1)) < len(segments):
        i = int(match.group(1))
        reason = f"failed while joining: {err.stderr_tail[-400:]}"
        return InvalidSegmentError(i, segments[i], reason)
    return err


@dataclass(frozen=True)
class ConcatPlan:
    """How the segments join, decided once: what to take from each input and where the joins
    are crossfaded. Rendering it (:func:`build_concat_args`, or the final render straight from
    the segments) gives the same pictures; it serialises to a small JSON-able dict."""

    segments: tuple[SegmentPlan, ...]
    width: int
    height: int
    fps: int
    dropped_boundary_frames: tuple[int, ...]

    @property
    def frame_count(self) -> int:
        return sum(plan.out_frames for plan in self.segments)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    @property
    def segment_offsets_s(self) -> tuple[float, ...]:
        starts = [0, *accumulate(plan.out_frames for plan in self.segments)][:-1]
        return tuple(start / self.fps for start in starts)

    @property
    def transition_frames(self) -> tuple[int, ...]:
        return tuple(plan.blend_frames for plan in self.segments[1:])

    def to_dict(self) -> dict[str, Any]:
        """Plain data (segment paths as strings) for a step's output or a JSON file."""
        data = asdict(self)
        for seg in data["segments"]:
            seg["path"] = str(seg["path"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], paths: list[Path] | None = None) -> ConcatPlan:
        """The plan saved by :meth:`to_dict`; ``paths`` replace the segments' saved paths."""
        segs = [SegmentPlan(**{**seg, "path": Path(seg["path"])}) for seg in data["segments"]]
        if paths is not None:
            segs = [replace(seg, path=path) for seg, path in zip(segs, paths, strict=True)]
        return cls(segments=tuple(segs), width=data["width"], height=data["height"],
                   fps=data["fps"], dropped_boundary_frames=tuple(data["dropped_boundary_frames"]))


def plan_concat(segments: list[Path], *, width: int, height: int, fps: int) -> ConcatPlan:
    """Probe ``segments`` and decide the join: duplicated boundary frames, crossfades.

    Only a few frames on each side of every join are decoded.

    Raises:
        InvalidSegmentError: a segment is missing, unreadable or undecodable (index and path).
    """
    if not segments:
        raise ValueError("a concat plan needs at least one segment")
    infos = [_probe_segment(i, p) for i, p in enumerate(segments)]
    found = [(0, 0), *_boundaries(infos, analysis_size(width, height))]
    plans = _fit_blends([_plan(info, skip, fps, blend)
                         for info, (skip, blend) in zip(infos, found, strict=True)])
    return ConcatPlan(segments=tuple(plans), width=width, height=height, fps=fps,
                      dropped_boundary_frames=tuple(skip for skip, _ in found[1:]))


def join_audio(plan: ConcatPlan, out: Path) -> Path:
    """Write the segments' own audio, joined on the plan's timeline, as a 48 kHz stereo WAV
    of exactly the video's length (silence where a segment has none).

    Raises:
        InvalidSegmentError: a segment's audio cannot be decoded.
    """
    segments = [seg.path for seg in plan.segments]
    with atomic_output(out) as tmp:
        try:
            run_ffmpeg(build_audio_join_args(list(plan.segments), tmp, fps=plan.fps))
        except FFmpegError as err:
            raise blame_segment(err, segments) from err
    return out


def concat_segments(segments: list[Path], out: Path, *, width: int, height: int,
                    fps: int) -> ConcatResult:
    """Join ``segments`` into a lossless Matroska intermediate at ``out``.

    Args:
        segments: H.264/AAC MP4 files in play order (any fps, size, SAR, audio or none).
        out: destination (``.mkv``), written atomically.
        width, height, fps: the output geometry and frame rate.

    Returns:
        Where each segment landed, how many boundary frames were dropped and where the joins
        were crossfaded.

    Raises:
        InvalidSegmentError: a segment is missing, unreadable or undecodable (index and path).
        FFmpegError: the join itself failed for another reason.
    """
    if not segments:
        raise ValueError("concat_segments needs at least one segment")
    plan = plan_concat(segments, width=width, height=height, fps=fps)
    threads = get_settings().ffmpeg_threads
    with atomic_output(out) as tmp:
        try:
            run_ffmpeg(build_concat_args(list(plan.segments), tmp, width=width, height=height,
                                         fps=fps, threads=threads))
        except FFmpegError as err:
            raise blame_segment(err, segments) from err
    return ConcatResult(
        path=out, duration_s=plan.duration_s, frame_count=plan.frame_count,
        segment_offsets_s=plan.segment_offsets_s,
        dropped_boundary_frames=plan.dropped_boundary_frames,
        transition_frames=plan.transition_frames,
    )
