"""The job's parameters as the Jobs API documents them, validated against the catalog.

``JobCreate`` is used by the CLI and the HTTP API alike. Validation errors name the field.
Text is taken as given but never blank (nothing visible: spaces, line breaks, zero-width
characters only), never with control characters (a single line: none at all; longer text:
tabs and line breaks only) or lone surrogates, and never longer than its limit; numbers are
finite.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ugen import catalog
from ugen.core.types import AspectRatio, QaiMode, StageName

# C0 and C1 control characters (and DEL), and the surrogates no UTF-8 text can hold.
_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def is_blank(value: str) -> bool:
    """True when nothing of ``value`` would show: only spaces, line breaks or format marks."""
    return not any(ch.isprintable() and not ch.isspace() for ch in value)


def _checked_text(value: str, forbidden: re.Pattern[str], *, one_line: bool) -> str:
    found = forbidden.search(value)
    if found is not None:
        code = ord(found.group())
        kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        where = " (one line: no tabs or line breaks)" if one_line and code in (9, 10, 13) else ""
        raise ValueError(f"must not contain {kind} (U+{code:04X}){where}")
    if is_blank(value):
        raise ValueError("must not be blank")
    return value


def _line(value: str) -> str:
    return _checked_text(value, _LINE_FORBIDDEN, one_line=True)


def _text(value: str) -> str:
    return _checked_text(value, _TEXT_FORBIDDEN, one_line=False)


# Put them after the field's length limits (``Annotated[str, Field(max_length=...), ONE_LINE]``),
# so an overlong value is refused before it is scanned.
ONE_LINE = AfterValidator(_line)
"""One line of visible text: not blank, no control characters, no lone surrogates."""
TEXT = AfterValidator(_text)
"""Visible text that may span lines (tabs and line breaks allowed)."""
MAX_SELLING_POINTS = 10


class CaptionOptionsIn(BaseModel):
    """``custom_caption_options``: font size, colours and position of the captions."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    font_size: Annotated[int, Field(ge=16, le=200)] | None = None
    primary_colour: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = None
    highlight_colour: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = None
    outline_colour: Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")] | None = None
    position: Literal["bottom", "middle", "top"] | None = None
    uppercase: bool | None = None


class VoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    voice_id: Annotated[str, Field(max_length=100), ONE_LINE] | None = None


AUTO_POST_PLATFORMS = ("youtube", "tiktok", "instagram")


