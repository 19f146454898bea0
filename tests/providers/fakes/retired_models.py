"""Model ids the vendors have shut down, or announced a date to shut down, with the source.

Every fake vendor server refuses a model id whose date has come (the vendor's documented
answer for a model it does not serve: OpenAI 404 ``model_not_found``, Gemini and Vertex AI
404 ``NOT_FOUND``, Kling 404 code 1203, ElevenLabs 400 ``model_not_found``), and lists one
whose date is still ahead with that date where the vendor's listing carries it (OpenAI's
``shutdown_date``). So a default that names a retired model fails its tests, and one the
vendor has announced for shutdown fails ``test_default_models_are_live``.

The table was checked on :data:`CHECKED_ON`; a row's date is the vendor's shutdown date (for
Gemini, the earliest date the deprecations page gives, or the date the changelog reports the
model gone). Kling and ElevenLabs document no retired image-to-video or speech-to-speech
model: they have no rows, and their fakes refuse any id the table lists for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

VendorName = Literal["openai", "gemini", "elevenlabs", "kling", "veo"]
CHECKED_ON = dt.date(2026, 12, 5)

OPENAI_DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
OPENAI_SDK = "openai-python 3.63.0 types/image_model.py, types/shared/chat_model.py"
GEMINI_DEPRECATIONS = "https://ai.google.dev/gemini-api/docs/deprecations"
GEMINI_CHANGELOG = "https://ai.google.dev/gemini-api/docs/changelog"
GEMINI_25_RETIRED = ("https://dev.to/aideprecations/what-to-do-before-gemini-25-pro-and-25-"
                     "flash-are-retired-on-december-1-2026-5gg9 (citing the deprecations page)")
NANO_BANANA_2 = ("https://github.com/BerriAI/litellm/discussions/44983 (date); deprecation: "
                 "https://ai.google.dev/gemini-api/docs/changelog, 2026-10-06")
VEO_30 = ("https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/veo/"
          "3-0-generate")


@dataclass(frozen=True)
class RetiredModel:
    vendor: VendorName
    model: str
    shutdown: dt.date
    source: str
    replacement: str = ""


def _rows(vendor: VendorName, models: Iterable[str], shutdown: dt.date, source: str,
          replacement: str = "") -> list[RetiredModel]:
    return [RetiredModel(vendor, m, shutdown, source, replacement) for m in models]


RETIRED: tuple[RetiredModel, ...] = (
    # OpenAI: shut down.
    *_rows("openai", ("gpt-image-1",), dt.date(2026, 10, 23), OPENAI_DEPRECATIONS,
           "gpt-image-2.5-sunburst / gpt-image-2.6-sunburst"),
    *_rows("openai", ("gpt-image-1.5", "gpt-image-1.5-2025-12-16", "gpt-image-1-mini",
                      "chatgpt-image-latest"), dt.date(2026, 12, 1), OPENAI_DEPRECATIONS,
           "gpt-image-2.6-sunburst or gpt-image-2.6-flare"),
    *_rows("openai", ("dall-e-2", "dall-e-3"), dt.date(2026, 5, 12), OPENAI_SDK),
    *_rows("openai", ("gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4o-2024-05-13",
                      "gpt-4.1-nano", "o1", "o3-mini", "o4-mini"), dt.date(2026, 10, 23),
           OPENAI_DEPRECATIONS),
    # OpenAI: shutdown announced.
    *_rows("openai", ("gpt-5", "gpt-5-mini", "gpt-5-nano", "o3"), dt.date(2026, 12, 11),
           OPENAI_DEPRECATIONS),
    *_rows("openai", ("gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini",
                      "gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"), dt.date(2027, 1, 14),
           OPENAI_DEPRECATIONS, "gpt-6-luna"),
    *_rows("openai", ("gpt-5.1", "gpt-5.4-nano"), dt.date(2027, 4, 1), OPENAI_DEPRECATIONS),
    # Gemini API.
    *_rows("gemini", ("gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite",
                      "gemini-2.0-flash-lite-001"), dt.date(2026, 6, 1), GEMINI_CHANGELOG,
           "gemini-3.5-flash-lite"),
    *_rows("gemini", ("gemini-2.5-flash", "gemini-2.5-pro"), dt.date(2026, 12, 1),
           GEMINI_25_RETIRED, "gemini-3.5-flash-lite / gemini-3.8-flash"),
    *_rows("gemini", ("gemini-2.5-flash-image",), dt.date(2026, 10, 2), GEMINI_DEPRECATIONS,
           "gemini-3.1-flash-image"),
    *_rows("gemini", ("gemini-3-pro-preview",), dt.date(2026, 3, 9), GEMINI_DEPRECATIONS),
    *_rows("gemini", ("gemini-3.1-flash-lite-preview",), dt.date(2026, 5, 25),
           GEMINI_CHANGELOG, "gemini-3.1-flash-lite"),
    *_rows("gemini", ("gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview"),
           dt.date(2026, 6, 25), GEMINI_CHANGELOG),
    *_rows("gemini", ("gemini-3.5-flash", "gemini-3.7-flash"), dt.date(2026, 10, 8),
           GEMINI_CHANGELOG, "gemini-3.6-flash / gemini-3.8-flash"),
    *_rows("gemini", ("gemini-3.1-flash-image",), dt.date(2026, 10, 29), NANO_BANANA_2,
           "gemini-nano-banana-2.1"),
    *_rows("gemini", ("gemini-3.1-flash-lite",), dt.date(2027, 5, 7), GEMINI_DEPRECATIONS),
    # Veo on Vertex AI.
    *_rows("veo", ("veo-3.0-generate-001", "veo-3.0-fast-generate-001",
                   "veo-2.0-generate-001"), dt.date(2026, 6, 30), VEO_30,
           "veo-3.1-generate-001 / veo-3.1-fast-generate-001"),
)


def today() -> dt.date:
    """The later of the table's check date and the clock's: the table never goes back."""
    return max(CHECKED_ON, dt.date.today())


def retired(vendor: VendorName, model: str, *, on: dt.date | None = None,
            table: Iterable[RetiredModel] = RETIRED) -> RetiredModel | None:
    """The row of ``model`` if the vendor no longer serves it ``on`` that day."""
    day = on or today()
    return next((r for r in table if r.vendor == vendor and r.model == model
                 and r.shutdown <= day), None)


def announced(vendor: VendorName, model: str, *,
              table: Iterable[RetiredModel] = RETIRED) -> RetiredModel | None:
    """The row of ``model`` whatever its date (shut down or announced)."""
    return next((r for r in table if r.vendor == vendor and r.model == model), None)
