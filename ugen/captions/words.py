"""Caption word units for scripts written without spaces, and their timings.

Chinese is segmented with jieba and Japanese with janome (particles, auxiliaries and
punctuation join the word before them, as a reader groups them), so captions highlight real
words: not one block, not one character at a time. The speech engine reports its own units;
their times are shared out over their characters and gathered back per word.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

from ugen.core.language import UNSPACED
from ugen.providers.base import WordTiming

__all__ = ["UNSPACED", "retime", "split_words"]
_JOINS_PREVIOUS = ("助詞", "助動詞", "記号")
_lock = threading.Lock()


def _is_punctuation(token: str) -> bool:
    import unicodedata

    return all(unicodedata.category(ch).startswith("P") or ch.isspace() for ch in token)


@cache
def _janome() -> Any:
    from janome.tokenizer import Tokenizer

    return Tokenizer()


def split_words(text: str, language: str) -> list[str]:
    """Word units of ``text``: whitespace words, or segmented words for zh and ja."""
    if language not in UNSPACED:
        return text.split()
    words: list[str] = []
    if language == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        with _lock:
            tokens = [(t, _is_punctuation(t)) for t in jieba.cut(text) if t.strip()]
    else:
        with _lock:
            tokens = [(t.surface, t.part_of_speech.split(",")[0] in _JOINS_PREVIOUS)
                      for t in _janome().tokenize(text) if t.surface.strip()]
    for token, joins in tokens:
        if words and joins:
            words[-1] += token
        else:
            words.append(token)
    return words


def _char_times(units: Sequence[WordTiming]) -> list[tuple[str, float, float]]:
    chars: list[tuple[str, float, float]] = []
    for unit in units:
        text = "".join(unit.text.split())
        if not text:
            continue
        step = (unit.end - unit.start) / len(text)
        chars += [(ch, unit.start + i * step, unit.start + (i + 1) * step)
                  for i, ch in enumerate(text)]
    return chars


def retime(units: Sequence[WordTiming], words: Sequence[str]) -> list[WordTiming]:
    """Timings for ``words`` from the speech engine's ``units`` over the same text.

    Each unit's span is shared out over its characters; a word runs from its first
    character's start to its last character's end. If the two texts differ, the whole
    spoken span is shared out by character counts instead.
    """
    if not units or not words:
        return []
    chars = _char_times(units)
    joined = "".join("".join(w.split()) for w in words)
    if "".join(c for c, _, _ in chars) != joined:
        start, end = units[0].start, units[-1].end
        total = len(joined) or 1
        chars = [(ch, start + (end - start) * i / total, start + (end - start) * (i + 1) / total)
                 for i, ch in enumerate(joined)]
    out: list[WordTiming] = []
    pos = 0
    for word in words:
        n = len("".join(word.split()))
        if n == 0:
            continue
        span = chars[pos:pos + n]
        out.append(WordTiming(word, round(span[0][1], 4), round(span[-1][2], 4)))
        pos += n
    return out
