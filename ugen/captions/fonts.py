"""Caption fonts: which Noto family a language gets, where fontconfig finds it, and how wide
libass will draw a string in it.

Width is measured with Pillow (Raqm/HarfBuzz layout when available, so Arabic is measured
joined) on the same font file libass will use (``fc-match``), at the em size libass uses for
an ASS font size: libass scales a face so that ``usWinAscent + usWinDescent`` equals the ASS
size, i.e. ``em = size * unitsPerEm / (winAscent + winDescent)``. Characters the font lacks
are measured in the fallback font fontconfig picks for them, as libass does.

All lookups are cached per process. When fontconfig is not available, widths fall back to
an estimate from character counts.
"""

from __future__ import annotations

import bisect
import logging
import struct
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from PIL import ImageFont, features

from ugen.catalog import languages
from ugen.media.errors import MediaError
from ugen.media.runner import run_capture

log = logging.getLogger(__name__)

SCRIPT_FAMILIES: dict[str, str] = {
    "latin": "Noto Sans",
    "cyrillic": "Noto Sans",
    "greek": "Noto Sans",
    "arabic": "Noto Sans Arabic",
    "hebrew": "Noto Sans Hebrew",
    "devanagari": "Noto Sans Devanagari",
    "tamil": "Noto Sans Tamil",
    "hangul": "Noto Sans CJK KR",
}
"""Caption font family per ``Language.script`` (exact fontconfig family names)."""

CJK_FAMILIES: dict[str, str] = {
    "ja": "Noto Sans CJK JP",
    "zh": "Noto Sans CJK SC",
    "ko": "Noto Sans CJK KR",
}
"""CJK glyph shapes differ by region, so the family follows the language, not the script."""

_REFERENCE_EM = 128.0
_ESTIMATED_ADVANCE_EM = 0.62  # average bold advance, used only without fontconfig


@dataclass(frozen=True)
class FontFile:
    """One face of a font file, as fontconfig resolved it."""

    path: Path
    index: int
    family: str


def family_for_language(language: str) -> str:
    """The Noto family captions in ``language`` (an ISO code from the catalog) are set in."""
    lang = languages().get(language)
    if lang is None:
        raise ValueError(f"unknown language {language!r}")
    if language in CJK_FAMILIES:
        return CJK_FAMILIES[language]
    if lang.script == "cjk":
        return CJK_FAMILIES["zh"]
    return SCRIPT_FAMILIES.get(lang.script, "Noto Sans")


def _fc_match(pattern: str) -> FontFile | None:
    argv = ["fc-match", "-f", "%{file}\n%{index}\n%{family[0]}\n", pattern]
    try:
        out, _ = run_capture(argv, timeout=30)
    except (OSError, MediaError) as exc:
        log.warning("fc-match failed for %r: %s", pattern, exc)
        return None
    parts = out.decode("utf-8", "replace").split("\n")
    if len(parts) < 3 or not parts[0]:
        return None
    try:
        index = int(parts[1] or 0)
    except ValueError:
        index = 0
    return FontFile(Path(parts[0]), index, parts[2])


@lru_cache(maxsize=64)
def find_font(family: str, *, bold: bool = True) -> FontFile | None:
    """The face libass gets for ``family`` (bold or regular), or None without fontconfig.

    A family that is not installed resolves to fontconfig's substitute (logged).
    """
    found = _fc_match(f"{family}:weight={'bold' if bold else 'regular'}")
    if found is not None and found.family.lower() != family.lower():
        log.warning("font family %r is not installed; fontconfig substitutes %r",
                    family, found.family)
    return found


@lru_cache(maxsize=4096)
def _fallback_font(family: str, codepoint: int, bold: bool) -> FontFile | None:
    weight = "bold" if bold else "regular"
    return _fc_match(f"{family}:weight={weight}:charset={codepoint:x}")


