"""Plain words for a persona's looks (skin, hair, clothing colours given as hex colours)."""

from __future__ import annotations

import colorsys
import re

from ugen.catalog import Persona


def _hex_rgb(value: str) -> tuple[float, float, float] | None:
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip())
    if not match:
        return None
    n = int(match.group(1), 16)
    return ((n >> 16) & 255) / 255.0, ((n >> 8) & 255) / 255.0, (n & 255) / 255.0


def skin_words(value: str) -> str:
    """A plain description of a skin tone given as a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    for limit, words in ((0.72, "fair"), (0.6, "light"), (0.5, "medium"), (0.4, "tan"),
                         (0.28, "brown")):
        if luma >= limit:
            return words
    return "deep brown"


def hair_words(value: str) -> str:
    """A plain description of a hair colour given as a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    h, lightness, s = colorsys.rgb_to_hls(*rgb)
    if s < 0.12:
        return "black" if lightness < 0.2 else "grey" if lightness < 0.75 else "white"
    if lightness < 0.1:
        return "black"
    if lightness < 0.22:
        return "dark brown"
    if h * 360 < 40 and s > 0.45 and lightness < 0.5:
        return "auburn"
    if lightness < 0.4:
        return "brown"
    return "light brown" if lightness < 0.55 else "blonde"


def colour_words(value: str) -> str:
    """A plain colour name (with light/dark) for a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    h, lightness, s = colorsys.rgb_to_hls(*rgb)
    if s < 0.15:
        return "black" if lightness < 0.2 else "grey" if lightness < 0.8 else "white"
    deg = h * 360
    names = ((15, "red"), (40, "orange"), (65, "yellow"), (160, "green"), (195, "teal"),
             (250, "blue"), (290, "purple"), (335, "magenta"), (360, "red"))
    name = next(n for limit, n in names if deg < limit)
    if lightness < 0.3:
        return f"dark {name}"
    if lightness > 0.72:
        return f"light {name}"
    return name


def persona_words(persona: Persona) -> str:
    description = persona.description.strip().rstrip(".")
    if description:
        description = description[0].lower() + description[1:]
    return (f"{persona.name}, {description}, {skin_words(persona.skin)} skin, "
            f"{hair_words(persona.hair)} hair, wearing a {colour_words(persona.top)} top")
