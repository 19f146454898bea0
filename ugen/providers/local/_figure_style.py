"""The persona as a figure's look: colours, hair style, outfit, and the figure's proportions."""

from __future__ import annotations

from dataclasses import dataclass

from ugen.catalog import Persona, voices
from ugen.providers.local._color import RGB, darken, hex_to_rgb, mix
from ugen.providers.local._palette import stable_hash

SHOULDER_LIFT = 0.09
FEMALE_HAIR = ("long", "bob", "curly", "bun")
MALE_HAIR = ("short", "quiff", "short")


@dataclass(frozen=True)
class FigureStyle:
    skin: RGB
    skin_shadow: RGB
    skin_line: RGB
    hair: RGB
    top: RGB
    top_shadow: RGB
    top_trim: RGB
    lips: RGB
    eyes: RGB
    hair_style: str
    outfit: str  # jacket | tee
    inner: RGB  # the shirt under an open jacket
    female: bool


def figure_style(persona: Persona) -> FigureStyle:
    skin = hex_to_rgb(persona.skin)
    hair = hex_to_rgb(persona.hair)
    top = hex_to_rgb(persona.top)
    voice = voices().get(persona.voice_id)
    if voice is not None:
        female = voice.gender.lower().startswith("f")
    else:
        words = f" {persona.description.lower()} "
        female = any(w in words for w in (" she ", " her ", " woman ", " girl "))
    styles = FEMALE_HAIR if female else MALE_HAIR
    hair_style = styles[stable_hash("hair", persona.slug or persona.id) % len(styles)]
    return FigureStyle(
        skin=skin,
        skin_shadow=mix(darken(skin, 0.16), (150, 60, 80), 0.12),
        skin_line=darken(skin, 0.38),
        hair=hair,
        top=top,
        top_shadow=mix(darken(top, 0.22), (40, 30, 90), 0.12),
        top_trim=darken(top, 0.35),
        lips=mix(darken(skin, 0.25), (200, 70, 80), 0.45 if female else 0.2),
        eyes=mix(darken(hair, 0.3), (20, 16, 24), 0.6),
        hair_style=hair_style,
        outfit=("jacket", "tee")[stable_hash("outfit", persona.slug or persona.id) % 2],
        inner=mix(top, (248, 244, 236), 0.86),
        female=female,
    )
