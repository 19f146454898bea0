"""Language-independent alignment from speech activity: any script, no acoustic model.

The recording's speech regions (see ``_audio``) are matched to the words in order: a dynamic
programme gives each run of regions a run of words, so that each run's speaking time fits its
words' weight (see ``_weights``) and runs end where the script pauses: at the end of a line
first, then of a sentence, then of a clause. Inside a run, time is shared out over its words by
weight, and a pause inside a run starts the word whose share it falls nearest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Literal

from ugen.providers.base import Alignment, PermanentProviderError
from ugen.providers.local.alignment._audio import (
    PROVIDER,
    RATE,
    Region,
    read_mono,
    speech_regions,
)
from ugen.providers.local.alignment._timings import tidy
from ugen.providers.local.alignment._weights import weight

METHOD = "speech-activity"
Pause = Literal["line", "sentence", "clause", "word"]
MAX_SPAN = 4  # regions one run of words may cover (a pause inside a word, a long comma)
MISFIT = 3.0  # cost per squared log-ratio of a run's speaking time to its words' weight
# What it costs to end a run after a word, by how the script pauses there.
BREAK_COST: dict[Pause, float] = {"line": 0.0, "sentence": 0.1, "clause": 0.3, "word": 1.0}
# Speakers slow down before a pause (phrase-final lengthening), in every language.
LENGTHENING: dict[Pause, float] = {"line": 1.3, "sentence": 1.3, "clause": 1.15, "word": 1.0}
LINE_INSIDE_COST = 1.5  # a line's end inside a run (no pause where the script has one)
GAP_INSIDE_COST = 0.8  # a pause inside a run
_SENTENCE_END = tuple(".!?。！？…؟")
_CLAUSE_END = tuple(",;:、，；：—–")


@dataclass(frozen=True)
class _Word:
    text: str
    weight: float
    pause: Pause  # what follows it


def _words(lines: Sequence[Sequence[str]]) -> list[_Word]:
    out: list[_Word] = []
    for line in lines:
        for k, text in enumerate(line):
            stripped = text.rstrip("\"'”’)»」』")
            pause: Pause = ("line" if k == len(line) - 1 else
                     "sentence" if stripped.endswith(_SENTENCE_END) else
                     "clause" if stripped.endswith(_CLAUSE_END) else "word")
            out.append(_Word(text, weight(text) * LENGTHENING[pause], pause))
    return out


def _fewer_regions(regions: list[Region], most: int) -> list[Region]:
    """Close the shortest pauses until at most ``most`` regions are left."""
    regions = list(regions)
    while len(regions) > max(most, 1):
        k = min(range(len(regions) - 1), key=lambda i: regions[i + 1].start - regions[i].end)
        regions[k:k + 2] = [Region(regions[k].start, regions[k + 1].end)]
    return regions


class SpeechActivityAligner:
    """:class:`~ugen.providers.base.WordAligner` for any language, from speech activity."""

    def align(
        self, audio: Path, lines: Sequence[Sequence[str]], *, language: str
    ) -> Alignment:
        """Time each word of ``lines`` in ``audio`` from its speech regions.

        Raises:
            PermanentProviderError: unreadable audio, or no speech in it.
        """
        words = _words(lines)
        if not words:
            return Alignment((), METHOD)
        samples = read_mono(audio)
        regions = speech_regions(samples)
        if not regions:
            raise PermanentProviderError(f"no speech found in {Path(audio).name}",
                                         provider=PROVIDER)
        times = _distribute(words, _fewer_regions(regions, len(words)))
        return Alignment(tidy([w.text for w in words], times, duration=len(samples) / RATE),
                         METHOD)


def _distribute(words: Sequence[_Word], regions: Sequence[Region]) -> list[tuple[float, float]]:
    """``(start, end)`` of each word, given at most as many speech regions as words."""
    runs = _match(words, regions)
    times: list[tuple[float, float]] = []
    for (i0, i1), (j0, j1) in runs:
        times += _share(words[i0:i1], regions[j0:j1])
    return times


def _match(words: Sequence[_Word],
           regions: Sequence[Region]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Runs of words matched to runs of regions, in order, at the least total cost."""
    n, m = len(words), len(regions)
    cum_w = [0.0, *accumulate(w.weight for w in words)]
    cum_d = [0.0, *accumulate(r.duration for r in regions)]
    cum_lines = [0, *accumulate(1 if w.pause == "line" else 0 for w in words)]
    rate = cum_d[m] / cum_w[n]  # seconds per unit of weight
    inf = math.inf
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n):
        for j in range(m):
            here = cost[i][j]
            if here == inf:
                continue
            for j1 in range(j + 1, min(j + MAX_SPAN, m) + 1):
                spoken = cum_d[j1] - cum_d[j]
                inner = GAP_INSIDE_COST * (j1 - j - 1)
                for i1 in range(i + 1, n + 1):
                    if n - i1 < m - j1:
                        break  # every later region needs a word
                    expected = (cum_w[i1] - cum_w[i]) * rate
                    misfit = MISFIT * math.log((spoken + 0.05) / (expected + 0.05)) ** 2
                    lines_inside = cum_lines[i1 - 1] - cum_lines[i]
                    total = (here + misfit + inner + BREAK_COST[words[i1 - 1].pause]
                             + LINE_INSIDE_COST * lines_inside)
                    if total < cost[i1][j1]:
                        cost[i1][j1] = total
                        back[i1][j1] = (i, j)
                    if expected > 3 * spoken + 1.0:
                        break  # longer runs only fit worse
    runs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    i, j = n, m
    if back[i][j] is None:  # cannot happen with m <= n; keep one run as a safe answer
        return [((0, n), (0, m))]
    while (i, j) != (0, 0):
        previous = back[i][j]
        assert previous is not None
        runs.append(((previous[0], i), (previous[1], j)))
        i, j = previous
    return runs[::-1]


def _share(words: Sequence[_Word], regions: Sequence[Region]) -> list[tuple[float, float]]:
    """Spread ``words`` over ``regions`` by weight; each later region starts its nearest word."""
    if len(regions) > 1 and len(words) > 1:
        total = sum(w.weight for w in words)
        spoken = sum(r.duration for r in regions)
        head = regions[0].duration / spoken * total
        cum = list(accumulate(w.weight for w in words))
        cut = min(range(len(words) - 1), key=lambda k: abs(cum[k] - head))
        cut = max(1, min(cut + 1, len(words) - (len(regions) - 1)))
        return _share(words[:cut], regions[:1]) + _share(words[cut:], regions[1:])
    start, end = regions[0].start, regions[-1].end
    spoken = sum(r.duration for r in regions)
    total = sum(w.weight for w in words)
    out: list[tuple[float, float]] = []
    acc = 0.0
    for w in words:
        a = _at(regions, start, spoken * acc / total)
        acc += w.weight
        b = _at(regions, start, spoken * acc / total)
        out.append((a, min(b, end)))
    return out


def _at(regions: Sequence[Region], start: float, offset: float) -> float:
    """The time ``offset`` seconds of speech after ``start``, skipping the pauses."""
    for r in regions:
        if offset <= r.duration:
            return r.start + offset
        offset -= r.duration
    return regions[-1].end
