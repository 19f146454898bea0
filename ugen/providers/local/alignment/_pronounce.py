"""English words as the aligner's dictionary needs them: spoken tokens and their phones.

A caption word is what the script shows ("GlowBerry's", "20%", "$5", "2nd"); the aligner needs
the words actually spoken ("glowberry's", "twenty percent", "five dollars", "second"), each
with a pronunciation. Words missing from the dictionary (brand names, coinages) are split into
dictionary words when they are compounds ("glowberry" = "glow" + "berry"), and otherwise
spelled out by letter-to-sound rules: rough, but close enough for alignment, and total, so an
unknown word never stops the alignment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

Lookup = Callable[[str], str | None]

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
             "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_SYMBOLS = {"%": "percent", "&": "and", "+": "plus", "@": "at", "=": "equals",
            "#": "number", "°": "degrees"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
_PIECE = re.compile(r"\d+(?:[.,]\d+)*|[a-z']+|[%&+@=#°$€£¥]")

# Letter-to-sound rules, longest spelling first; ARPABET as in the CMU dictionary.
_RULES: tuple[tuple[str, str], ...] = (
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("eau", "OW"),
    ("sh", "SH"), ("ch", "CH"), ("th", "TH"), ("ph", "F"), ("wh", "W"), ("ck", "K"),
    ("ng", "NG"), ("qu", "K W"), ("gh", "G"), ("kn", "N"), ("wr", "R"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("oi", "OY"),
    ("oy", "OY"), ("ai", "EY"), ("ay", "EY"), ("ei", "EY"), ("ey", "EY"), ("au", "AO"),
    ("aw", "AO"), ("ie", "IY"), ("ue", "UW"), ("ew", "UW"), ("oa", "OW"),
    ("er", "ER"), ("ir", "ER"), ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("b", "B"), ("d", "D"), ("e", "EH"), ("f", "F"), ("g", "G"), ("h", "HH"),
    ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"), ("m", "M"), ("n", "N"), ("o", "AA"),
    ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"), ("u", "AH"), ("v", "V"),
    ("w", "W"), ("x", "K S"), ("z", "Z"),
)
_VOWELS = frozenset("aeiouy")


def number_words(n: int) -> list[str]:
    """``n`` (0 to 10**12 - 1) in English words: 2025 -> two thousand twenty five."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + (number_words(n % 10) if n % 10 else [])
    if n < 1000:
        rest = number_words(n % 100) if n % 100 else []
        return [_ONES[n // 100], "hundred", *rest]
    for scale, name in _SCALES:
        if n >= scale:
            rest = number_words(n % scale) if n % scale else []
            return [*number_words(n // scale), name, *rest]
    raise AssertionError("unreachable")


def _number(text: str) -> list[str]:
    digits = text.replace(",", "")
    whole, _, fraction = digits.partition(".")
    if len(whole) > 12:
        return [_ONES[int(d)] for d in whole]
    words = number_words(int(whole))
    if fraction:
        words += ["point", *(_ONES[int(d)] for d in fraction)]
    return words


def _ascii(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def spoken_tokens(word: str) -> list[str]:
    """The words spoken for one written word, lower-case: "$20" -> twenty dollars.

    Returns an empty list for a word with nothing to say (a dash, an emoji).
    """
    tokens: list[str] = []
    currency: str | None = None
    pieces = _PIECE.findall(_ascii(word))
    for i, piece in enumerate(pieces):
        if piece in _CURRENCY:
            currency = _CURRENCY[piece]
        elif piece in _SYMBOLS:
            tokens.append(_SYMBOLS[piece])
        elif piece[0].isdigit():
            tokens += _number(piece)
            suffix = pieces[i + 1] if i + 1 < len(pieces) else ""
            if suffix in ("st", "nd", "rd", "th"):
                tokens[-1] = _ORDINALS.get(tokens[-1], tokens[-1].removesuffix("y")
                                           + ("ie" if tokens[-1].endswith("y") else "") + "th")
            if currency:
                tokens.append(currency)
                currency = None
        elif piece not in ("st", "nd", "rd", "th") or not (i and pieces[i - 1][0].isdigit()):
            token = piece.strip("'")
            if token:
                tokens.append(token)
    return tokens


def letter_phones(token: str) -> str:
    """A rough ARPABET pronunciation of ``token`` from its spelling alone."""
    letters = re.sub(r"[^a-z]", "", token)
    if len(letters) > 2 and letters.endswith("e") and letters[-2] not in _VOWELS:
        letters = letters[:-1]  # a silent final e
    phones: list[str] = []
    i = 0
    while i < len(letters):
        if i and letters[i] == letters[i - 1] and letters[i] not in _VOWELS:
            i += 1  # a doubled consonant is one sound
            continue
        ch = letters[i]
        if ch == "c":
            soft = i + 1 < len(letters) and letters[i + 1] in "eiy"
            phones.append("S" if soft else "K")
            i += 1
            continue
        if ch == "y":
            phones.append("Y" if i == 0 else ("IY" if i == len(letters) - 1 else "IH"))
            i += 1
            continue
        for spelling, sound in _RULES:
            if letters.startswith(spelling, i):
                phones.append(sound)
                i += len(spelling)
                break
    return " ".join(phones) or "AH"


def _compound(token: str, lookup: Lookup) -> str | None:
    """Phones of ``token`` as the fewest dictionary words (of 3+ letters) spelling it."""
    best: list[list[str] | None] = [None] * (len(token) + 1)
    best[0] = []
    for end in range(3, len(token) + 1):
        for start in range(0, end - 2):
            head = best[start]
            if head is None or (best[end] is not None and len(best[end] or []) <= len(head) + 1):
                continue
            phones = lookup(token[start:end])
            if phones:
                best[end] = [*head, phones]
    found = best[len(token)]
    return " ".join(found) if found else None


def pronounce(token: str, lookup: Lookup) -> str:
    """ARPABET phones for a spoken token missing from the dictionary: compound, else spelling."""
    stem = token.removesuffix("'s")
    if stem != token and (phones := lookup(stem) or _compound(stem, lookup)):
        return f"{phones} Z"
    return _compound(token, lookup) or letter_phones(token)
