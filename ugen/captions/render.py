"""Render a caption script onto a plain background: preview frames for QA and tests.

Uses the same ``ass`` filter (libass) the burn-in stage uses, so what a preview shows is
what the final video gets.
"""

from __future__ import annotations

from pathlib import Path

from ugen.media.filters import filter_value
from ugen.media.runner import run_ffmpeg


def render_frame(
    ass_path: Path,
    out: Path,
    *,
    width: int,
    height: int,
    at: float,
    background: str = "black",
) -> Path:
    """Draw ``ass_path`` as it looks ``at`` seconds in onto a ``background`` frame; PNG to
    ``out``.

    The single frame's timestamp is moved to ``at`` (microsecond time base), so the caption
    state at exactly that time is drawn.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    graph = ",".join([
        "settb=AVTB",
        f"setpts=PTS+{at:.6f}/TB",
        f"ass=filename={filter_value(str(ass_path))}",
    ])
    run_ffmpeg([
        "-f", "lavfi", "-i", f"color=c={background}:s={width}x{height}:r=25:d=1",
        "-vf", graph, "-frames:v", "1", "-update", "1", str(out),
    ])
    return out
