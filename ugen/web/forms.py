"""The new-ad form: its fields, read into the job's options, with errors named by field.

Field names are the Jobs API's (``product_name``, ``video_model``, ...). A few form fields
gather into one option: one selling point per line of ``key_selling_points``, ``voice_id``
into ``voice_settings``, the ``caption_*`` fields into ``custom_caption_options`` when
``custom_captions`` is ticked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ugen.core.schemas import JobOptions

CAPTION_FIELDS = {"caption_font_size": "font_size", "caption_primary_colour": "primary_colour",
                  "caption_highlight_colour": "highlight_colour",
                  "caption_outline_colour": "outline_colour", "caption_position": "position"}
_CHECKBOXES = ("music_enabled", "captions_enabled", "brand_kit_enabled")
_INTEGERS = ("segment_count", "segment_duration", "max_retries_keyframe",
             "max_retries_video", "seed")
_PLAIN = ("product_name", "video_model", "video_resolution", "keyframe_resolution",
          "aspect_ratio", "persona_id", "interaction_mode", "environment_description",
          "cta_text", "custom_script", "script_structure", "script_tone", "language",
          "caption_style", "music_mood", "qai_mode", "stop_at_stage", "webhook_url")
FORM_FIELDS = frozenset((*_PLAIN, *_INTEGERS, *_CHECKBOXES, *CAPTION_FIELDS,
                         "key_selling_points", "voice_id", "music_volume", "custom_captions",
                         "music_choice",
                         "caption_uppercase"))
"""Every field of the form that is part of the job (the image aside)."""
MUSIC_CHOICE_FIELDS = {"track": "music_track_id", "custom": "custom_music_id"}
"""``music_choice`` (one select: a catalog or a custom track) into the job's field."""


@dataclass(frozen=True)
class JobForm:
    """The form as sent: its values (to show again) and, when they are valid, the options."""

    values: dict[str, str]
    options: JobOptions | None
    errors: dict[str, str] = field(default_factory=dict)


def _number(raw: str, kind: type[int] | type[float]) -> int | float | str:
    try:
        return kind(raw)
    except ValueError:
        return raw  # validation names the field


def _params(values: Mapping[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in _PLAIN:
        raw = values.get(name, "")
        if name in ("custom_script", "environment_description"):
            raw = raw.replace("\r\n", "\n")
            if raw.strip():
                params[name] = raw
        elif raw.strip():
            params[name] = raw.strip()
    for name in _INTEGERS:
        if values.get(name, "").strip():
            params[name] = _number(values[name].strip(), int)
    if values.get("music_volume", "").strip():
        params["music_volume"] = _number(values["music_volume"].strip(), float)
    for name in _CHECKBOXES:
        params[name] = values.get(name) in ("on", "true", "1")
    points = [line.strip() for line in values.get("key_selling_points", "").splitlines()]
    params["key_selling_points"] = [p for p in points if p]
    choice = values.get("music_choice", "").strip()  # "track:<id>", "custom:<id>" or none
    kind, _, music_id = choice.partition(":")
    if music_id and kind in MUSIC_CHOICE_FIELDS:
        params[MUSIC_CHOICE_FIELDS[kind]] = music_id
    if values.get("voice_id", "").strip():
        params["voice_settings"] = {"voice_id": values["voice_id"].strip()}
    if values.get("custom_captions") in ("on", "true", "1"):
        caption: dict[str, Any] = {
            target: (_number(values[name], int) if name == "caption_font_size"
                     else values[name].strip())
            for name, target in CAPTION_FIELDS.items() if values.get(name, "").strip()}
        caption["uppercase"] = values.get("caption_uppercase") in ("on", "true", "1")
        params["custom_caption_options"] = caption
    if params.get("language") == "auto":
        params.pop("language")
    return params


_FORM_NAME = {"voice_settings": "voice_id", "custom_caption_options": "custom_captions",
              "output_aspect_ratio": "aspect_ratio", "music_track_id": "music_choice",
              "custom_music_id": "music_choice"}
_MODEL_LEVEL = ("aspect_ratio", "segment_duration", "custom_script")


def _field_of(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    if loc:
        if loc[0] == "custom_caption_options" and len(loc) > 1:
            return next((form for form, target in CAPTION_FIELDS.items()
                         if target == loc[1]), "custom_captions")
        return _FORM_NAME.get(loc[0], loc[0])
    message = str(error.get("msg", ""))
    return next((name for name in _MODEL_LEVEL if name in message), "form")


def _message(error: Mapping[str, Any]) -> str:
    text = str(error.get("msg", "is not valid"))
    return text.removeprefix("Value error, ")


def read_job_form(values: Mapping[str, str]) -> JobForm:
    """The options of a filled-in form, or the errors by form field."""
    kept = {k: v for k, v in values.items() if k in FORM_FIELDS}
    try:
        options = JobOptions.model_validate(_params(values))
    except ValidationError as err:
        errors: dict[str, str] = {}
        for entry in err.errors():
            errors.setdefault(_field_of(entry), _message(entry))
        return JobForm(kept, None, errors)
    return JobForm(kept, options)
