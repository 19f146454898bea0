"""The final render: the one lossy encode, with burnt-in captions, plus the poster frame.

The pictures come straight from the segments by their :class:`~ugen.media.concat.ConcatPlan`:
segments of one format are decoded as a single stream inside the encoding process (the concat
demuxer, one decoder at a time); others are decoded one segment at a time by the same
normalising filters and fed to the encoder as raw frames (:mod:`ugen.media.feed`). Either way
the segments are decoded once, the join is never encoded on its own, and memory does not grow
with the length.

Subtitles are drawn on the BT.709 YUV frames directly, their colours rewritten to compensate
for libass drawing ASS colours with the BT.601 matrix (see :mod:`ugen.media.subtitle_colours`),
which saves two full-frame conversions to RGB and back. The soundtrack is resampled and padded
or cut to exactly the video's length, so output duration never depends on ``-shortest``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ugen.core.config import Settings, get_settings
from ugen.media.concat import ConcatPlan, concat_list, stream_join
from ugen.media.encode import AUDIO_RATE, BT709_TAGS, aac_args, x264_args
from ugen.media.errors import FFmpegError, FFmpegTimeout, InvalidMediaError
from ugen.media.feed import encode_fed
from ugen.media.files import atomic_output, temp_sibling
from ugen.media.filters import chain, filter_value
from ugen.media.probe import probe
from ugen.media.runner import ffmpeg_argv, run_ffmpeg
from ugen.media.subtitle_colours import for_bt709_frames
from ugen.media.verify import verify_output
from ugen.media.watermark import WatermarkOverlay, overlay_input_args, video_graph

log = logging.getLogger(__name__)

__all__ = [
    "build_plan_render_args",
    "build_stream_render_args",
    "extract_poster",
    "render_plan",
    "verify_output",
]


def subtitles_filter(subtitles: Path, fonts_dir: Path | None = None) -> str:
    """The ``ass`` filter for ``subtitles``, paths escaped for filtergraph syntax."""
    text = f"ass=filename={filter_value(str(subtitles))}"
    if fonts_dir is not None:
        text += f":fontsdir={filter_value(str(fonts_dir))}"
    return text


def _exact_audio(frames: int, fps: int) -> list[str]:
    samples = round(frames * AUDIO_RATE / fps)
    return [f"aresample={AUDIO_RATE}",
            f"aformat=sample_fmts=fltp:sample_rates={AUDIO_RATE}:channel_layouts=stereo",
            f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]


def build_plan_render_args(
    plan: ConcatPlan, audio: Path, out: Path, *, preset: str, crf: int, threads: int = 0,
    subtitles: Path | None = None, fonts_dir: Path | None = None,
    watermark: WatermarkOverlay | None = None,
) -> list[str]:
    """ffmpeg args (no binary) for the final encode of ``plan``'s pictures, which arrive on
    stdin as raw BT.709 yuv420p frames at the output size and rate (:mod:`ugen.media.feed`).

    ``subtitles`` are drawn straight on those frames, so their colours must already be
    rewritten by :func:`ugen.media.subtitle_colours.for_bt709_frames`; a ``watermark``
    (:mod:`ugen.media.watermark`) is overlaid in the same graph, under the captions. The
    soundtrack is cut or padded to the plan's frame count.
    """
    raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s:v", f"{plan.width}x{plan.height}",
           "-framerate", str(plan.fps), *BT709_TAGS, "-i", "pipe:0"]
    subs = [] if subtitles is None else [subtitles_filter(subtitles, fonts_dir)]
    af = _exact_audio(plan.frame_count, plan.fps)
    graph = [*video_graph("[0:v:0]", [], subs, watermark, 2), f"[1:a:0]{chain(af)}[a]"]
    return [
        *raw, "-i", str(audio), *overlay_input_args(watermark),
        "-filter_complex", ";".join(graph),
        "-map", "[v]", "-map", "[a]",
        *x264_args(preset=preset, crf=crf, fps=plan.fps, threads=threads), *aac_args(),
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]


SHARED_THREAD_CORES = 2
"""Up to this many cores the encoder's threads keep every core busy, so the render's decoder
and filters run in one thread each: frame and slice threads cost about 5% more CPU for the
decode and 1% for the filters (measured at 1080x1920) and save no wall time where no core is
idle. With more cores they get threads of their own, so they never hold the encoder up."""


def helper_threads(cores: int | None = None) -> int:
    """Threads for the render's decoder and filters on ``cores`` cores (those this process
    may use by default): 1 up to :data:`SHARED_THREAD_CORES`, else 0 (FFmpeg's choice)."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    return 1 if cores <= SHARED_THREAD_CORES else 0


def build_stream_render_args(
    plan: ConcatPlan, segments_list: Path, audio: Path, out: Path, *, preset: str, crf: int,
    threads: int = 0, decode_threads: int = 0, subtitles: Path | None = None,
    fonts_dir: Path | None = None, watermark: WatermarkOverlay | None = None,
) -> list[str] | None:
    """ffmpeg args (no binary) for the final encode of ``plan`` with its segments decoded as one
    stream by the concat demuxer from ``segments_list`` (:func:`ugen.media.concat.concat_list`),
    in this one process; None where the plan's segments cannot be joined so
    (:func:`ugen.media.concat.stream_join`). Subtitles and sound as
    :func:`build_plan_render_args`.

    Args:
        threads: the encoder's threads (0: FFmpeg's choice).
        decode_threads: the decoder's threads and the filtergraph's (0: FFmpeg's choice; see
            :func:`helper_threads`).
    """
    join = stream_join(plan)
    if join is None:
        return None
    subs = [] if subtitles is None else [subtitles_filter(subtitles, fonts_dir)]
    af = _exact_audio(plan.frame_count, plan.fps)
    graph = [*video_graph("[0:v:0]", join, subs, watermark, 2), f"[1:a:0]{chain(af)}[a]"]
    helpers = ([] if decode_threads == 0 else
               ["-filter_complex_threads", str(decode_threads), "-threads", str(decode_threads)])
    return [
        *helpers, "-f", "concat", "-safe", "0", "-i", str(segments_list), "-i", str(audio),
        *overlay_input_args(watermark),
        "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]",
        *x264_args(preset=preset, crf=crf, fps=plan.fps, threads=threads), *aac_args(),
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]


def render_plan(plan: ConcatPlan, audio: Path, out: Path, *, subtitles: Path | None = None,
                fonts_dir: Path | None = None,
                watermark: WatermarkOverlay | None = None) -> Path:
    """Encode the deliverable MP4 straight from the segments: H.264 High/yuv420p/BT.709, AAC
    48 kHz stereo, faststart; the soundtrack padded with silence or cut to the video's length.

    Segments of one format at the output's frame rate with no crossfade (segments of one
    model, the usual case) are decoded as a single stream inside the encoding process; the
    output must then have exactly the plan's frame count. Otherwise, or where that fails, each
    segment is decoded by a process of its own and fed to the encoder as raw frames
    (:mod:`ugen.media.feed`), which names a segment that does not decode as planned. Both
    give the same pictures, and memory does not grow with the length either way.

    Raises:
        InvalidSegmentError: a segment failed to decode (index and path).
        FFmpegError: the encode failed for another reason.
        FFmpegTimeout: the render ran past ``settings.ffmpeg_timeout_s``.
    """
    settings = get_settings()
    script = None
    if subtitles is not None:  # colours rewritten for drawing on the BT.709 frames
        script = temp_sibling(out.with_suffix(".ass"))
        script.write_text(for_bt709_frames(subtitles.read_text(encoding="utf-8-sig")),
                          encoding="utf-8")
    preset, crf, threads = settings.x264_preset, settings.x264_crf, settings.ffmpeg_threads
    try:
        with atomic_output(out) as tmp:
            listed = temp_sibling(out.with_suffix(".txt"))
            args = build_stream_render_args(plan, listed, audio, tmp, preset=preset, crf=crf,
                                            threads=threads, decode_threads=helper_threads(),
                                            subtitles=script, fonts_dir=fonts_dir,
                                            watermark=watermark)
            if args is None or not _rendered_as_one_stream(args, listed, plan, tmp, settings):
                argv = ffmpeg_argv(build_plan_render_args(
                    plan, audio, tmp, preset=preset, crf=crf, threads=threads,
                    subtitles=script, fonts_dir=fonts_dir, watermark=watermark))
                encode_fed(argv, plan, timeout=settings.ffmpeg_timeout_s)
    finally:
        if script is not None:
            script.unlink(missing_ok=True)
    return out


def _rendered_as_one_stream(args: list[str], listed: Path, plan: ConcatPlan, out: Path,
                            settings: Settings) -> bool:
    """Write the segments' list to ``listed`` and run the single-stream render; False (with a
    warning) where it failed or gave another number of frames than planned, for the caller
    to render frame by frame instead."""
    try:
        listed.write_text(concat_list([seg.path for seg in plan.segments]), encoding="utf-8")
        run_ffmpeg(args, timeout=settings.ffmpeg_timeout_s)
        video = probe(out).video
    except FFmpegTimeout:
        raise
    except (FFmpegError, InvalidMediaError) as err:
        log.warning("single-stream render failed, decoding segment by segment: %s", err)
        return False
    finally:
        listed.unlink(missing_ok=True)
    if video is None or video.frames != plan.frame_count:
        log.warning("single-stream render gave %s frames of %d, decoding segment by segment",
                    None if video is None else video.frames, plan.frame_count)
        return False
    return True


def poster_args(video: Path, out: Path, *, at_s: float, quality: int = 2) -> list[str]:
    """ffmpeg args writing one full-range JPEG (BT.601, as JPEG viewers assume) at ``at_s``."""
    vf = chain(["scale=out_color_matrix=bt601:out_range=pc", "format=yuvj420p"])
    return ["-ss", f"{at_s:.3f}", "-i", str(video), "-map", "0:v:0", "-vf", vf,
            "-frames:v", "1", "-q:v", str(quality), "-f", "image2", "-update", "1", str(out)]


def extract_poster(video: Path, out: Path, *, at_s: float) -> Path:
    """Save the frame at ``at_s`` seconds (clamped into the video) as a JPEG at quality 2.

    Raises:
        InvalidMediaError: no frame could be extracted.
    """
    info = probe(video)
    last = max(0.0, (info.video.duration if info.video and info.video.duration else info.duration)
               - 0.1)
    with atomic_output(out) as tmp:
        run_ffmpeg(poster_args(video, tmp, at_s=min(max(0.0, at_s), last)))
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise InvalidMediaError(f"no frame at {at_s:.2f} s in {video.name}")
    return out
