"""How a local script is paced: the phases each line carries and the words a segment holds.

A segment of ``d`` seconds holds at most ``(d - 0.6 s) x 2.3`` words, the pace of relaxed
conversational speech with a breath of air at the cut; :func:`spoken_length` measures a line in
the same units, counting numbers as the words they are read as and pauses at punctuation.
"""

from __future__ import annotations

import math
import re
from typing import Final

from ugen.providers.base import ScriptPhase

PROVIDER = "local-script"
PHASES: Final[tuple[ScriptPhase, ...]] = ("hook", "problem", "demo", "benefit", "cta")
WORDS_PER_SECOND: Final = 2.3
AIR_S: Final = 0.6


def max_words(segment_duration: float) -> int:
    """The most words a line may have to be spoken comfortably inside one segment."""
    return max(1, math.floor((segment_duration - AIR_S) * WORDS_PER_SECOND + 1e-9))


# Pauses, in words' worth of time: a voice stops briefly at a comma and longer at a full stop.
_CLAUSE_PAUSE = 0.5
SENTENCE_PAUSE = 0.8


def spoken_length(text: str) -> float:
    """How long ``text`` takes to say, in words: never less than its word count.

    Numbers count as the words they are read as ("24" is "twenty four", "$19.99" five words),
    compounds with hyphens or slashes as their parts, and pauses at punctuation inside the line
    as part of a word. Lines are fitted to segments by this, so they fit when spoken.
    """
    tokens = text.split()
    total = 0.0
    for i, token in enumerate(tokens):
        for part in (p for p in re.split(r"[-/]", token) if p):
            groups = re.findall(r"\d+", part)
            if not groups:
                total += 1.0 if any(ch.isalnum() for ch in part) else 0.0
                continue
            total += sum(1 if len(g) == 1 else 2 if len(g) == 2 else len(g) for g in groups)
            total += part.count("%") + part.count("$") + part.count("€") + part.count("£")
            total += len(re.findall(r"\d[.,:]\d", part))  # "point", "oh"
            total += 1.0 if re.search(r"[^\W\d_]", part) else 0.0  # "24h", "x2"
        if i < len(tokens) - 1:
            if re.search(r"[.!?…]['\"”’)]*$", token):
                total += SENTENCE_PAUSE
            elif re.search(r"[,;:—–]['\"”’)]*$", token) or token in ("-", "—", "–"):
                total += _CLAUSE_PAUSE
    return max(total, float(len(tokens)))


# --- which phases each line carries ------------------------------------------------------------

# With fewer lines than phases, neighbours share a line (a short ad still hooks and closes).
_GROUPS: Final[dict[int, tuple[tuple[ScriptPhase, ...], ...]]] = {
    1: (("hook", "problem", "demo", "benefit", "cta"),),
    2: (("hook", "problem"), ("demo", "benefit", "cta")),
    3: (("hook", "problem"), ("demo", "benefit"), ("cta",)),
    4: (("hook",), ("problem",), ("demo", "benefit"), ("cta",)),
}

# With more lines than phases, extra lines go to these phases in turn: the structure's weight.
_EXTRA_ORDER: Final[dict[str, tuple[ScriptPhase, ...]]] = {
    "standard_5phase": ("demo", "benefit", "problem", "demo", "benefit", "hook"),
    "problem_solution": ("problem", "demo", "benefit", "problem", "demo", "hook"),
    "testimonial": ("benefit", "demo", "problem", "benefit", "demo", "hook"),
}


def phase_plan(segment_count: int, structure: str) -> tuple[tuple[ScriptPhase, ...], ...]:
    """The phases spoken in each line, in order; every phase appears, order is kept."""
    if segment_count in _GROUPS:
        return _GROUPS[segment_count]
    counts = dict.fromkeys(PHASES, 1)
    order = _EXTRA_ORDER[structure]
    for k in range(segment_count - len(PHASES)):
        counts[order[k % len(order)]] += 1
    return tuple((p,) for p in PHASES for _ in range(counts[p]))