class AutoPostIn(BaseModel):
    """One ``auto_post`` entry: once the job completes, its video is posted to ``platform``
    (an account connected at ``/api/v1/social``), as ``POST /jobs/{id}/posts`` would."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    platform: Literal["youtube", "tiktok", "instagram"]
    title: Annotated[str, Field(min_length=1, max_length=2200,
                                validation_alias=AliasChoices("title", "caption")), TEXT]
    """YouTube title (≤ 100), TikTok / Instagram caption (``caption`` is accepted too)."""
    description: Annotated[str, Field(max_length=5000)] = ""
    hashtags: Annotated[tuple[Annotated[str, Field(pattern=r"^#?[^\s#]{1,100}$")], ...],
                        Field(max_length=30)] = ()
    privacy: Annotated[str, Field(max_length=40), ONE_LINE] | None = None
    """In the platform's own words (YouTube ``private``; TikTok ``SELF_ONLY``; Instagram
    none)."""
    options: Annotated[dict[Annotated[str, Field(max_length=64)], str | int | float | bool],
                       Field(max_length=20)] = Field(default_factory=dict)


class JobOptions(BaseModel):
    """Everything a job is made from except the product image itself."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              allow_inf_nan=False)

    product_name: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE]
    segment_count: Annotated[int, Field(ge=1, le=10)] = 3
    video_model: str = "veo3_fast"
    video_resolution: Literal["standard", "high"] = "standard"
    keyframe_resolution: Literal["1k", "2k", "4k"] = "1k"
    aspect_ratio: AspectRatio = Field(
        "9:16", validation_alias=AliasChoices("aspect_ratio", "output_aspect_ratio")
    )
    segment_duration: int | None = None
    persona_id: Annotated[str, Field(max_length=100), ONE_LINE] | None = None
    interaction_mode: str = "holdable"
    environment_description: Annotated[str, Field(max_length=500), TEXT] | None = None
    key_selling_points: Annotated[tuple[Annotated[str, Field(max_length=200), ONE_LINE], ...],
                                  Field(max_length=MAX_SELLING_POINTS)] = ()
    cta_text: Annotated[str, Field(max_length=200), ONE_LINE] | None = None
    custom_script: str | None = None
    script_structure: str = "standard_5phase"
    script_tone: str = "conversational"
    language: str | None = None
    caption_style: str = "tiktok_karaoke"
    captions_enabled: bool = True
    custom_caption_options: CaptionOptionsIn | None = None
    music_enabled: bool = True
    music_mood: str = "upbeat"
    music_volume: Annotated[float, Field(ge=0.0, le=1.0)] = 0.15
    music_track_id: Annotated[str, Field(max_length=100), ONE_LINE] | None = None
    """A catalog track (``GET /music/catalog``) in place of the mood's pick."""
    custom_music_id: Annotated[str, Field(max_length=36), ONE_LINE] | None = None
    """One of the account's own tracks (``POST /music/custom``)."""
    brand_kit_enabled: bool = False
    """Draw the account's brand-kit logo as a watermark in the final encode."""
    voice_settings: VoiceSettings | None = None
    qai_mode: QaiMode = "lenient"
    max_retries_keyframe: Annotated[int, Field(ge=0, le=5)] = 1
    max_retries_video: Annotated[int, Field(ge=0, le=5)] = 0
    human_review_max_rejections: Annotated[int, Field(ge=0, le=10)] = 0
    """Above 0, the job waits for a reviewer after the anchor and each keyframe batch."""
    human_review_budget: Literal["accept_best", "fail"] = "accept_best"
    """What happens after the last allowed rejection (or a review timeout)."""
    stop_at_stage: StageName | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    """None: ``prepare`` records a fresh random seed on the job, so a retry replays it."""
    webhook_url: Annotated[str, Field(max_length=2000), ONE_LINE] | None = None
    auto_post: Annotated[tuple[AutoPostIn, ...], Field(max_length=len(AUTO_POST_PLATFORMS))] = ()
    """Post the final video to these connected platforms once the job completes (one entry
    per platform)."""
    idempotency_key: Annotated[str, Field(max_length=200), ONE_LINE] | None = None

    @field_validator("auto_post")
    @classmethod
    def _one_post_per_platform(cls, value: tuple[AutoPostIn, ...]) -> tuple[AutoPostIn, ...]:
        platforms = [entry.platform for entry in value]
        if len(set(platforms)) != len(platforms):
            raise ValueError("auto_post names a platform more than once")
        return value

    @field_validator("video_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in catalog.video_models():
            known = ", ".join(catalog.video_models())
            raise ValueError(f"unknown video_model {value!r}; choose one of {known}")
        return value

    @field_validator("persona_id")
    @classmethod
    def _known_persona(cls, value: str | None) -> str | None:
        if value is None:
            return None
        persona = catalog.find_persona(value)
        if persona is None:
            raise ValueError(f"unknown persona_id {value!r}; see `ugen personas` or GET /personas")
        return persona.id

    @field_validator("interaction_mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        return _one_of("interaction_mode", value, catalog.INTERACTION_MODES)

    @field_validator("script_structure")
    @classmethod
    def _known_structure(cls, value: str) -> str:
        return _one_of("script_structure", value, catalog.SCRIPT_STRUCTURES)

    @field_validator("script_tone")
    @classmethod
    def _known_tone(cls, value: str) -> str:
        return _one_of("script_tone", value, catalog.SCRIPT_TONES)

    @field_validator("caption_style")
    @classmethod
    def _known_style(cls, value: str) -> str:
        return _one_of("caption_style", value, catalog.CAPTION_STYLES)

    @field_validator("music_mood")
    @classmethod
    def _known_mood(cls, value: str) -> str:
        return _one_of("music_mood", value, catalog.MUSIC_MOODS)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None or value == "auto":
            return None
        return _one_of("language", value.lower(), tuple(catalog.languages()))

    @field_validator("voice_settings")
    @classmethod
    def _known_voice(cls, value: VoiceSettings | None) -> VoiceSettings | None:
        if value is not None and value.voice_id is not None:
            _one_of("voice_id", value.voice_id, tuple(catalog.voices()))
        return value

    @field_validator("custom_script")
    @classmethod
    def _script_text(cls, value: str | None) -> str | None:
        """The script is checked and kept exactly as given: its limit counts every
        character, whitespace included."""
        if value is None:
            return None
        from ugen.core.config import get_settings

        limit = get_settings().max_script_chars
        if len(value) > limit:
            raise ValueError(f"custom_script is {len(value)} characters (whitespace "
                             f"included); the limit is {limit}")
        if is_blank(value):
            raise ValueError("custom_script is empty")
        return _text(value)

    @model_validator(mode="after")
    def _fits_model(self) -> JobOptions:
        model = catalog.video_models()[self.video_model]
        if self.aspect_ratio not in model.supported_aspect_ratios:
            allowed = ", ".join(model.supported_aspect_ratios)
            raise ValueError(
                f"aspect_ratio {self.aspect_ratio} is not offered by {self.video_model} "
                f"(allowed: {allowed})"
            )
        if self.segment_duration is not None and (
            self.segment_duration not in model.supported_durations
        ):
            lo, hi = min(model.supported_durations), max(model.supported_durations)
            allowed = f"{lo}" if lo == hi else f"{lo}-{hi}"
            raise ValueError(
                f"segment_duration {self.segment_duration} s is not allowed for "
                f"{self.video_model} (allowed: {allowed} s)"
            )
        if self.custom_script is not None:
            words = len(self.custom_script.split())
            if words < self.segment_count and not _is_unspaced(self.custom_script):
                raise ValueError(
                    f"custom_script has {words} words, fewer than segment_count "
                    f"({self.segment_count})"
                )
        return self

    # --- derived values, used by the stages ---------------------------------------------

    @property
    def model(self) -> catalog.VideoModel:
        return catalog.video_models()[self.video_model]

    @property
    def effective_segment_duration(self) -> int:
        return self.segment_duration or self.model.default_duration

    @property
    def output_size(self) -> tuple[int, int]:
        return output_size(self.aspect_ratio)

    @property
    def planned_duration_s(self) -> float:
        return float(self.segment_count * self.effective_segment_duration)

    def resolved_persona(self) -> catalog.Persona:
        """The chosen persona, or one picked from the seed when none was given."""
        table = catalog.personas()
        if self.persona_id is not None:
            return table[self.persona_id]
        ordered = sorted(table.values(), key=lambda p: p.id)
        return ordered[self.job_seed % len(ordered)]

    @property
    def job_seed(self) -> int:
        """The seed the job runs with (``prepare`` records one when none was given)."""
        return 0 if self.seed is None else self.seed

    def resolved_voice(self) -> catalog.Voice:
        if self.voice_settings is not None and self.voice_settings.voice_id is not None:
            return catalog.voices()[self.voice_settings.voice_id]
        return catalog.voices()[self.resolved_persona().voice_id]


def output_size(aspect_ratio: str) -> tuple[int, int]:
    """Final render size for an aspect ratio (``auto`` renders vertical, as UGC is watched)."""
    return {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}.get(
        aspect_ratio, (1080, 1920)
    )


def _is_unspaced(text: str) -> bool:
    return any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in text)


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {field} {value!r}; choose one of {', '.join(allowed)}")
    return value


def options_from_params(params: dict[str, Any]) -> JobOptions:
    """Rebuild validated options from a job's stored ``params``."""
    return JobOptions.model_validate(params)
