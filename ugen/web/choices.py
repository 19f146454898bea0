"""What the new-ad form and the model catalog offer, in the product's words.

The catalog is data (``ugen.catalog``); here each choice gets the label a marketer reads,
and the video models' capabilities go to the form's script as JSON, so aspect ratios and
durations follow the chosen model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ugen import catalog
from ugen.captions.styles import STYLE_SPECS


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


def _choices(values: tuple[str, ...], labels: dict[str, tuple[str, str]]) -> tuple[Choice, ...]:
    return tuple(Choice(v, *labels.get(v, (v.replace("_", " ").capitalize(), "")))
                 for v in values)


INTERACTION_MODES = _choices(catalog.INTERACTION_MODES, {
    "holdable": ("Held in hand", "The persona holds the product."),
    "display_static": ("On display", "The product stands beside the persona."),
    "wearable": ("Worn", "The persona wears the product."),
    "applied": ("Applied", "The persona applies the product (skincare, make-up)."),
})
SCRIPT_STRUCTURES = _choices(catalog.SCRIPT_STRUCTURES, {
    "standard_5phase": ("Hook → problem → demo → benefit → call to action", ""),
    "problem_solution": ("Problem → solution", ""),
    "testimonial": ("Testimonial", ""),
})
SCRIPT_TONES = _choices(catalog.SCRIPT_TONES, {})
MUSIC_MOODS = _choices(catalog.MUSIC_MOODS, {})
KEYFRAME_RESOLUTIONS = _choices(catalog.KEYFRAME_RESOLUTIONS, {
    "1k": ("1K", ""), "2k": ("2K", ""), "4k": ("4K", "")})
QA_MODES = (
    Choice("lenient", "Lenient", "Accepts a keyframe or segment scoring 0.55 or more."),
    Choice("standard", "Standard", "0.70 or more."),
    Choice("strict", "Strict", "0.80 or more: the most regenerations."),
)
CAPTION_STYLES = (
    Choice("tiktok_karaoke", "TikTok karaoke", "The spoken word turns yellow."),
    Choice("word_pop", "Word pop", "The spoken word grows and turns green."),
    Choice("boxed_highlight", "Boxed highlight", "The spoken word sits on a coloured box."),
)
CAPTION_POSITIONS = (Choice("bottom", "Bottom"), Choice("middle", "Middle"),
                     Choice("top", "Top"))
ASPECT_LABELS = {"9:16": "9:16 vertical", "16:9": "16:9 landscape", "1:1": "1:1 square",
                 "auto": "Auto"}


def languages() -> tuple[Choice, ...]:
    found = sorted(catalog.LANGUAGES, key=lambda lang: lang.name)
    return (Choice("auto", "Detect automatically"),
            *(Choice(lang.code, lang.name) for lang in found))


def models() -> list[catalog.VideoModel]:
    return [m for m in catalog.video_models().values() if m.status != "coming_soon"]


def model_tags(model: catalog.VideoModel) -> tuple[str, ...]:
    """Short capability tags, as the product page shows them."""
    tags = [model.tier.capitalize(), model.resolution.upper() if model.resolution == "4k"
            else model.resolution]
    if model.supports_sound:
        tags.append("Sound")
    if "1:1" in model.supported_aspect_ratios:
        tags.append("1:1")
    return tuple(tags)


def price_text(model: catalog.VideoModel) -> str:
    return f"{model.credits_per_unit} credits per {model.pricing_unit}"


def model_capabilities() -> dict[str, dict[str, Any]]:
    """Each model's aspect ratios and durations, for the form's script."""
    return {m.id: {"aspect_ratios": list(m.supported_aspect_ratios),
                   "durations": list(m.supported_durations),
                   "default_duration": m.default_duration}
            for m in models()}


def caption_css() -> str:
    """The caption previews' colours, from the caption styles themselves."""
    rules = []
    for name, spec in STYLE_SPECS.items():
        rules.append(f".cap-{name} .w{{color:{spec.primary};"
                     f"-webkit-text-stroke:0.06em {spec.outline};}}")
        active = f".cap-{name} .w.on"
        if spec.boxed:
            rules.append(f"{active}{{background:{spec.highlight};color:{spec.primary};}}")
        else:
            rules.append(f"{active}{{color:{spec.highlight};"
                         f"transform:scale({spec.active_scale});}}")
    return "\n".join(rules) + "\n"
