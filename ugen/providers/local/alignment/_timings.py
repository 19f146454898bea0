"""Put aligned word times in order: never decreasing, never overlapping, inside the audio."""

from __future__ import annotations

from collections.abc import Sequence

from ugen.providers.base import WordTiming


def tidy(words: Sequence[str], times: Sequence[tuple[float, float]], *,
         duration: float) -> tuple[WordTiming, ...]:
    """One timing per word from rough ``(start, end)`` pairs.

    Starts are clamped to ``[0, duration]`` and made non-decreasing; each end lies between its
    own start and the next word's start (and the end of the audio). Times are rounded to 0.1 ms.
    """
    starts: list[float] = []
    for start, _ in times:
        value = min(max(start, 0.0), duration)
        starts.append(max(value, starts[-1]) if starts else value)
    out: list[WordTiming] = []
    for i, (word, (_, end)) in enumerate(zip(words, times, strict=True)):
        limit = starts[i + 1] if i + 1 < len(starts) else duration
        out.append(WordTiming(word, round(starts[i], 4),
                              round(min(max(end, starts[i]), limit), 4)))
    return tuple(out)
