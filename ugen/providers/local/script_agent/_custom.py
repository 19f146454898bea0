"""The custom-script splitter: an advertiser's own script cut into lines, never rewritten.

Cuts fall at sentence boundaries, then clause, then word boundaries, balancing the lines' word
counts; scripts written without spaces (Chinese, Japanese, Thai) are cut between characters.
"""

from __future__ import annotations

import itertools
import math
import re

from ugen.providers.base import PermanentProviderError
from ugen.providers.local.script_agent._pacing import PROVIDER

_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:，；：、—–-]['\"”’)\]]*$")
_NO_SPACE_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def split_custom_script(text: str, segment_count: int, budget: int) -> list[str]:
    """Split ``text`` into ``segment_count`` lines without changing a word.

    Cuts prefer sentence ends, then clause ends (commas, semicolons, dashes), then any word
    boundary, and keep the lines' word counts close to each other and within ``budget``.
    ``" ".join(lines)`` equals the text with its whitespace normalised. Text in a script
    without spaces (Chinese, Japanese, Thai) is cut between characters when it has too few
    words; there the lines concatenate back to the text (spaces at the cuts dropped).
    """
    units = text.split()
    glue = " "
    if len(units) < segment_count or (
        _NO_SPACE_SCRIPT.search(text) and len(units) < 2 * segment_count
    ):
        joined = " ".join(units)
        if _NO_SPACE_SCRIPT.search(joined):
            units = _cjk_units(joined)
            glue = ""
    if len(units) < segment_count:
        raise PermanentProviderError(
            f"the custom script has {len(units)} words, too few for {segment_count} segments",
            provider=PROVIDER,
        )
    n = len(units)
    weights = [max(1, len(u)) if glue == "" else 1 for u in units]
    prefix = [0, *itertools.accumulate(weights)]
    ideal = prefix[-1] / segment_count
    cap = budget if glue == " " else math.inf

    def boundary_cost(i: int) -> float:
        # Cost of cutting after unit i-1 (so the next line starts with unit i).
        prev = units[i - 1]
        if _SENTENCE_END.search(prev):
            return 0.0
        if _CLAUSE_END.search(prev):
            return 0.3
        return 1.0

    def line_cost(a: int, b: int) -> float:
        size = prefix[b] - prefix[a]
        cost = ((size - ideal) / ideal) ** 2
        if size > cap:
            cost += 5.0 * (size - cap) / cap
        return cost

    # Dynamic programme over cut positions: best[k][b] = cheapest way to put units[:b] in k
    # lines. A line longer than three ideal lines is never worth considering.
    inf = math.inf
    longest = max(3 * math.ceil(n / segment_count), 1)
    best = [[inf] * (n + 1) for _ in range(segment_count + 1)]
    back = [[0] * (n + 1) for _ in range(segment_count + 1)]
    best[0][0] = 0.0
    for k in range(1, segment_count + 1):
        for b in range(k, n - (segment_count - k) + 1):
            for a in range(max(k - 1, b - longest), b):
                if best[k - 1][a] == inf:
                    continue
                cost = best[k - 1][a] + line_cost(a, b) + (boundary_cost(a) if a > 0 else 0.0)
                if cost < best[k][b]:
                    best[k][b], back[k][b] = cost, a
    cuts = [n]
    for k in range(segment_count, 0, -1):
        cuts.append(back[k][cuts[-1]])
    cuts.reverse()
    return [glue.join(units[cuts[i] : cuts[i + 1]]).strip() for i in range(segment_count)]


def _cjk_units(text: str) -> list[str]:
    """Characters as units; punctuation and spaces stay on the unit before them, and runs of
    ASCII letters or digits (a brand name, a number) stay whole."""
    units: list[str] = []
    for ch in text:
        if units:
            last = units[-1][-1]
            latin_run = ch.isascii() and ch.isalnum() and last.isascii() and last.isalnum()
            if ch.isspace() or not ch.isalnum() or latin_run:
                units[-1] += ch
                continue
        units.append(ch)
    return units
