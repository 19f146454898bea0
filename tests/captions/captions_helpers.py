"""Shared helpers of the caption tests: word timings, rendering, reading the ASS back."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pysubs2
from numpy.typing import NDArray
from PIL import Image

from ugen.captions import render_frame
from ugen.captions.escape import WORD_JOINER, tokenize_event_text
from ugen.providers.base import WordTiming

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "test-output" / "captions"
RLM = "\u200f"

Image_ = NDArray[np.uint8]


def words_from(
    text: str, *, start: float = 0.3, dur: float = 0.32, gap: float = 0.06, sep: str | None = " "
) -> list[WordTiming]:
    """Evenly timed words: ``sep=None`` takes ``text`` as a single word."""
    parts = [text] if sep is None else text.split(sep)
    out: list[WordTiming] = []
    t = start
    for part in parts:
        out.append(WordTiming(part, round(t, 3), round(t + dur, 3)))
        t += dur + gap
    return out


def mid(word: WordTiming) -> float:
    return (word.start + word.end) / 2


def render(ass: Path, at: float, *, width: int, height: int, out: Path) -> Image_:
    render_frame(ass, out, width=width, height=height, at=at, background="black")
    with Image.open(out) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def bright_bbox(img: Image_, threshold: int = 90) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) inclusive of pixels with any channel above ``threshold``."""
    mask = img.max(axis=2) > threshold
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def green_mask(img: Image_) -> NDArray[np.bool_]:
    """Pixels of the test highlight colour #00FF00 (not white, not black)."""
    r = img[..., 0].astype(int)
    g = img[..., 1].astype(int)
    b = img[..., 2].astype(int)
    return (g > 170) & (r < 90) & (b < 90)


def literal(text: str) -> str:
    """What libass would show of event text, minus invisible marks, lines joined by ' | '."""
    shown = "".join(content for is_block, content in tokenize_event_text(text) if not is_block)
    return shown.replace(WORD_JOINER, "").replace(RLM, "").replace("\\N", " | ")


_ACTIVE_MARKERS = {
    "tiktok_karaoke": "\\1a&H00&",
    "boxed_highlight": "\\3a&H00&",
    "word_pop": "\\fscy118",
}


def highlight_spans(subs: pysubs2.SSAFile, style: str) -> list[tuple[int, int, str]]:
    """(start ms, end ms, highlighted text) of every spoken-word event, in time order."""
    marker = _ACTIVE_MARKERS[style]
    spans: list[tuple[int, int, str]] = []
    for ev in sorted(subs.events, key=lambda e: (e.start, e.layer)):
        tokens = tokenize_event_text(ev.text)
        active: list[str] = []
        on = False
        for is_block, content in tokens:
            if is_block:
                on = marker in content
            elif on:
                active.append(content.replace(WORD_JOINER, "").replace(RLM, ""))
        if active:
            spans.append((ev.start, ev.end, "".join(active).replace("\\N", "")))
    return spans


TAG_BLOCK = re.compile(
    r"(\\(fs\d+|bord[\d.]+|shad[\d.]+|alpha&H[0-9A-F]{2}&|[13]a&H[0-9A-F]{2}&"
    r"|1c&H[0-9A-F]{6}&|fscx\d+|fscy\d+))*"
)
"""The override blocks build_ass itself writes; anything else came from the text."""


def _has_libass() -> bool:
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None or shutil.which("fc-match") is None:
        return False
    proc = subprocess.run(
        ["ffmpeg", "-hide_banner", "-filters"], capture_output=True, text=True, check=False
    )
    return any(line.split()[1:2] == ["ass"] for line in proc.stdout.splitlines())


HAS_LIBASS = _has_libass()
