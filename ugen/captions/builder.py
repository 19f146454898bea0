"""Word timings in, an ASS karaoke caption script out.

How it is built:

1. Words are cleaned (control characters, bidi overrides), optionally upper-cased, and their
   times turned into whole centiseconds *once*, from the absolute times, so no rounding error
   can accumulate; start times are made non-decreasing.
2. Words are cut into caption groups and lines (:mod:`ugen.captions.layout`). A group is shown
   from its first word's start to its last word's end; a gap of up to
   :data:`FILL_GAP_CS` to the next group is filled, otherwise the group lingers
   :data:`LINGER_CS` - never into the next group.
3. Each group's font size is shrunk until its widest line (measured in the real font, see
   :mod:`ugen.captions.fonts`) fits the safe area; a word too long even at
   :data:`MIN_SHRINK` of the size is cut into pieces on separate lines.
4. Events. ``tiktok_karaoke`` draws the whole group once on layer 0 (plain text, so libass
   shapes and orders every line as one bidi paragraph), and on layer 1 one event per spoken
   word, exactly over ``[start, end)``, holding the same text with every other word fully
   transparent (``\\alpha&HFF&``): the highlight lands on the very glyphs of the base line, in
   right-to-left languages too (libass 0.17 keeps bidi order across override tags; the
   render tests check it). ``boxed_highlight`` is the same with the layers swapped: the
   per-word events draw only the box (``BorderStyle=3``, glyphs transparent) on layer 0,
   the plain group text is layer 1 on top. ``word_pop`` changes the layout (the spoken word
   grows), so it writes one layer-0 event per time slice of the group, gaps included.

Right-to-left lines (``ar``, ``he``) keep the text in logical order; each line starts with
U+200F RIGHT-TO-LEFT MARK and the style has ``Encoding=-1``, so libass/FriBidi lay the line
out right to left even when it starts with a Latin brand name or a number.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from ugen.captions.escape import clean_text, escape_ass_text
from ugen.captions.fonts import ass_em_ratio, family_for_language, find_font, text_width
from ugen.captions.layout import (
    FrameLayout,
    LineRules,
    break_lines,
    frame_layout,
    group_words,
    rules_for,
)
from ugen.captions.options import REFERENCE_SHORT_SIDE, CaptionOptions
from ugen.captions.styles import (
    BASE_STYLE,
    BOX_STYLE,
    Palette,
    StyleSpec,
    ass_colour,
    ass_styles,
    palette,
    style_spec,
)
from ugen.catalog import languages
from ugen.media.files import atomic_output
from ugen.providers.base import WordTiming

FILL_GAP_CS = 60
"""A gap to the next group up to this long (centiseconds) is bridged by the earlier group."""
LINGER_CS = 30
"""Otherwise a group stays this long after its last word (never into the next group)."""
FIT_MARGIN = 0.97
"""Fraction of the safe width a line may use (room for measuring differences)."""
MIN_SHRINK = 0.6
"""Below this fraction of the font size a too-long word is cut into pieces instead."""
MAX_PIECES = 3
"""A single word is cut into at most this many pieces; beyond that it is shrunk further."""
RLM = "\u200f"
HIGHLIGHT_LAYER = 1
"""Layer of the spoken-word overlay (``tiktok_karaoke``)."""
TEXT_LAYER_OVER_BOX = 1
"""Layer of the text in ``boxed_highlight``; the boxes are on layer 0."""


@dataclass(frozen=True)
class _Word:
    text: str
    start: int  # centiseconds
    end: int


@dataclass(frozen=True)
class _Piece:
    word: int  # index into the prepared words
    text: str  # display text (not escaped)


_Line = list[_Piece]


def _cs(seconds: float) -> int:
    return math.floor(seconds * 100 + 0.5)


def _upper(text: str, language: str) -> str:
    if language in ("tr", "az"):
        text = text.replace("i", "İ")
    return text.upper()


def _prepare(words: Sequence[WordTiming], *, uppercase: bool, language: str) -> list[_Word]:
    out: list[_Word] = []
    last_start = 0
    for word in words:
        if not (math.isfinite(word.start) and math.isfinite(word.end)):
            raise ValueError(f"word {word.text!r} has a non-finite time")
        text = clean_text(word.text)
        if uppercase:
            text = _upper(text, language)
        if not text:
            continue
        start = max(_cs(max(word.start, 0.0)), last_start)
        end = max(_cs(word.end), start)
        out.append(_Word(text, start, end))
        last_start = start
    return out


def _group_times(words: list[_Word], groups: list[range]) -> list[tuple[int, int]]:
    starts = [words[g.start].start for g in groups]
    times: list[tuple[int, int]] = []
    for k, group in enumerate(groups):
        end = max(words[i].end for i in group)
        if k + 1 < len(groups):
            following = starts[k + 1]
            end = min(end, following)
            end = following if following - end <= FILL_GAP_CS else end + LINGER_CS
        else:
            end += LINGER_CS
        times.append((starts[k], end))
    return times


def _highlight_slices(
    words: list[_Word], group: range, start: int, end: int
) -> list[tuple[int, int, int]]:
    """(start, end, word) for each word of ``group`` with a visible spoken interval."""
    out: list[tuple[int, int, int]] = []
    for i in group:
        s = max(words[i].start, start)
        e = min(words[i].end, end)
        if i + 1 < group.stop:
            e = min(e, words[i + 1].start)
        if e > s:
            out.append((s, e, i))
    return out


def _covering_slices(
    slices: list[tuple[int, int, int]], start: int, end: int
) -> list[tuple[int, int, int | None]]:
    """``slices`` with the gaps between them (no word active) filled, covering [start, end)."""
    out: list[tuple[int, int, int | None]] = []
    t = start
    for s, e, i in slices:
        if s > t:
            out.append((t, s, None))
        out.append((s, e, i))
        t = e
    if end > t:
        out.append((t, end, None))
    return out


# --- fitting --------------------------------------------------------------------------------


class _Fitter:
    """Measures lines of one caption file and shrinks/cuts groups to fit the safe width."""

    def __init__(
        self, *, family: str, spec: StyleSpec, rules: LineRules, avail: float,
        script_scale: float,
    ):
        self.family = family
        self.spec = spec
        self.rules = rules
        self.avail = avail
        self._pad = 2 * max(spec.outline_ratio, spec.box_padding_ratio) / script_scale

    def line_text(self, line: _Line) -> str:
        parts: list[str] = []
        for k, piece in enumerate(line):
            if k and line[k - 1].word != piece.word:
                parts.append(self.rules.joiner)
            parts.append(piece.text)
        return "".join(parts)

    def line_width(self, line: _Line, size: float) -> float:
        width = text_width(self.line_text(line), self.family, size)
        if self.spec.active_scale > 1.0:
            widest = max(text_width(p.text, self.family, size) for p in line)
            width += (self.spec.active_scale - 1.0) * widest
        return width + self._pad * size

    def need(self, lines: list[_Line], size: float) -> float:
        return max(self.line_width(line, size) for line in lines)

    def _shrink(self, lines: list[_Line], size: int) -> int:
        need = self.need(lines, size)
        if need <= self.avail:
            return size
        fitted = max(1, math.floor(size * self.avail / need))
        while fitted > 1 and self.need(lines, fitted) > self.avail:
            fitted -= 1
        return fitted

    def fit(self, lines: list[_Line], size: int) -> tuple[int, list[_Line]]:
        """The font size and lines for one group so that every line fits."""
        fitted = self._shrink(lines, size)
        floor = max(1, math.floor(size * MIN_SHRINK))
        if fitted >= floor:
            return fitted, lines
        pieces: list[_Piece] = []
        for line in lines:
            for piece in line:
                width = self.line_width([piece], floor)
                if width > self.avail:
                    count = min(MAX_PIECES, math.ceil(width / self.avail))
                    pieces.extend(_Piece(piece.word, t) for t in split_word(piece.text, count))
                else:
                    pieces.append(piece)
        relaid = self._reflow(pieces, floor)
        return self._shrink(relaid, floor), relaid

    def _reflow(self, pieces: list[_Piece], size: int) -> list[_Line]:
        lines: list[_Line] = []
        current: _Line = []
        for piece in pieces:
            candidate = [*current, piece]
            words = len({p.word for p in candidate})
            too_many = self.rules.max_words is not None and words > self.rules.max_words
            if current and (too_many or self.line_width(candidate, size) > self.avail):
                lines.append(current)
                current = [piece]
            else:
                current = candidate
        if current:
            lines.append(current)
        return lines


def _breakable_before(text: str, i: int) -> bool:
    """Whether ``text`` may be cut before index ``i``: not before a combining or format
    character, not after a joiner or a virama (Indic conjuncts stay whole)."""
    ch, prev = text[i], text[i - 1]
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf"):
        return False
    if 0xD800 <= ord(prev) <= 0xDFFF or unicodedata.combining(prev) == 9:  # 9: virama
        return False
    return prev not in ("\u200d", "\u200c")


def split_word(text: str, count: int) -> list[str]:
    """Cut ``text`` into ``count`` pieces of similar length, never inside a character
    cluster (a base character and its combining marks stay together)."""
    if count <= 1 or len(text) < 2:
        return [text]
    cuts: list[int] = []
    for k in range(1, count):
        target = round(len(text) * k / count)
        best = None
        for offset in range(len(text)):
            for i in (target - offset, target + offset):
                if 0 < i < len(text) and (not cuts or i > cuts[-1]) and _breakable_before(text, i):
                    best = i
                    break
            if best is not None:
                break
        if best is not None:
            cuts.append(best)
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# --- events ---------------------------------------------------------------------------------


def _markup(
    lines: list[_Line], *, joiner: str, rtl: bool, active: int | None, on: str, off: str
) -> str:
    out: list[str] = []
    for n, line in enumerate(lines):
        if n:
            out.append("\\N")
        if rtl:
            out.append(RLM)
        for k, piece in enumerate(line):
            if k and line[k - 1].word != piece.word:
                out.append(joiner)
            text = escape_ass_text(piece.text)
            out.append(on + text + off if piece.word == active else text)
    return "".join(out)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class _EventWriter:
    spec: StyleSpec
    colours: Palette
    style_size: int
    script_scale: float
    joiner: str
    rtl: bool

    def _size_tags(self, size: int, ratio: float, *, shadow: bool) -> str:
        """Overrides for a group drawn at ``size`` instead of the style's size."""
        if size == self.style_size:
            return ""
        unit = size / self.script_scale
        tags = f"\\fs{size}\\bord{_fmt(ratio * unit)}"
        if shadow and self.spec.shadow_ratio:
            tags += f"\\shad{_fmt(self.spec.shadow_ratio * unit)}"
        return tags

    def events(
        self, words: list[_Word], group: range, start: int, end: int, size: int,
        lines: list[_Line],
    ) -> list[pysubs2.SSAEvent]:
        spec = self.spec
        slices = _highlight_slices(words, group, start, end)
        base_tags = self._size_tags(size, spec.outline_ratio, shadow=True)
        base_prefix = "{" + base_tags + "}" if base_tags else ""

        def text(prefix: str, active: int | None, on: str, off: str) -> str:
            body = _markup(lines, joiner=self.joiner, rtl=self.rtl, active=active, on=on, off=off)
            return prefix + body

        events: list[pysubs2.SSAEvent] = []
        if spec.active_scale > 1.0:  # word_pop: one event per slice, the active word grows
            scale = round(spec.active_scale * 100)
            on = f"{{\\1c{ass_colour(self.colours.highlight)}\\fscx{scale}\\fscy{scale}}}"
            off = f"{{\\1c{ass_colour(self.colours.primary)}\\fscx100\\fscy100}}"
            for s, e, active in _covering_slices(slices, start, end):
                events.append(_event(s, e, 0, BASE_STYLE, text(base_prefix, active, on, off)))
            return events

        hidden = "\\alpha&HFF&"
        off = "{" + hidden + "}"
        if spec.boxed:  # boxes below (layer 0), the text above them (layer 1)
            events.append(_event(start, end, TEXT_LAYER_OVER_BOX, BASE_STYLE,
                                 text(base_prefix, None, "", "")))
            prefix = "{" + self._size_tags(size, spec.box_padding_ratio, shadow=False)
            prefix += hidden + "}"
            on = "{\\3a&H00&}"
            for s, e, active in slices:
                events.append(_event(s, e, 0, BOX_STYLE, text(prefix, active, on, off)))
            return events

        events.append(_event(start, end, 0, BASE_STYLE, text(base_prefix, None, "", "")))
        prefix = "{" + base_tags + hidden + "}"
        on = f"{{\\1a&H00&\\3a&H00&\\1c{ass_colour(self.colours.highlight)}}}"
        for s, e, active in slices:
            events.append(_event(s, e, HIGHLIGHT_LAYER, BASE_STYLE, text(prefix, active, on, off)))
        return events


