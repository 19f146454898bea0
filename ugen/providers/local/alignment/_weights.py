"""How long a written word takes to say, relative to the others: its weight.

Language-independent estimates from the spelling: syllables (vowel groups) in alphabets that
write vowels (Latin, Cyrillic, Greek), one per character in syllabic scripts (Chinese, kana,
Hangul), one per consonant-vowel cluster in Indic scripts, and half a syllable per letter in
scripts that mostly leave vowels out (Arabic, Hebrew). Digits are read as words, about one and
a half syllables each. Every word adds a little for its consonants, so a long word with few
vowels still weighs more than a short one.
"""

from __future__ import annotations

import unicodedata

PER_LETTER = 0.08  # consonant time, per letter, on top of the syllables
PER_DIGIT = 1.5
_SMALL_KANA = frozenset("ゃゅょぁぃぅぇぉャュョァィゥェォ")
_VOWELS = frozenset("aeiouyæøœåəɛɔ"
                    "аеёиоуыэюяіїєў"
                    "αεηιουωάέήίόύώϊϋ")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    for script in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "ARABIC", "HEBREW", "DEVANAGARI",
                   "TAMIL", "BENGALI", "THAI"):
        if name.startswith(script):
            return script
    return "ALPHABET"


def _base(ch: str) -> str:
    return unicodedata.normalize("NFKD", ch.lower())[:1]


def syllables(word: str) -> float:
    """Estimated syllables in ``word`` (0 for punctuation alone)."""
    count = 0.0
    in_vowel = False
    letters = 0
    for i, ch in enumerate(word):
        if ch.isdigit():
            count += PER_DIGIT
            in_vowel = False
            continue
        if not ch.isalpha() and unicodedata.category(ch) not in ("Mn", "Mc"):
            in_vowel = False
            continue
        script = _script(ch)
        if script in ("CJK", "HANGUL") or (script in ("HIRAGANA", "KATAKANA")
                                           and ch not in _SMALL_KANA):
            count += 1.0
        elif script in ("ARABIC", "HEBREW"):
            count += 0.5 if ch.isalpha() else 0.0
        elif script in ("DEVANAGARI", "TAMIL", "BENGALI", "THAI"):
            virama_next = i + 1 < len(word) and unicodedata.name(word[i + 1], "").endswith(
                ("SIGN VIRAMA", "SIGN PULLI"))
            count += 1.0 if ch.isalpha() and not virama_next else 0.0
        else:
            letters += 1
            vowel = _base(ch) in _VOWELS
            if vowel and not in_vowel:
                count += 1.0
            in_vowel = vowel
    if letters and count == 0:
        count = 1.0  # "hmm", "Brr", initials
    return count + PER_LETTER * letters


def weight(word: str) -> float:
    """The relative speaking time of ``word``; never zero, so every word gets some time."""
    return max(syllables(word), 0.3)
