"""The scene palette: every colour and room choice of a keyframe set, derived once.

The anchor keyframe derives it from the product's dominant colours, the environment
description and the seed; the palette is written into the anchor PNG (a ``ugen.palette``
text chunk) and its layout sidecar, and every later keyframe reads it back from the anchor, so
the whole set shares one room and one light. An anchor made elsewhere (no chunk, no sidecar)
gets a palette estimated from its pixels.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ugen.providers.local._color import (
    RGB,
    darken,
    from_hls,
    hex_to_rgb,
    lighten,
    luminance,
    mix,
    rgb_to_hex,
    saturation,
    to_hls,
)

PNG_KEY = "ugen.palette"


@dataclass(frozen=True)
class RoomStyle:
    wall: RGB
    surface: RGB
    surface_kind: str  # wood | marble | matte | tile
    pattern: str  # none | tiles | subway | panel | sky
    light: RGB
    tint: float  # how much the product colour tints the wall
    window: bool
    night: bool
    props: tuple[str, ...]


ROOMS: dict[str, RoomStyle] = {
    "living": RoomStyle((236, 226, 212), (196, 160, 122), "wood", "none", (255, 236, 204),
                        0.45, True, False, ("plant", "art", "shelf", "lamp")),
    "bathroom": RoomStyle((232, 234, 230), (238, 234, 228), "marble", "tiles", (255, 246, 236),
                          0.42, True, False, ("mirror", "plant", "towel", "shelf")),
    "kitchen": RoomStyle((240, 234, 222), (178, 132, 94), "wood", "subway", (255, 238, 210),
                         0.3, True, False, ("shelf", "plant", "jars", "lamp")),
    "bedroom": RoomStyle((232, 214, 206), (226, 214, 200), "matte", "panel", (255, 230, 206),
                         0.5, True, False, ("lamp", "art", "plant", "shelf")),
    "office": RoomStyle((214, 220, 224), (170, 132, 100), "wood", "none", (240, 244, 255),
                        0.25, True, False, ("shelf", "art", "plant", "lamp")),
    "studio": RoomStyle((232, 222, 214), (226, 214, 204), "matte", "none", (255, 244, 232),
                        0.75, False, False, ("arch", "sphere", "plinth", "arch")),
    "outdoor": RoomStyle((196, 222, 238), (168, 130, 96), "wood", "sky", (255, 240, 214),
                         0.0, False, False, ("foliage", "foliage", "foliage", "foliage")),
    "night": RoomStyle((52, 56, 86), (92, 72, 64), "wood", "none", (255, 190, 130),
                       0.18, False, True, ("lamp", "shelf", "plant", "art")),
    "gym": RoomStyle((82, 86, 94), (70, 70, 76), "matte", "panel", (236, 240, 255),
                     0.2, True, False, ("shelf", "plant", "art", "lamp")),
}

KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bathroom", ("bathroom", "vanity", "spa", "sink", "shower", "bath")),
    ("kitchen", ("kitchen", "cafe", "café", "coffee", "breakfast", "cook")),
    ("bedroom", ("bedroom", "bed", "cozy", "cosy", "nightstand", "dresser")),
    ("office", ("office", "desk", "workspace", "study", "work from home")),
    ("outdoor", ("outdoor", "outside", "garden", "park", "patio", "balcony", "beach",
                 "terrace", "nature", "picnic", "camp", "hike")),
    ("night", ("night", "evening", "neon", "party", "club", "moody")),
    ("gym", ("gym", "fitness", "workout", "training", "sport")),
    ("studio", ("studio", "seamless", "backdrop", "minimal", "product shot", "pastel")),
    ("living", ("living", "room", "home", "sofa", "apartment", "lounge", "house")),
)


@dataclass(frozen=True)
class Palette:
    room: str
    wall: RGB
    wall_top: RGB
    surface: RGB
    surface_front: RGB
    surface_kind: str
    pattern: str
    accent: RGB
    accent_soft: RGB
    prop_a: RGB
    prop_b: RGB
    prop_c: RGB
    foliage: RGB
    light: RGB
    shadow: RGB
    window: bool
    night: bool
    light_side: int  # +1: key light (window) on the right of the frame, -1: on the left
    variant: int  # arrangement of the room's props

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            out[key] = rgb_to_hex(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Palette:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            value = data[f.name]
            if f.type == "RGB":
                kwargs[f.name] = hex_to_rgb(str(value))
            elif f.type == "bool":
                kwargs[f.name] = bool(value)
            elif f.type == "int":
                kwargs[f.name] = int(value)
            else:
                kwargs[f.name] = str(value)
        return cls(**kwargs)


def stable_hash(*parts: object) -> int:
    """A process-independent 32-bit hash (Python's ``hash`` is salted per process)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def room_for(description: str | None, seed: int) -> str:
    text = (description or "").lower()
    for room, words in KEYWORDS:
        if any(word in text for word in words):
            return room
    return ("living", "studio", "bedroom", "bathroom")[stable_hash("room", seed) % 4]


def derive_palette(product_colours: tuple[RGB, ...], description: str | None,
                   seed: int) -> Palette:
    """The anchor's palette: product colours × environment description × seed."""
    room = room_for(description, seed)
    style = ROOMS[room]
    rng = np.random.default_rng(stable_hash("palette", seed, description or "", room))
    colourful = [c for c in product_colours if saturation(c) >= 0.16 and luminance(c) > 0.12]
    if colourful:
        accent = colourful[0]
    else:  # a black/white/grey product: take a tasteful seeded accent
        accent = from_hls(float(rng.choice([0.02, 0.08, 0.55, 0.6, 0.92, 0.35])), 0.55, 0.45)
    hue, _, sat = to_hls(accent)
    jitter = float(rng.uniform(-0.025, 0.025))
    wall_tint = from_hls(hue + jitter * 0.5, 0.85, 0.62)
    wall = mix(style.wall, wall_tint, style.tint)
    wall = lighten(wall, 0.05 + jitter) if jitter > 0 else darken(wall, -jitter)
    if style.pattern == "sky":
        wall_top = (120, 174, 222)
    elif style.night:
        wall_top = darken(wall, 0.35)
    else:
        wall_top = darken(wall, 0.06)
    surface = style.surface
    if room == "studio":
        surface = mix(wall, darken(wall_tint, 0.08), 0.5)
    if style.surface_kind == "wood":
        surface_front = darken(surface, 0.25)
    else:
        surface_front = darken(mix(surface, from_hls(hue, 0.7, 0.35), 0.45), 0.1)
    accent_soft = from_hls(hue, 0.80, max(0.35, min(0.6, sat)))
    prop_a = from_hls(hue + 0.06, 0.62, 0.38)
    prop_b = from_hls(hue + 0.5 + float(rng.uniform(-0.05, 0.05)), 0.55, 0.22)
    prop_c = from_hls(hue - 0.08, 0.80, 0.25)
    foliage = from_hls(0.30 + float(rng.uniform(-0.03, 0.04)), 0.36, 0.30)
    shadow = darken(mix(wall, (52, 40, 70), 0.45), 0.55)
    return Palette(
        room=room, wall=wall, wall_top=wall_top, surface=surface, surface_front=surface_front,
        surface_kind=style.surface_kind, pattern=style.pattern, accent=accent,
        accent_soft=accent_soft, prop_a=prop_a, prop_b=prop_b, prop_c=prop_c, foliage=foliage,
        light=style.light, shadow=shadow, window=style.window, night=style.night,
        light_side=int(rng.choice([-1, 1])), variant=int(rng.integers(0, 1 << 16)),
    )


def estimate_palette(image: Image.Image) -> Palette:
    """A palette guessed from a picture made elsewhere: wall from the top, surface from the
    bottom, accent from the most colourful middle area."""
    rgb = np.asarray(image.convert("RGB").resize((96, 96), Image.Resampling.BILINEAR))

    def med(block: np.ndarray) -> RGB:
        m = np.median(block.reshape(-1, 3), axis=0)
        return (int(m[0]), int(m[1]), int(m[2]))

    wall = med(rgb[:12])
    surface = med(rgb[-8:])
    mid = rgb[24:72, 16:80].reshape(-1, 3)
    sats = np.array([saturation((int(p[0]), int(p[1]), int(p[2]))) for p in mid[::7]])
    best = mid[::7][int(np.argmax(sats))]
    accent: RGB = (int(best[0]), int(best[1]), int(best[2]))
    hue = to_hls(accent)[0]
    night = luminance(wall) < 0.3
    return Palette(
        room="living", wall=wall, wall_top=darken(wall, 0.1), surface=surface,
        surface_front=darken(surface, 0.22), surface_kind="matte", pattern="none",
        accent=accent, accent_soft=from_hls(hue, 0.8, 0.45),
        prop_a=from_hls(hue + 0.06, 0.62, 0.38),
        prop_b=from_hls(hue + 0.5, 0.55, 0.22), prop_c=from_hls(hue - 0.08, 0.8, 0.25),
        foliage=(80, 120, 84), light=(255, 238, 214), shadow=darken(wall, 0.6), window=not night,
        night=night, light_side=1, variant=stable_hash(wall, surface) % (1 << 16),
    )


def sidecar_path(image_path: Path) -> Path:
    return image_path.with_name(image_path.name + ".layout.json")


def palette_from_anchor(anchor: Path) -> Palette:
    """The palette the anchor was made with (PNG chunk, then sidecar, then estimated)."""
    with Image.open(anchor) as img:
        text = img.info.get(PNG_KEY) if hasattr(img, "info") else None
        if isinstance(text, str):
            try:
                return Palette.from_json(json.loads(text))
            except (ValueError, KeyError, TypeError):
                pass
        side = sidecar_path(anchor)
        if side.exists():
            try:
                return Palette.from_json(json.loads(side.read_text())["palette"])
            except (ValueError, KeyError, TypeError):
                pass
        img.load()
        return estimate_palette(img)
