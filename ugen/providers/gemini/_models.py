"""What each Gemini model accepts, where it differs: request fields go only to models that
take them.

- ``temperature`` (and the other sampling parameters): Google's Gemini 3 guides ask for them
  to be removed from every request ("Gemini 3's reasoning capabilities are optimized for the
  default settings"), and some Gemini 3.x models refuse a custom temperature with 400
  ``INVALID_ARGUMENT`` (``gemini-3.6-flash``, ``gemini-3.5-flash-lite``). They are sent
  only to the Gemini 1.x and 2.x families.
"""

from __future__ import annotations

import re

_GENERATION = re.compile(r"^(?:models/)?gemini-(\d+)(?:[.-]\d+)?")


def generation(model: str) -> int | None:
    """The major generation of a ``gemini-N…`` id (``gemini-3.8-flash`` → 3), else None."""
    found = _GENERATION.match(model)
    return int(found.group(1)) if found else None


def accepts_sampling(model: str) -> bool:
    """Whether ``model`` takes ``temperature``, ``topP`` and ``topK``."""
    major = generation(model)
    return major is not None and major < 3
