"""Where captions may go in a frame, and how words are cut into caption groups and lines.

Pure functions over word text and times; nothing here knows about fonts or ASS. Widths are
counted in *units*: one per ordinary character, two per East Asian wide character, none for
combining marks and invisible format characters.

Grouping rules: a group never continues past a sentence end (``.``, ``!``, ``?``, ``…``,
``。``, ``！``, ``？``, ``؟``, ``।``, ...) nor across a pause longer than :data:`PAUSE_SPLIT_S`;
within such a stretch the fewest groups that fit ``max_lines`` lines are used, with the
words spread evenly over them (a clause end like ``,`` is preferred as a cut).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PAUSE_SPLIT_S = 0.6
"""A silence longer than this between two words always starts a new group."""

SENTENCE_END = frozenset(".!?…‼⁇⁈⁉。！？｡؟۔।॥።᙮")
CLAUSE_END = frozenset(",;:、，；：،؛")
_CLOSERS = "\"'”’»)]}」』】〕）›"


@dataclass(frozen=True)
class FrameLayout:
    """Safe area and line limits for one output size (all in output pixels).

    The margins keep captions clear of platform UI: for 9:16, the bottom ~24 % (caption,
    music and comment bar of TikTok/Reels/Shorts) and the top ~15 % (tabs), and 10 % at each
    side (the action-button column on the right).
    """

    width: int
    height: int
    profile: str  # "vertical", "square" or "landscape"
    margin_left: int
    margin_right: int
    margin_top: int
    margin_bottom: int
    max_units_per_line: int
    max_words_per_line: int
    max_lines: int
    base_font_size: int

    @property
    def safe_width(self) -> int:
        return self.width - self.margin_left - self.margin_right


def frame_layout(width: int, height: int) -> FrameLayout:
    """The caption layout for a ``width`` x ``height`` frame (9:16, 1:1/4:5 or 16:9 family)."""
    if width < 16 or height < 16:
        raise ValueError(f"frame too small for captions: {width}x{height}")
    ratio = width / height
    short = min(width, height)
    if ratio < 0.8:  # 9:16, 3:4 portrait
        return FrameLayout(
            width, height, "vertical",
            margin_left=round(0.10 * width), margin_right=round(0.10 * width),
            margin_top=round(0.15 * height), margin_bottom=round(0.24 * height),
            max_units_per_line=24, max_words_per_line=3, max_lines=2,
            base_font_size=round(0.07 * short),
        )
    if ratio <= 1.25:  # 1:1, 4:5 feed
        return FrameLayout(
            width, height, "square",
            margin_left=round(0.08 * width), margin_right=round(0.08 * width),
            margin_top=round(0.10 * height), margin_bottom=round(0.14 * height),
            max_units_per_line=28, max_words_per_line=4, max_lines=2,
            base_font_size=round(0.065 * short),
        )
    return FrameLayout(  # 16:9
        width, height, "landscape",
        margin_left=round(0.08 * width), margin_right=round(0.08 * width),
        margin_top=round(0.08 * height), margin_bottom=round(0.10 * height),
        max_units_per_line=42, max_words_per_line=6, max_lines=2,
        base_font_size=round(0.06 * short),
    )


def char_units(ch: str) -> int:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 1


def text_units(text: str) -> int:
    """Width of ``text`` in units (see the module docstring)."""
    return sum(char_units(ch) for ch in text)


def _last_mark(text: str) -> str:
    stripped = text.rstrip(_CLOSERS)
    return stripped[-1] if stripped else ""


def ends_sentence(text: str) -> bool:
    """Whether a word closes a sentence (trailing quotes and brackets are looked through)."""
    return _last_mark(text) in SENTENCE_END


def ends_clause(text: str) -> bool:
    return _last_mark(text) in CLAUSE_END


@dataclass(frozen=True)
class LineRules:
    """How words are joined and how much fits on one line of one group."""

    max_units: int
    max_words: int | None  # None: no word limit (CJK units may be single characters)
    max_lines: int
    joiner: str  # " ", or "" for scripts written without spaces


def rules_for(frame: FrameLayout, *, spaced: bool) -> LineRules:
    return LineRules(
        max_units=frame.max_units_per_line,
        max_words=frame.max_words_per_line if spaced else None,
        max_lines=frame.max_lines,
        joiner=" " if spaced else "",
    )


def _line_units(texts: Sequence[str], rules: LineRules) -> int:
    return sum(text_units(t) for t in texts) + text_units(rules.joiner) * (len(texts) - 1)


def _line_ok(texts: Sequence[str], rules: LineRules) -> bool:
    if len(texts) == 1:
        return True  # a single word always gets its own line (too long: shrunk later)
    if rules.max_words is not None and len(texts) > rules.max_words:
        return False
    return _line_units(texts, rules) <= rules.max_units


def greedy_line_count(texts: Sequence[str], rules: LineRules) -> int:
    """Lines needed when filling each line as far as it goes."""
    lines = 0
    current: list[str] = []
    for text in texts:
        if current and not _line_ok([*current, text], rules):
            lines += 1
            current = []
        current.append(text)
    return lines + (1 if current else 0)


def break_lines(texts: Sequence[str], rules: LineRules) -> list[list[int]]:
    """Split one group's words into lines: the fewest lines, then the most even widths (on a
    tie the lower line is the longer one). Returns the word indices of each line."""
    n = len(texts)
    if n == 0:
        return []
    count = greedy_line_count(texts, rules)
    best: tuple[int, int] | None = None
    best_cuts: tuple[int, ...] = ()
    candidates: Iterable[tuple[int, ...]]
    if n <= 24 or count <= 2:
        candidates = itertools.combinations(range(1, n), count - 1)
    else:  # many tiny units (CJK): keep the greedy cut points
        candidates = [_greedy_cuts(texts, rules)]
    for cuts in candidates:
        bounds = (0, *cuts, n)
        lines = [texts[a:b] for a, b in itertools.pairwise(bounds)]
        if not all(_line_ok(line, rules) for line in lines):
            continue
        widths = [_line_units(line, rules) for line in lines]
        key = (max(widths), widths[0])
        if best is None or key < best:
            best, best_cuts = key, cuts
    if best is None:
        best_cuts = _greedy_cuts(texts, rules)
    bounds = (0, *best_cuts, n)
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds)]


def _greedy_cuts(texts: Sequence[str], rules: LineRules) -> tuple[int, ...]:
    cuts: list[int] = []
    start = 0
    for i in range(1, len(texts) + 1):
        if i < len(texts) and not _line_ok(texts[start : i + 1], rules):
            cuts.append(i)
            start = i
    return tuple(cuts)


def _fits_group(texts: Sequence[str], rules: LineRules) -> bool:
    return greedy_line_count(texts, rules) <= rules.max_lines


def stretches(texts: Sequence[str], starts: Sequence[float], ends: Sequence[float]) -> list[
    range
]:
    """Cut word indices into stretches that no group may cross: after a sentence end and
    at a pause longer than :data:`PAUSE_SPLIT_S`."""
    out: list[range] = []
    first = 0
    for i in range(len(texts)):
        last = i == len(texts) - 1
        if last or ends_sentence(texts[i]) or starts[i + 1] - ends[i] > PAUSE_SPLIT_S:
            out.append(range(first, i + 1))
            first = i + 1
    return out


def group_stretch(texts: Sequence[str], rules: LineRules) -> list[int]:
    """Cut one stretch into the fewest groups that fit, spreading words evenly and
    preferring cuts after clause punctuation. Returns the group sizes."""
    n = len(texts)
    capacity = rules.max_units * rules.max_lines
    # best[i]: (groups, cost) for texts[:i]; prev[i]: where the last group starts
    best: list[tuple[int, float] | None] = [None] * (n + 1)
    prev = [0] * (n + 1)
    best[0] = (0, 0.0)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            chunk = texts[i:j]
            if len(chunk) > 1 and not _fits_group(chunk, rules):
                break
            before = best[i]
            if before is None:
                continue
            slack = 1.0 - min(1.0, _line_units(chunk, rules) / capacity)
            cost = slack * slack
            if j < n and ends_clause(texts[j - 1]):
                cost -= 0.25
            candidate = (before[0] + 1, before[1] + cost)
            current = best[j]
            if current is None or candidate < current:
                best[j] = candidate
                prev[j] = i
    sizes: list[int] = []
    j = n
    while j > 0:
        sizes.append(j - prev[j])
        j = prev[j]
    return sizes[::-1]


def group_words(
    texts: Sequence[str], starts: Sequence[float], ends: Sequence[float], rules: LineRules
) -> list[range]:
    """Caption groups as ranges of word indices (see the module docstring)."""
    groups: list[range] = []
    for stretch in stretches(texts, starts, ends):
        first = stretch.start
        for size in group_stretch([texts[i] for i in stretch], rules):
            groups.append(range(first, first + size))
            first += size
    return groups
