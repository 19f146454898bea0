"""Which of the 30 caption languages a script is written in.

The writing system decides first (Arabic, Hebrew, Devanagari, Tamil, Greek, Hangul, kana, Han
are each one language here); among the languages that share a script (Latin, Cyrillic) the
lingua detector decides, restricted to those languages and built once per process. A result
that is not clearly ahead of the runner-up is reported as uncertain, so the caller can fall
back to the requested language and warn.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from ugen import catalog

MIN_CONFIDENCE = 0.30
MIN_LEAD = 0.15

UNSPACED = frozenset({"zh", "ja"})
"""Languages written without spaces between words (their words are found by segmenting)."""

# Script → the one language of ours written in it.
_SINGLE = {"arabic": "ar", "hebrew": "he", "devanagari": "hi", "tamil": "ta", "greek": "el",
           "hangul": "ko"}
_LINGUA_NAMES = {"tl": "TAGALOG"}  # ISO 639-1 code lingua uses for Filipino
_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    language: str
    confidence: float
    certain: bool
    script: str


def _char_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for key, script in (("ARABIC", "arabic"), ("HEBREW", "hebrew"),
                        ("DEVANAGARI", "devanagari"), ("TAMIL", "tamil"), ("GREEK", "greek"),
                        ("HANGUL", "hangul"), ("HIRAGANA", "kana"), ("KATAKANA", "kana"),
                        ("CJK", "han"), ("CYRILLIC", "cyrillic"), ("LATIN", "latin")):
        if key in name:
            return script
    return None


def dominant_script(text: str) -> str | None:
    counts = Counter(s for s in map(_char_script, text) if s)
    if not counts:
        return None
    if counts.get("kana"):
        return "kana"  # Japanese mixes kana with Han; Chinese has no kana
    return counts.most_common(1)[0][0]


def _codes_for(script: str) -> tuple[str, ...]:
    return tuple(lang.code for lang in catalog.LANGUAGES if lang.script == script)


@cache
def _detector(codes: tuple[str, ...]) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, "TL" if c == "fil" else c.upper()) for c in codes]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).build()


def detect_language(text: str) -> Detection:
    """Detect the language of ``text`` among the 30 supported ones."""
    script = dominant_script(text)
    if script is None:
        return Detection("en", 0.0, False, "none")
    if script in _SINGLE:
        return Detection(_SINGLE[script], 1.0, True, script)
    if script == "kana":
        return Detection("ja", 1.0, True, script)
    if script == "han":
        return Detection("zh", 1.0, True, script)
    codes = _codes_for(script)
    with _lock:
        detector = _detector(codes)
    values = detector.compute_language_confidence_values(text)
    if not values:
        return Detection(codes[0], 0.0, False, script)
    best = values[0]
    runner_up = values[1].value if len(values) > 1 else 0.0
    code = best.language.iso_code_639_1.name.lower()
    code = "fil" if code == "tl" else code
    certain = best.value >= MIN_CONFIDENCE and best.value - runner_up >= MIN_LEAD
    return Detection(code, round(float(best.value), 3), certain, script)
