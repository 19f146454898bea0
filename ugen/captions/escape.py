"""Make untrusted words safe to put in an ASS event, and read event text back the way libass does.

In ASS text outside override blocks libass acts on ``{...}`` (an override block), ``\\N``,
``\\n`` and ``\\h``; a word spoken by a user-written script may contain any of them. We:

* break every backslash by putting U+2060 WORD JOINER right after it (invisible, zero
  width, shaped away by HarfBuzz), so ``\\N`` shows as a backslash and an ``N``;
* write ``{`` and ``}`` as libass's literal-brace escapes ``\\{`` and ``\\}``, so no override
  block can ever be opened by the text (the glyphs are the real braces);
* replace control characters (newlines, tabs) by spaces and drop the explicit bidi
  embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069), which could reorder a
  caption line against the spoken order. ZWJ/ZWNJ and LRM/RLM are kept.
"""

from __future__ import annotations

import unicodedata

WORD_JOINER = "\u2060"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str) -> str:
    """Untrusted word text as plain display text: controls to spaces, bidi overrides dropped,
    whitespace collapsed. Nothing ASS-specific happens here."""
    out: list[str] = []
    for ch in text:
        if ch in _BIDI_CONTROLS:
            continue
        if unicodedata.category(ch) == "Cc" or ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def escape_ass_text(text: str) -> str:
    """Display text as ASS event text that libass shows literally (see the module docstring)."""
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append("\\" + WORD_JOINER)
        elif ch == "{":
            out.append("\\{")
        elif ch == "}":
            out.append("\\}")
        else:
            out.append(ch)
    return "".join(out)


def tokenize_event_text(text: str) -> list[tuple[bool, str]]:
    """Read ASS event text as libass does: ``(is_override_block, content)`` in order.

    ``\\{``/``\\}`` are literal braces; a ``{`` with a closing ``}`` later opens an
    override block (content without the braces); ``\\N``/``\\n`` and ``\\h`` stay in the
    literal text as written, so a caller can check that none is left. For tests and debugging.
    """
    tokens: list[tuple[bool, str]] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append((False, "".join(literal)))
            literal.clear()

    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "{}":
            literal.append(text[i + 1])
            i += 2
        elif ch == "{" and "}" in text[i + 1 :]:
            close = text.index("}", i + 1)
            flush()
            tokens.append((True, text[i + 1 : close]))
            i = close + 1
        else:
            literal.append(ch)
            i += 1
    flush()
    return tokens
