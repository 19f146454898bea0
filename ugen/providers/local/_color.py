"""Small colour helpers shared by the local scene renderers (RGB tuples of 0–255 ints)."""

from __future__ import annotations

import colorsys

RGB = tuple[int, int, int]


def hex_to_rgb(value: str) -> RGB:
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"not a hex colour: {value!r}")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def rgb_to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def clamp(rgb: tuple[float, float, float]) -> RGB:
    return (
        max(0, min(255, round(rgb[0]))),
        max(0, min(255, round(rgb[1]))),
        max(0, min(255, round(rgb[2]))),
    )


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend: ``t == 0`` gives ``a``, ``t == 1`` gives ``b``."""
    return clamp((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t))


def lighten(c: RGB, t: float) -> RGB:
    return mix(c, (255, 255, 255), t)


def darken(c: RGB, t: float) -> RGB:
    return mix(c, (0, 0, 0), t)


def to_hls(c: RGB) -> tuple[float, float, float]:
    return colorsys.rgb_to_hls(c[0] / 255, c[1] / 255, c[2] / 255)


def from_hls(h: float, lightness: float, s: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h % 1.0, min(1.0, max(0.0, lightness)), min(1.0, max(0.0, s)))
    return clamp((r * 255, g * 255, b * 255))


def luminance(c: RGB) -> float:
    """Relative luminance in 0..1 (sRGB weights, no linearisation: good enough for design)."""
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255


def saturation(c: RGB) -> float:
    return to_hls(c)[2] * (1 - abs(2 * to_hls(c)[1] - 1))
