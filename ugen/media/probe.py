"""ffprobe, parsed into small frozen value objects."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ugen.core.config import get_settings
from ugen.media.errors import FFmpegError, InvalidMediaError
from ugen.media.runner import run_capture


@dataclass(frozen=True)
class VideoStream:
    codec: str
    profile: str | None
    width: int
    height: int
    fps: float
    pix_fmt: str | None
    frames: int | None
    duration: float | None
    color_space: str | None
    color_primaries: str | None
    color_transfer: str | None
    index: int = 0
    """The stream's index in the file."""
    rate: float = 0.0
    """``r_frame_rate``: equal to :attr:`fps` (the average) for a constant frame rate."""
    sample_aspect: str | None = None


@dataclass(frozen=True)
class AudioStream:
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format_name: str
    duration: float
    size_bytes: int
    video: VideoStream | None
    audio: AudioStream | None
    layout: tuple[str, ...] = ()
    """Every stream's type (``video``, ``audio``, ...), in the file's order."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the path as a string), read back by :meth:`from_dict`."""
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> MediaInfo:
        """The description saved by :meth:`to_dict`; ``path`` replaces the saved path.

        Raises:
            KeyError, TypeError, ValueError: ``data`` is not such a description.
        """
        video, audio = data["video"], data["audio"]
        info = cls(**{**data, "path": Path(data["path"]), "layout": tuple(data["layout"]),
                      "video": None if video is None else VideoStream(**video),
                      "audio": None if audio is None else AudioStream(**audio)})
        return info if path is None else replace(info, path=path)


def _fps(rate: str | None) -> float:
    if not rate or rate in ("0/0", "0"):
        return 0.0
    return float(Fraction(rate))


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def probe(path: Path, *, count_frames: bool = False) -> MediaInfo:
    """Describe a media file. ``count_frames`` decodes the video to count frames exactly.

    Raises:
        InvalidMediaError: ffprobe cannot read the file.
    """
    settings = get_settings()
    argv = [settings.ffprobe_path, "-v", "error", "-print_format", "json",
            "-show_format", "-show_streams"]
    if count_frames:
        argv += ["-count_frames"]
    argv.append(str(path))
    try:
        out, _ = run_capture(argv, timeout=120)
    except FFmpegError as err:
        raise InvalidMediaError(f"{path.name} is not readable media: {err.stderr_tail}") from err
    data = json.loads(out or b"{}")
    fmt = data.get("format", {})
    video = audio = None
    for s in data.get("streams", []):
        if s.get("codec_type") == "video" and video is None and s.get("disposition", {}).get(
            "attached_pic", 0
        ) == 0:
            frames = s.get("nb_read_frames") if count_frames else s.get("nb_frames")
            video = VideoStream(
                codec=s.get("codec_name", ""),
                profile=s.get("profile"),
                width=int(s.get("width", 0)),
                height=int(s.get("height", 0)),
                fps=_fps(s.get("avg_frame_rate") or s.get("r_frame_rate")),
                pix_fmt=s.get("pix_fmt"),
                frames=int(frames) if frames not in (None, "N/A") else None,
                duration=_float(s.get("duration")),
                color_space=s.get("color_space"),
                color_primaries=s.get("color_primaries"),
                color_transfer=s.get("color_transfer"),
                index=int(s.get("index", 0)),
                rate=_fps(s.get("r_frame_rate")),
                sample_aspect=s.get("sample_aspect_ratio"),
            )
        elif s.get("codec_type") == "audio" and audio is None:
            audio = AudioStream(
                codec=s.get("codec_name", ""),
                sample_rate=int(s.get("sample_rate", 0)),
                channels=int(s.get("channels", 0)),
                duration=_float(s.get("duration")),
            )
    duration = _float(fmt.get("duration")) or 0.0
    if not data.get("streams"):
        raise InvalidMediaError(f"{path.name} has no media streams")
    return MediaInfo(
        path=path,
        format_name=fmt.get("format_name", ""),
        duration=duration,
        size_bytes=int(fmt.get("size", 0) or 0),
        video=video,
        audio=audio,
        layout=tuple(str(s.get("codec_type", "")) for s in data["streams"]),
    )
