"""The final render: the one lossy encode, with burnt-in captions, plus the poster frame.

Subtitles are drawn on RGB frames (libass colours are RGB; drawing on YUV would use the wrong
matrix), then converted to BT.709 yuv420p once. The soundtrack is resampled and padded or cut
to exactly the video's length, so output duration never depends on ``-shortest``.
"""

from __future__ import annotations

from pathlib import Path

from ugen.core.config import get_settings
from ugen.media.encode import AUDIO_RATE, aac_args, x264_args
from ugen.media.errors import InvalidMediaError
from ugen.media.files import atomic_output
from ugen.media.filters import chain, filter_value, fit_and_pad, rgb_to_bt709
from ugen.media.probe import MediaInfo, probe
from ugen.media.runner import run_ffmpeg
from ugen.media.verify import verify_output

__all__ = ["build_render_args", "extract_poster", "render_final", "verify_output"]


def subtitles_filter(subtitles: Path, fonts_dir: Path | None = None) -> str:
    """The ``ass`` filter for ``subtitles``, paths escaped for filtergraph syntax."""
    text = f"ass=filename={filter_value(str(subtitles))}"
    if fonts_dir is not None:
        text += f":fontsdir={filter_value(str(fonts_dir))}"
    return text


def build_render_args(
    video: Path, audio: Path, out: Path, *, width: int, height: int, fps: int, frames: int,
    preset: str, crf: int, threads: int = 0,
    subtitles: Path | None = None, fonts_dir: Path | None = None,
) -> list[str]:
    """ffmpeg args (no binary) for the final encode of exactly ``frames`` frames.

    Both streams are cut to length inside the filtergraph: ``-frames:v`` would close the
    whole file when video ends, dropping audio still queued behind it.

    Args:
        frames: the video's frame count at ``fps``; audio is cut or padded to match.
        preset, crf, threads: x264 settings (from :func:`ugen.core.config.get_settings`).
    """
    vf = [f"fps={fps}", f"tpad=stop_mode=clone:stop={fps}", f"trim=end_frame={frames}"]
    if subtitles is None:
        vf += fit_and_pad(width, height)
    else:
        vf += [*fit_and_pad(width, height, pix_fmt="rgb24", bt709=False),
               subtitles_filter(subtitles, fonts_dir), *rgb_to_bt709()]
    samples = round(frames * AUDIO_RATE / fps)
    af = [f"aresample={AUDIO_RATE}",
          f"aformat=sample_fmts=fltp:sample_rates={AUDIO_RATE}:channel_layouts=stereo",
          f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]
    return [
        "-i", str(video), "-i", str(audio),
        "-filter_complex", f"[0:v:0]{chain(vf)}[v];[1:a:0]{chain(af)}[a]",
        "-map", "[v]", "-map", "[a]",
        *x264_args(preset=preset, crf=crf, fps=fps, threads=threads), *aac_args(),
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ]


def _frame_count(info: MediaInfo, fps: int) -> int:
    if info.video is None:
        raise InvalidMediaError(f"{info.path.name} has no video stream")
    seconds = info.video.duration or info.duration
    if seconds <= 0:
        raise InvalidMediaError(f"{info.path.name} has no duration")
    return max(1, round(seconds * fps))


def render_final(
    video: Path, audio: Path, out: Path, *, width: int, height: int, fps: int,
    subtitles: Path | None = None, fonts_dir: Path | None = None,
) -> Path:
    """Encode the deliverable MP4: H.264 High/yuv420p/BT.709, AAC 48 kHz stereo, faststart.

    Args:
        video: the lossless intermediate (any size/fps; scaled, padded, retimed to the target).
        audio: the soundtrack; padded with silence or cut to the video's length.
        out: destination, written to a temporary name beside it and renamed.
        subtitles: ASS file burnt in with libass; ``fonts_dir`` is searched for its fonts.

    Raises:
        InvalidMediaError: ``video`` has no video stream or no duration.
        FFmpegError: the encode failed.
    """
    settings = get_settings()
    frames = _frame_count(probe(video), fps)
    with atomic_output(out) as tmp:
        run_ffmpeg(build_render_args(
            video, audio, tmp, width=width, height=height, fps=fps, frames=frames,
            preset=settings.x264_preset, crf=settings.x264_crf, threads=settings.ffmpeg_threads,
            subtitles=subtitles, fonts_dir=fonts_dir,
        ))
    return out


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
