"""Join generated segments: decide once how they join, then render that join.

:func:`plan_concat` probes the segments and decides the join: the duplicated frames at each
boundary (measured, see :mod:`ugen.media.boundary`), the joins that get a short crossfade,
and how each segment is normalised (frame rate, letterbox to the output size, square pixels,
BT.709 yuv420p) and cut to an exact number of frames and samples, so audio and video stay
aligned across the joins. A crossfade spans a few frames centred on the join (the last
picture of one segment held into the next's first one held back): no frame is added or
removed and the audio still cuts at the join. The final render draws the pictures straight
from the segments by the plan (:mod:`ugen.media.render`); :func:`join_audio` joins their
sound on the same timeline.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from ugen.media.boundary import (
    HEAD_FRAMES,
    MAX_BOUNDARY_FRAMES,
    TAIL_FRAMES,
    Frames,
    SegmentEnds,
    analysis_size,
    count_duplicates,
    read_gray_frames,
    transition_frames,
)
from ugen.media.encode import AUDIO_RATE, pcm_args
from ugen.media.errors import (
    FFmpegError,
    FFmpegTimeout,
    InvalidMediaError,
    InvalidSegmentError,
    MediaError,
)
from ugen.media.files import atomic_output
from ugen.media.filters import chain, normalise_yuv420p
from ugen.media.probe import MediaInfo, VideoStream, probe
from ugen.media.runner import run_ffmpeg


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
    stream: str | None = None
    """What the decoder sees of this input (codec, size, pixel aspect, pixel format, matrix,
    frame rate, stream layout) when it is at the output's constant frame rate, so that every
    decoded frame is one output frame; None otherwise. Inputs that share one ``stream`` can
    be decoded as a single stream (:func:`stream_join`)."""


DECODE_THREADS = 1
"""Decoder threads per segment in the audio join (:func:`build_audio_join_args`): ffmpeg opens
every input at once, so one thread each keeps the memory it takes smallest. The pictures are
not joined this way: the final render runs one decoder process at a time
(:mod:`ugen.media.feed`)."""


ANALYSIS_PROCESSES = max(1, min(8, os.cpu_count() or 1))
"""ffprobe and ffmpeg processes planning a join at once: reading the last frames of a segment
decodes it from its last keyframe, often the whole segment, so the reads spread over cores."""


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


def _segment_audio(i: int, plan: SegmentPlan, start_frame: int, fps: int) -> str:
    """Input *i*'s sound as exactly the samples of its frames on the timeline, as ``[a{i}]``
    (the skipped head dropped, silence where it has none)."""
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
    return f"{head}{chain(audio)}[a{i}]"


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


def build_audio_join_args(plans: list[SegmentPlan], out: Path, *, fps: int) -> list[str]:
    """ffmpeg args writing only the joined audio of ``plans`` (16-bit 48 kHz stereo WAV), each
    segment's sound cut at its joins."""
    inputs: list[str] = []
    graph: list[str] = []
    start = 0
    for i, plan in enumerate(plans):
        inputs += ["-threads", str(DECODE_THREADS), "-i", str(plan.path)]
        graph.append(_segment_audio(i, plan, start, fps))
        start += plan.out_frames
    n = len(plans)
    graph.append("".join(f"[a{i}]" for i in range(n)) + f"concat=n={n}:v=0:a=1[aout]")
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


def _segment_info(i: int, path: Path, ends: SegmentEnds | None) -> MediaInfo:
    """Segment ``i``'s probe: the one kept with its ends (read with them, for this content),
    or a new one."""
    if ends is not None and ends.info is not None:
        return replace(ends.info, path=path)
    return _probe_segment(i, path)


def _read(i: int, path: Path, size: tuple[int, int], *, head: int | None = None,
          tail_of: VideoStream | None = None) -> Frames:
    """The first ``head`` frames, or the last frames of the pictures ``tail_of`` describes."""
    try:
        frames = read_gray_frames(path, size=size, head=head, tail_of=tail_of)
    except FFmpegError as err:
        raise InvalidSegmentError(i, path, f"cannot be decoded: {err.stderr_tail[-400:]}") from err
    if len(frames) == 0:
        raise InvalidSegmentError(i, path, "decodes to no frames")
    return frames


def read_segment_ends(index: int, path: Path, *, width: int, height: int, head: bool = True,
                      tail: bool = True) -> SegmentEnds:
    """The first and last frames of segment ``index`` as its joins are judged on, for an
    output of ``width``×``height``; only the ``head`` or the ``tail`` when the other is never
    compared (the first segment's head, the last one's tail).

    Raises:
        InvalidSegmentError: the segment is unreadable or undecodable (index and path).
    """
    size = analysis_size(width, height)
    head_frames = _read(index, path, size, head=HEAD_FRAMES) if head else None
    if not tail:
        # The head needs no probe (a decode error says what is wrong): the last segment's
        # read is the one that waits on nothing else.
        return SegmentEnds(head=head_frames, tail=None)
    info = _probe_segment(index, path)
    assert info.video is not None
    return SegmentEnds(head=head_frames, tail=_read(index, path, size, tail_of=info.video),
                       info=info)


