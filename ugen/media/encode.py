"""Encoder arguments shared by every encode, so all outputs use the same settings.

Pure functions returning argv fragments; callers read :func:`ugen.core.config.get_settings`
and pass the values in.
"""

from __future__ import annotations

BT709_TAGS: tuple[str, ...] = (
    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
    "-color_range", "tv",
)
"""Container/bitstream colour tags matching :data:`ugen.media.filters.BT709_PARAMS`."""

AUDIO_RATE = 48_000
"""Every intermediate and final audio stream runs at this sample rate."""


def x264_args(*, preset: str, crf: int, fps: int, threads: int = 0) -> list[str]:
    """The final (only lossy) H.264 encode: High profile, yuv420p, BT.709, 2 s GOP.

    Args:
        preset: x264 speed preset (``settings.x264_preset``).
        crf: constant rate factor (``settings.x264_crf``).
        fps: frame rate, to place a keyframe every two seconds.
        threads: encoder threads; 0 lets FFmpeg choose.
    """
    return [
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
        "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-g", str(2 * fps), "-threads", str(threads),
        *BT709_TAGS,
    ]


def aac_args(
    *, bitrate: str = "192k", sample_rate: int = AUDIO_RATE, channels: int = 2
) -> list[str]:
    """AAC-LC audio for the final file, with FFmpeg's ``fast`` coder.

    FFmpeg 5.1's default ``twoloop`` coder spends about three times the CPU (0.9 s against
    0.3 s for 30 s of stereo at 192 kb/s); its authors found ``fast`` to sound better at
    high bit rates like this one ("at higher bitrates it sounds worse than the fast coder
    ... and needs quite a lot more CPU": https://ffmpeg.org/pipermail/ffmpeg-cvslog/
    2018-January/112166.html); twoloop only wins below about 64 kb/s.
    """
    return ["-c:a", "aac", "-aac_coder", "fast", "-b:a", bitrate, "-ar", str(sample_rate),
            "-ac", str(channels)]


def pcm_args(
    *, sample_rate: int = AUDIO_RATE, channels: int = 2, codec: str = "pcm_s16le"
) -> list[str]:
    """Uncompressed audio for intermediates (``pcm_f32le`` where headroom matters)."""
    return ["-c:a", codec, "-ar", str(sample_rate), "-ac", str(channels)]
