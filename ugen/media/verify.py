"""Check a rendered MP4 is what we promise to deliver, and say exactly what is wrong if not."""

from __future__ import annotations

import struct
from pathlib import Path

from ugen.media.errors import InvalidMediaError
from ugen.media.probe import MediaInfo, probe

DURATION_SLACK_S = 0.05
"""Allowed on top of one frame: AAC frames (21 ms at 48 kHz) and container rounding."""


def top_level_atoms(path: Path) -> list[str]:
    """The types of the top-level MP4 boxes in file order, read from their headers only.

    Raises:
        InvalidMediaError: a box header is truncated or its size is impossible.
    """
    atoms: list[str] = []
    size_total = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        while pos < size_total:
            fh.seek(pos)
            header = fh.read(8)
            if len(header) < 8:
                raise InvalidMediaError(f"{path.name}: truncated box header at byte {pos}")
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                large = fh.read(8)
                if len(large) < 8:
                    raise InvalidMediaError(f"{path.name}: truncated box size at byte {pos}")
                (size,) = struct.unpack(">Q", large)
            elif size == 0:
                size = size_total - pos
            if size < 8:
                raise InvalidMediaError(f"{path.name}: bad box size {size} at byte {pos}")
            atoms.append(kind.decode("latin-1"))
            pos += size
    return atoms


def is_faststart(path: Path) -> bool:
    """True when the ``moov`` box comes before the first ``mdat`` (playable while downloading)."""
    atoms = top_level_atoms(path)
    return "moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat")


def _problems(info: MediaInfo, *, width: int, height: int, expected_duration_s: float,
              fps: int) -> list[str]:
    v, a = info.video, info.audio
    if v is None:
        return ["no video stream"]
    tolerance = 1 / fps + DURATION_SLACK_S
    found = []
    if v.codec != "h264":
        found.append(f"video codec {v.codec}, not h264")
    if (v.profile or "").lower() != "high":
        found.append(f"H.264 profile {v.profile}, not High")
    if v.pix_fmt != "yuv420p":
        found.append(f"pixel format {v.pix_fmt}, not yuv420p")
    if (v.width, v.height) != (width, height):
        found.append(f"size {v.width}x{v.height}, not {width}x{height}")
    if abs(v.fps - fps) > 0.01:
        found.append(f"frame rate {v.fps:.3f}, not {fps}")
    tags = (v.color_space, v.color_primaries, v.color_transfer)
    if tags != ("bt709", "bt709", "bt709"):
        found.append(f"colour tags {tags}, not bt709")
    video_s = v.duration if v.duration is not None else info.duration
    if abs(video_s - expected_duration_s) > tolerance:
        found.append(f"video lasts {video_s:.3f} s, expected {expected_duration_s:.3f} s")
    if a is None:
        found.append("no audio stream")
    else:
        if a.codec != "aac":
            found.append(f"audio codec {a.codec}, not aac")
        if (a.sample_rate, a.channels) != (48_000, 2):
            found.append(f"audio {a.sample_rate} Hz × {a.channels} ch, not 48000 Hz stereo")
        if a.duration is not None and abs(a.duration - video_s) > tolerance:
            found.append(f"audio lasts {a.duration:.3f} s, video {video_s:.3f} s")
    return found


def verify_output(path: Path, *, width: int, height: int, expected_duration_s: float,
                  fps: int) -> MediaInfo:
    """Check ``path`` is a deliverable MP4 and return its description.

    Checks: H.264 High, yuv420p, ``width``×``height``, ``fps``, BT.709 tags, AAC 48 kHz stereo,
    video and audio within one frame (+50 ms) of ``expected_duration_s`` and of each other, and
    ``moov`` before ``mdat``.

    Raises:
        InvalidMediaError: listing every check that failed.
    """
    info = probe(path)
    found = _problems(info, width=width, height=height,
                      expected_duration_s=expected_duration_s, fps=fps)
    if not is_faststart(path):
        found.append("moov box is not before mdat (no faststart)")
    if found:
        raise InvalidMediaError(f"{path.name}: " + "; ".join(found))
    return info
