"""Check a video against a platform's published limits before a byte is uploaded.

Limits are data (:class:`VideoLimits`, one per platform in its adapter); the check is a pure
function of them and the ffprobe figures, so a post that would be refused fails at once with
the field that is wrong instead of after a long upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ugen.media.errors import InvalidMediaError
from ugen.media.probe import probe
from ugen.social.base import VideoFacts
from ugen.social.errors import VideoSpecError


@dataclass(frozen=True)
class VideoLimits:
    containers: frozenset[str]
    """ffprobe ``format_name`` parts accepted (``mp4``, ``mov``, ``webm``)."""
    video_codecs: frozenset[str]
    max_bytes: int
    min_duration_s: float
    max_duration_s: float
    min_aspect: float | None = None
    """Width / height bounds; None: any."""
    max_aspect: float | None = None


def video_facts(path: Path, *, platform: str) -> VideoFacts:
    """The figures of ``path`` (ffprobe).

    Raises:
        VideoSpecError: the file is missing, unreadable or has no video stream.
    """
    if not path.is_file():
        raise VideoSpecError("the job's final video is gone", platform=platform, field="file")
    try:
        info = probe(path)
    except InvalidMediaError as err:
        raise VideoSpecError(f"the video is not readable: {err}", platform=platform,
                             field="file") from err
    if info.video is None:
        raise VideoSpecError("the file has no video stream", platform=platform, field="codec")
    return VideoFacts(path=path, size_bytes=info.size_bytes, duration_s=info.duration,
                      width=info.video.width, height=info.video.height,
                      video_codec=info.video.codec,
                      audio_codec=info.audio.codec if info.audio else None,
                      container=info.format_name)


def check_limits(video: VideoFacts, limits: VideoLimits, *, platform: str) -> None:
    """Raises: VideoSpecError naming the first limit ``video`` breaks."""
    def fail(field: str, message: str) -> None:
        raise VideoSpecError(f"{platform} refuses this video: {message}", platform=platform,
                             field=field)

    if not set(video.container.split(",")) & limits.containers:
        fail("container", f"container {video.container} is not one of "
             f"{', '.join(sorted(limits.containers))}")
    if video.video_codec not in limits.video_codecs:
        fail("codec", f"video codec {video.video_codec} is not one of "
             f"{', '.join(sorted(limits.video_codecs))}")
    if video.size_bytes > limits.max_bytes:
        fail("size", f"{video.size_bytes} bytes is over the {limits.max_bytes}-byte limit")
    if not limits.min_duration_s <= video.duration_s <= limits.max_duration_s:
        fail("duration", f"{video.duration_s:.1f} s is outside "
             f"{limits.min_duration_s:g}–{limits.max_duration_s:g} s")
    aspect = video.width / video.height if video.height else 0.0
    if ((limits.min_aspect is not None and aspect < limits.min_aspect)
            or (limits.max_aspect is not None and aspect > limits.max_aspect)):
        fail("aspect", f"aspect ratio {video.width}:{video.height} is outside "
             f"{limits.min_aspect}–{limits.max_aspect}")