def _boundaries(infos: list[MediaInfo], ends: Sequence[SegmentEnds | None],
                size: tuple[int, int], pool: ThreadPoolExecutor) -> list[tuple[int, int]]:
    """For each segment after the first: its duplicated head frames, and the crossfade its
    join with the previous segment needs. Frames not in ``ends`` are read in ``pool``."""
    def head_of(i: int) -> Future[Frames]:
        known = ends[i]
        if known is not None and known.head is not None:
            return _done(known.head)
        return pool.submit(_read, i, infos[i].path, size, head=HEAD_FRAMES)

    def tail_of(i: int) -> Future[Frames]:
        known, video = ends[i], infos[i].video
        if known is not None and known.tail is not None:
            return _done(known.tail)
        assert video is not None
        return pool.submit(_read, i, infos[i].path, size, tail_of=video)

    reads = [(tail_of(i - 1), head_of(i)) for i in range(1, len(infos))]
    found: list[tuple[int, int]] = []
    for i, (tail_read, head_read) in enumerate(reads, start=1):
        cur = infos[i]
        assert cur.video is not None and cur.video.frames
        tail, head = tail_read.result()[-TAIL_FRAMES:], head_read.result()
        skip = count_duplicates(tail, head, limit=min(MAX_BOUNDARY_FRAMES, cur.video.frames - 1))
        found.append((skip, transition_frames(tail, head[skip:])))
    return found


def _done(frames: Frames) -> Future[Frames]:
    future: Future[Frames] = Future()
    future.set_result(frames)
    return future


def _plan(info: MediaInfo, skip: int, fps: int, blend: int = 0) -> SegmentPlan:
    assert info.video is not None and info.video.frames
    src_fps = info.video.fps
    kept = info.video.frames - skip
    return SegmentPlan(
        path=info.path, has_audio=info.audio is not None, skip_frames=skip,
        skip_s=skip / src_fps, out_frames=max(1, round(kept * fps / src_fps)), blend_frames=blend,
        stream=_stream(info, fps), **_source_format(info),
    )


def _stream(info: MediaInfo, fps: int) -> str | None:
    video = info.video
    if (video is None or not video.frames or abs(video.fps - fps) > 1e-6
            or abs(video.rate - video.fps) > 1e-6):
        return None
    return "|".join([video.codec, f"{video.width}x{video.height}", str(video.sample_aspect),
                     str(video.pix_fmt), str(video.color_space), f"{fps}", str(video.index),
                     ",".join(info.layout)])


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
    are crossfaded. The final render draws the pictures straight from the segments by it
    (:mod:`ugen.media.render`); it serialises to a small JSON-able dict."""

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


def plan_concat(segments: list[Path], *, width: int, height: int, fps: int,
                ends: Sequence[SegmentEnds | None] = ()) -> ConcatPlan:
    """Probe ``segments`` and decide the join: duplicated boundary frames, crossfades.

    ``ends`` holds each segment's first and last frames where they were read already
    (:func:`read_segment_ends`, at this output size), with the probe taken to read them; the
    rest are read, and the other segments probed, here.

    Only a few frames on each side of every join are kept; the probes and reads run
    :data:`ANALYSIS_PROCESSES` at a time.

    Raises:
        InvalidSegmentError: a segment is missing, unreadable or undecodable (index and path).
    """
    if not segments:
        raise ValueError("a concat plan needs at least one segment")
    if len(ends) > len(segments):
        raise ValueError("more segment ends than segments")
    known = [*ends, *[None] * (len(segments) - len(ends))]
    pool = ThreadPoolExecutor(ANALYSIS_PROCESSES, thread_name_prefix="ugen-concat")
    try:
        infos = list(pool.map(_segment_info, range(len(segments)), segments, known))
        found = [(0, 0), *_boundaries(infos, known, analysis_size(width, height), pool)]
    finally:  # on an error, reads not yet started are dropped
        pool.shutdown(wait=True, cancel_futures=True)
    plans = _fit_blends([_plan(info, skip, fps, blend)
                         for info, (skip, blend) in zip(infos, found, strict=True)])
    return ConcatPlan(segments=tuple(plans), width=width, height=height, fps=fps,
                      dropped_boundary_frames=tuple(skip for skip, _ in found[1:]))


def stream_join(plan: ConcatPlan) -> list[str] | None:
    """The filters turning ``plan``'s segments, decoded one after another as a single stream
    (FFmpeg's concat demuxer), into its frames; None where that cannot give them exactly.

    It can where no join is crossfaded and every segment has the same :attr:`SegmentPlan.stream`
    (the same format at the output's constant frame rate): each decoded frame is then one
    output frame, the duplicated boundary frames are dropped by their place in the stream and
    the frames are timed by their count. The segments' own timestamps are not used, so a
    segment whose sound runs longer than its pictures leaves no gap. Should a segment decode
    to another number of frames than it declares, the result has the wrong length: check it.
    """
    first = plan.segments[0]
    if first.stream is None or any(seg.blend_frames or seg.stream != first.stream
                                   for seg in plan.segments):
        return None
    dropped, start = [], 0
    for seg in plan.segments:
        if seg.skip_frames:
            dropped.append(f"between(n,{start},{start + seg.skip_frames - 1})")
        start += seg.skip_frames + seg.out_frames
    keep = [f"select='not({'+'.join(dropped)})'"] if dropped else []
    return [*keep, f"setpts=N/({plan.fps}*TB)",
            *normalise_yuv420p(plan.width, plan.height, pix_fmt=first.pix_fmt,
                               color_space=first.color_space)]


def concat_list(paths: Sequence[Path]) -> str:
    """The concat demuxer's list of ``paths`` (absolute, quoted for its syntax).

    Raises:
        ValueError: a path with a line break (the list has one entry per line).
    """
    def quoted(path: Path) -> str:
        if "\n" in str(path) or "\r" in str(path):
            raise ValueError(f"cannot list a path with a line break: {path!r}")
        return "'" + str(path.resolve()).replace("'", "'\\''") + "'"
    return "".join(f"file {quoted(path)}\n" for path in paths)


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
