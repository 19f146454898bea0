"""The product catalog as data: video models, personas, voices, languages, styles and prices.

Loaded once from the TOML files beside this module; prices can be replaced by another file
(the settings' ``pricing_file``, which :func:`ugen.core.estimate.current_pricing` passes in).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

_HERE = Path(__file__).parent


class VideoModel(BaseModel):
    """One video model with the capability fields of the Models API."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    family: str
    vendor: str
    tier: str
    status: str
    description: str
    supported_aspect_ratios: tuple[str, ...]
    supported_durations: tuple[int, ...]
    resolution: str
    fps: int
    supports_sound: bool
    supports_elements: bool
    pricing_unit: Literal["segment", "second"]
    credits_per_unit: int

    @property
    def default_duration(self) -> int:
        return 8 if 8 in self.supported_durations else self.supported_durations[-1]


class Voice(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    gender: str
    description: str
    espeak_variant: str
    pitch_semitones: float
    formant_shift: float
    rate_wpm: int


class Persona(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    slug: str
    name: str
    description: str
    skin: str
    hair: str
    top: str
    voice_id: str


class Pricing(BaseModel):
    model_config = ConfigDict(frozen=True)

    keyframe_1k: int
    keyframe_2k: int
    keyframe_4k: int
    voice_over: int
    custom_voice_override: int
    music: int
    custom_captions: int
    post_processing: int
    qa_retry_buffer_percent: int


class Language(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    script: str
    rtl: bool = False
    espeak: str


# The 29 languages of ElevenLabs Multilingual v2, plus Hebrew. `script` picks the caption font.
LANGUAGES: tuple[Language, ...] = tuple(
    Language(code=c, name=n, script=s, rtl=s in ("arabic", "hebrew"), espeak=e)
    for c, n, s, e in [
        ("en", "English", "latin", "en-us"),
        ("ja", "Japanese", "cjk", "ja"),
        ("zh", "Chinese", "cjk", "cmn"),
        ("de", "German", "latin", "de"),
        ("hi", "Hindi", "devanagari", "hi"),
        ("fr", "French", "latin", "fr"),
        ("ko", "Korean", "hangul", "ko"),
        ("pt", "Portuguese", "latin", "pt"),
        ("it", "Italian", "latin", "it"),
        ("es", "Spanish", "latin", "es"),
        ("id", "Indonesian", "latin", "id"),
        ("nl", "Dutch", "latin", "nl"),
        ("tr", "Turkish", "latin", "tr"),
        ("fil", "Filipino", "latin", "en-us"),
        ("pl", "Polish", "latin", "pl"),
        ("sv", "Swedish", "latin", "sv"),
        ("bg", "Bulgarian", "cyrillic", "bg"),
        ("ro", "Romanian", "latin", "ro"),
        ("ar", "Arabic", "arabic", "ar"),
        ("cs", "Czech", "latin", "cs"),
        ("el", "Greek", "greek", "el"),
        ("fi", "Finnish", "latin", "fi"),
        ("hr", "Croatian", "latin", "hr"),
        ("ms", "Malay", "latin", "ms"),
        ("sk", "Slovak", "latin", "sk"),
        ("da", "Danish", "latin", "da"),
        ("ta", "Tamil", "tamil", "ta"),
        ("uk", "Ukrainian", "cyrillic", "uk"),
        ("ru", "Russian", "cyrillic", "ru"),
        ("he", "Hebrew", "hebrew", "he"),
    ]
)

CAPTION_STYLES: tuple[str, ...] = ("tiktok_karaoke", "word_pop", "boxed_highlight")
INTERACTION_MODES: tuple[str, ...] = ("holdable", "display_static", "wearable", "applied")
SCRIPT_STRUCTURES: tuple[str, ...] = ("standard_5phase", "problem_solution", "testimonial")
SCRIPT_TONES: tuple[str, ...] = ("conversational", "energetic", "professional", "playful")
MUSIC_MOODS: tuple[str, ...] = ("upbeat", "chill", "inspiring", "dramatic", "playful")
KEYFRAME_RESOLUTIONS: tuple[str, ...] = ("1k", "2k", "4k")


def _load(name: str) -> dict[str, Any]:
    with (_HERE / name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def video_models() -> dict[str, VideoModel]:
    data = _load("models.toml")
    return {m["id"]: VideoModel(**m) for m in data["models"]}


@cache
def personas() -> dict[str, Persona]:
    data = _load("personas.toml")
    return {p["id"]: Persona(**p) for p in data["personas"]}


@cache
def voices() -> dict[str, Voice]:
    data = _load("personas.toml")
    return {v["id"]: Voice(**v) for v in data["voices"]}


@cache
def pricing(file: Path | None = None) -> Pricing:
    """The credit prices: the packaged ones, or those of ``file`` in their place."""
    if file is not None:
        with file.open("rb") as fh:
            return Pricing(**tomllib.load(fh))
    return Pricing(**_load("pricing.toml"))


def languages() -> dict[str, Language]:
    return {lang.code: lang for lang in LANGUAGES}


def find_persona(key: str) -> Persona | None:
    """Look a persona up by id or by slug (case-insensitive)."""
    table = personas()
    if key in table:
        return table[key]
    lowered = key.lower()
    return next((p for p in table.values() if p.slug == lowered), None)