@lru_cache(maxsize=64)
def _charset(font: FontFile) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Covered code points of ``font`` as sorted (range starts, range ends)."""
    argv = ["fc-query", "-i", str(font.index), "-f", "%{charset}\n", str(font.path)]
    try:
        out, _ = run_capture(argv, timeout=60)
    except (OSError, MediaError) as exc:
        log.warning("fc-query failed for %s: %s", font.path, exc)
        return (), ()
    starts: list[int] = []
    ends: list[int] = []
    # one line per face is possible for collections queried without a match; take the first
    for item in out.decode("ascii", "replace").split("\n", 1)[0].split():
        lo, _, hi = item.partition("-")
        starts.append(int(lo, 16))
        ends.append(int(hi or lo, 16))
    return tuple(starts), tuple(ends)


def covers(font: FontFile, char: str) -> bool:
    """Whether ``font`` has a glyph for ``char`` (per fontconfig's charset)."""
    starts, ends = _charset(font)
    cp = ord(char)
    pos = bisect.bisect_right(starts, cp) - 1
    return pos >= 0 and cp <= ends[pos]


def _ignorable(char: str) -> bool:
    """Characters that need no glyph: spaces, format controls (ZWJ, RLM, word joiner...)."""
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Zs")


def missing_chars(font: FontFile, text: str) -> list[str]:
    """The distinct characters of ``text`` that ``font`` has no glyph for (tofu candidates)."""
    seen: dict[str, None] = {}
    for ch in text:
        if not _ignorable(ch) and not covers(font, ch):
            seen[ch] = None
    return list(seen)


def _table_offsets(fh: BinaryIO, face_offset: int) -> dict[bytes, int]:
    fh.seek(face_offset + 4)
    (num_tables,) = struct.unpack(">H", fh.read(2))
    fh.seek(face_offset + 12)
    tables: dict[bytes, int] = {}
    for _ in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack(">4sIII", fh.read(16))
        tables[tag] = offset
    return tables


@lru_cache(maxsize=64)
def ass_em_ratio(font: FontFile) -> float:
    """Em size per ASS font-size unit for ``font``: ``unitsPerEm / (winAscent + winDescent)``.

    Falls back to hhea ascender/descender like libass does when the OS/2 values are zero.
    """
    with font.path.open("rb") as fh:
        head = fh.read(12)
        face_offset = 0
        if head[:4] == b"ttcf":
            fh.seek(12 + 4 * font.index)
            (face_offset,) = struct.unpack(">I", fh.read(4))
        tables = _table_offsets(fh, face_offset)
        fh.seek(tables[b"head"] + 18)
        (units_per_em,) = struct.unpack(">H", fh.read(2))
        height = 0
        if b"OS/2" in tables:
            fh.seek(tables[b"OS/2"] + 74)
            win_ascent, win_descent = struct.unpack(">hh", fh.read(4))
            height = win_ascent + win_descent
        if height <= 0 and b"hhea" in tables:
            fh.seek(tables[b"hhea"] + 4)
            ascender, descender = struct.unpack(">hh", fh.read(4))
            height = ascender - descender
    if height <= 0:
        return 1.0
    return int(units_per_em) / int(height)


@lru_cache(maxsize=64)
def _pil_font(font: FontFile) -> ImageFont.FreeTypeFont:
    engine = (
        ImageFont.Layout.RAQM if features.check_feature("raqm") else ImageFont.Layout.BASIC
    )
    return ImageFont.truetype(
        str(font.path), size=_REFERENCE_EM, index=font.index, layout_engine=engine
    )


def _runs(font: FontFile, text: str) -> list[tuple[FontFile, str]]:
    """Split ``text`` into runs set in ``font`` or, for characters it lacks, in fallbacks."""
    runs: list[tuple[FontFile, str]] = []
    for ch in text:
        face = font
        if not _ignorable(ch) and not covers(font, ch):
            face = _fallback_font(font.family, ord(ch), True) or font
        if runs and runs[-1][0] == face:
            runs[-1] = (face, runs[-1][1] + ch)
        else:
            runs.append((face, ch))
    return runs


def _estimate_width(text: str, size: float) -> float:
    units = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            units += 1.6
        elif not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Mn", "Cf"):
            units += 1.0
    return units * size * _ESTIMATED_ADVANCE_EM


def text_width(text: str, family: str, size: float) -> float:
    """Advance width in pixels of ``text`` drawn by libass in bold ``family`` at ASS ``size``
    (no outline, no scaling)."""
    if not text:
        return 0.0
    font = find_font(family)
    if font is None:
        return _estimate_width(text, size)
    total = 0.0
    for face, run in _runs(font, text):
        em = size * ass_em_ratio(face)
        total += float(_pil_font(face).getlength(run)) * em / _REFERENCE_EM
    return total