def _event(start_cs: int, end_cs: int, layer: int, style: str, text: str) -> pysubs2.SSAEvent:
    return pysubs2.SSAEvent(
        start=start_cs * 10, end=end_cs * 10, layer=layer, style=style, text=text
    )


# --- public API -----------------------------------------------------------------------------


def _script_scale(family: str) -> float:
    """Font-size factor that gives ``family`` the em size Noto Sans has at the same size
    (libass sizes by ascent+descent, which is much taller in e.g. Noto Sans Arabic)."""
    reference = find_font("Noto Sans")
    own = find_font(family)
    if reference is None or own is None:
        return 1.0
    return min(1.8, max(1.0, ass_em_ratio(reference) / ass_em_ratio(own)))


def _font_size(frame: FrameLayout, options: CaptionOptions, script_scale: float) -> int:
    if options.font_size is not None:
        size = options.font_size * min(frame.width, frame.height) / REFERENCE_SHORT_SIDE
    else:
        size = frame.base_font_size
    return max(8, round(size * script_scale))


def build_ass(
    words: Sequence[WordTiming],
    *,
    language: str,
    width: int,
    height: int,
    style: str = "tiktok_karaoke",
    options: CaptionOptions | None = None,
) -> pysubs2.SSAFile:
    """Karaoke captions for ``words`` as an ASS script sized ``width`` x ``height``.

    Args:
        words: spoken words in order with absolute times in seconds (CJK callers pass
            whatever units they have; they are joined without spaces).
        language: catalog language code; picks the font and the writing direction.
        style: one of :data:`ugen.catalog.CAPTION_STYLES`.
        options: the caller's custom caption options.

    Raises:
        ValueError: unknown ``caption_style`` or language, a frame too small, a non-finite
            word time.
    """
    spec = style_spec(style)
    opts = options or CaptionOptions()
    lang = languages().get(language)
    if lang is None:
        raise ValueError(f"unknown language {language!r}")
    frame = frame_layout(width, height)
    family = family_for_language(language)
    rules = rules_for(frame, spaced=lang.script != "cjk")
    script_scale = _script_scale(family)
    size = _font_size(frame, opts, script_scale)
    colours = palette(spec, opts)
    margin_v = {"bottom": frame.margin_bottom, "top": frame.margin_top, "middle": 0}

    subs = pysubs2.SSAFile()
    subs.info.update({
        "Title": "ugen captions",
        "PlayResX": str(width),
        "PlayResY": str(height),
        "WrapStyle": "0",
        "ScaledBorderAndShadow": "yes",
        "YCbCr Matrix": "None",
    })
    subs.styles = ass_styles(
        spec, colours, family=family, font_size=size, position=opts.position,
        margin_l=frame.margin_left, margin_r=frame.margin_right,
        margin_v=margin_v[opts.position], rtl=lang.rtl, script_scale=script_scale,
    )

    prepared = _prepare(words, uppercase=opts.uppercase, language=language)
    if not prepared:
        return subs
    texts = [w.text for w in prepared]
    groups = group_words(
        texts, [w.start / 100 for w in prepared], [w.end / 100 for w in prepared], rules
    )
    fitter = _Fitter(
        family=family, spec=spec, rules=rules, avail=frame.safe_width * FIT_MARGIN,
        script_scale=script_scale,
    )
    writer = _EventWriter(spec, colours, size, script_scale, rules.joiner, lang.rtl)
    events: list[pysubs2.SSAEvent] = []
    for group, (start, end) in zip(groups, _group_times(prepared, groups), strict=True):
        if end <= start:
            continue
        lines = [
            [_Piece(group.start + i, texts[group.start + i]) for i in line]
            for line in break_lines(texts[group.start : group.stop], rules)
        ]
        group_size, lines = fitter.fit(lines, size)
        events.extend(writer.events(prepared, group, start, end, group_size, lines))
    events.sort(key=lambda ev: (ev.start, ev.layer))
    subs.events = events
    return subs


def write_ass(
    words: Sequence[WordTiming],
    *,
    language: str,
    width: int,
    height: int,
    out: Path,
    style: str = "tiktok_karaoke",
    options: CaptionOptions | None = None,
) -> Path:
    """:func:`build_ass` written (UTF-8, atomically) to ``out``; returns ``out``."""
    subs = build_ass(
        words, language=language, width=width, height=height, style=style, options=options
    )
    with atomic_output(out) as tmp:
        subs.save(str(tmp), encoding="utf-8", format_="ass")
    return out
