"""Templates and the new-ad form: a template's config as the form's values, and the form's
options as a template's config.

A template holds job options by their Jobs names; the form names a few of them differently
(:mod:`ugen.web.forms`), so both directions go through one table of those differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ugen.core.schemas import JobOptions
from ugen.web.forms import CAPTION_FIELDS, FORM_FIELDS

PER_JOB = frozenset({"product_name", "idempotency_key"})
"""Options a template never holds: they belong to one job."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(value)


def form_values_of(config: Mapping[str, Any]) -> dict[str, str]:
    """The new-ad form's values that reproduce a template's stored ``config``."""
    values: dict[str, str] = {}
    for name, value in config.items():
        if name == "key_selling_points":
            values[name] = "\n".join(str(p) for p in value or ())
        elif name == "voice_settings":
            voice = (value or {}).get("voice_id")
            if voice:
                values["voice_id"] = str(voice)
        elif name == "custom_caption_options":
            values["custom_captions"] = "on"
            for form_name, target in CAPTION_FIELDS.items():
                if (value or {}).get(target) is not None:
                    values[form_name] = _text(value[target])
            if (value or {}).get("uppercase"):
                values["caption_uppercase"] = "on"
        elif name in FORM_FIELDS and not isinstance(value, (dict, list)):
            values[name] = _text(value)
    return values


def config_of(options: JobOptions, values: Mapping[str, str]) -> dict[str, Any]:
    """A template's config from the form's options: the fields the form filled in.

    A field counts as filled in when its form value is not blank (checkboxes always count:
    an unticked box is a choice), so a template made from a sparse form stays sparse and
    jobs made from it take the defaults of the day for the rest.
    """
    filled = {name for name, raw in values.items() if str(raw).strip()}
    dumped = options.model_dump(mode="json", exclude_none=True, exclude=set(PER_JOB))
    config: dict[str, Any] = {}
    for name, value in dumped.items():
        if name in ("music_enabled", "captions_enabled"):
            config[name] = value
        elif name == "voice_settings":
            if "voice_id" in filled:
                config[name] = value
        elif name == "custom_caption_options":
            if "custom_captions" in filled:
                config[name] = value
        elif name == "key_selling_points":
            if value:
                config[name] = value
        elif name in filled:
            config[name] = value
    return config
