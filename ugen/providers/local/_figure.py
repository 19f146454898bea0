"""The persona as a flat-illustration figure: head, hair, face, shoulders, top, arms, hands.

Everything is drawn with Pillow polygons on a supersampled canvas and reduced, in "head units"
(1.0 = head height) relative to the head centre, so the figure looks the same at every size
and in every keyframe; only the persona's colours, the expression and the pose change.

Three pieces are produced because they sit at different depths of the scene:

* ``body``: back hair, torso, neck, head, face, front hair (behind the counter top);
* ``arms``: the active arms and the palm that holds the product (in front of the counter);
* ``fingers``: the fingers that wrap around the product (in front of the product).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from ugen.catalog import Persona, voices
from ugen.providers.local._color import RGB, darken, hex_to_rgb, lighten, mix
from ugen.providers.local._layout import Expression, Layout
from ugen.providers.local._palette import stable_hash

Pt = tuple[float, float]
Fill = int | tuple[int, int, int] | tuple[int, int, int, int]

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


# --- geometry helpers ----------------------------------------------------------------------


def bezier(p0: Pt, p1: Pt, p2: Pt, n: int = 14) -> list[Pt]:
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t * t
        out.append((a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]))
    return out


def ellipse_pts(c: Pt, rx: float, ry: float, a0: float = 0.0, a1: float = 360.0,
                n: int = 40) -> list[Pt]:
    out = []
    for i in range(n + 1):
        a = math.radians(a0 + (a1 - a0) * i / n)
        out.append((c[0] + rx * math.cos(a), c[1] + ry * math.sin(a)))
    return out


class Pen:
    """Draws in head units on a supersampled canvas; ``rot`` tilts the head parts."""

    def __init__(self, image: Image.Image, origin: Pt, unit: float, ss: int) -> None:
        self.image = image
        # fills are opaque: on an RGBA canvas Pillow would *replace* pixels with translucent
        # ink instead of blending it, so translucent looks are mixed into the colour instead
        self.draw = ImageDraw.Draw(image)
        self.ox, self.oy = origin
        self.unit = unit
        self.ss = ss
        self.mirror = 1.0
        self.pivot: Pt = (0.0, 0.55)
        self.angle = 0.0
        self.shift: Pt = (0.0, 0.0)

    def p(self, pt: Pt) -> Pt:
        x, y = pt[0] * self.mirror + self.shift[0], pt[1] + self.shift[1]
        if self.angle:
            c, s = math.cos(self.angle), math.sin(self.angle)
            dx, dy = x - self.pivot[0], y - self.pivot[1]
            x, y = self.pivot[0] + dx * c - dy * s, self.pivot[1] + dx * s + dy * c
        return (self.ox + x * self.unit, self.oy + y * self.unit)

    def poly(self, pts: Sequence[Pt], fill: Fill) -> None:
        self.draw.polygon([self.p(q) for q in pts], fill=fill)

    def line(self, pts: Sequence[Pt], fill: Fill, width: float) -> None:
        w = max(1, round(width * self.unit))
        mapped = [self.p(q) for q in pts]
        self.draw.line(mapped, fill=fill, width=w, joint="curve")
        r = w / 2
        for q in (mapped[0], mapped[-1]):
            self.draw.ellipse((q[0] - r, q[1] - r, q[0] + r, q[1] + r), fill=fill)

    def ellipse(self, c: Pt, rx: float, ry: float, fill: Fill) -> None:
        self.poly(ellipse_pts(c, rx, ry), fill)

    def mask_of(self, draw_fn: Callable[[Pen], None]) -> Image.Image:
        mask = Image.new("L", self.image.size, 0)
        pen = Pen(mask, (self.ox, self.oy), self.unit, self.ss)
        pen.mirror, pen.pivot, pen.angle = self.mirror, self.pivot, self.angle
        pen.shift = self.shift
        pen.draw = ImageDraw.Draw(mask)
        draw_fn(pen)
        return mask

    def shaded(self, shape: Callable[[Pen, Pt, Fill], None], base: RGB, shadow: RGB,
               light_dx: float) -> None:
        """Two-tone flat shading: the shape in ``shadow``, its part nearest the light in
        ``base`` (the shape intersected with itself moved towards the light)."""
        full = self.mask_of(lambda pen: shape(pen, (0.0, 0.0), 255))
        box = full.getbbox()
        if box is None:
            return
        full = full.crop(box)
        moved = self.mask_of(lambda pen: shape(pen, (light_dx * self.mirror, -0.04), 255))
        self.image.paste(shadow, box, full)
        self.image.paste(base, box, ImageChops.darker(full, moved.crop(box)))


# --- the figure ----------------------------------------------------------------------------


def _supersample(hu: float) -> int:
    return 3 if hu < 90 else 2


def _head_shape(pen: Pen, off: Pt, fill: Fill) -> None:
    pts = []
    for i in range(64):
        a = 2 * math.pi * i / 64
        x, y = 0.40 * math.cos(a), 0.50 * math.sin(a)
        if y > 0:
            x *= 1 - 0.22 * (y / 0.5) ** 2
        pts.append((x + off[0], y + off[1]))
    pen.poly(pts, fill)


def _torso_shape(half_l: float, half_r: float, bottom: float,
                 female: bool) -> Callable[[Pen, Pt, Fill], None]:
    k = 0.93 if female else 1.0

    def shape(pen: Pen, off: Pt, fill: Fill) -> None:
        ox, oy = off
        sl, sr = half_l * k, half_r * k
        pts: list[Pt] = []
        pts += bezier((-0.22, 0.84), (-0.55, 0.88), (-sl * 0.78, 1.0))
        pts += bezier((-sl * 0.78, 1.0), (-sl, 1.02), (-sl * 1.02, 1.5))
        pts += [(-sl * 1.06, bottom), (sr * 1.06, bottom)]
        pts += bezier((sr * 1.02, 1.5), (sr, 1.02), (sr * 0.78, 1.0))
        pts += bezier((sr * 0.78, 1.0), (0.55, 0.88), (0.22, 0.84))
        pen.poly([(x + ox, y + oy) for x, y in pts], fill)

    return shape


def _back_hair(pen: Pen, st: FigureStyle, c: Fill) -> None:
    if st.hair_style == "long":
        pts = ellipse_pts((0, -0.06), 0.56, 0.6, 180, 360, 30)
        pts += bezier((0.56, 0.0), (0.64, 0.6), (0.66, 1.45))
        pts += bezier((0.66, 1.45), (0.0, 1.62), (-0.66, 1.45))
        pts += bezier((-0.66, 1.45), (-0.64, 0.6), (-0.56, 0.0))
        pen.poly(pts, c)
    elif st.hair_style == "bob":
        pts = ellipse_pts((0, -0.05), 0.56, 0.6, 180, 360, 30)
        pts += bezier((0.56, 0.0), (0.62, 0.4), (0.6, 0.62))
        pts += [(0.48, 0.66), (-0.48, 0.66)]
        pts += bezier((-0.6, 0.62), (-0.62, 0.4), (-0.56, 0.0))
        pen.poly(pts, c)
    elif st.hair_style == "curly":
        pen.ellipse((0, 0.05), 0.6, 0.72, c)
        for i in range(16):
            a = math.radians(150 + 240 * i / 15)
            x, y = 0.6 * math.cos(a), 0.05 + 0.72 * math.sin(a)
            r = 0.17 + 0.04 * ((i * 7) % 3) / 2
            pen.ellipse((x, y), r, r, c)
        pen.ellipse((-0.5, 0.72), 0.2, 0.22, c)
        pen.ellipse((0.5, 0.72), 0.2, 0.22, c)
    elif st.hair_style == "bun":
        pen.ellipse((0.05, -0.66), 0.21, 0.19, c)
        pen.ellipse((0, -0.05), 0.47, 0.56, c)
    else:
        pen.ellipse((0, -0.06), 0.44, 0.55, c)


def _front_hair(pen: Pen, st: FigureStyle, c: Fill) -> None:
    s = st.hair_style
    if s in ("long", "bob", "bun"):
        pts = ellipse_pts((0, -0.07), 0.455, 0.54, 180, 360, 30)
        pts += bezier((0.455, -0.07), (0.5, 0.1), (0.47, 0.3))
        pts += bezier((0.47, 0.3), (0.3, -0.24), (-0.06, -0.27))
        pts += bezier((-0.06, -0.27), (-0.36, -0.22), (-0.46, 0.08))
        pen.poly(pts, c)
    elif s == "curly":
        pts = ellipse_pts((0, -0.07), 0.46, 0.54, 180, 360, 30)
        pts += [(0.46, 0.05)]
        for i in range(7):
            x = 0.42 - 0.84 * i / 6
            y = -0.2 - 0.06 * math.sin(i)
            pts += ellipse_pts((x, y), 0.08, 0.07, 0, 180, 6)
        pts += [(-0.46, 0.05)]
        pen.poly(pts, c)
    else:
        pts = ellipse_pts((0, -0.08), 0.445, 0.56, 180, 360, 30)
        pts += [(0.43, 0.06), (0.375, 0.06), (0.37, -0.12)]
        pts += bezier((0.37, -0.12), (0.24, -0.2), (0.08, -0.31))
        pts += bezier((0.08, -0.31), (-0.22, -0.37), (-0.37, -0.13))
        pts += [(-0.375, 0.06), (-0.43, 0.06)]
        pen.poly(pts, c)
        if s == "quiff":
            pen.poly(bezier((-0.32, -0.42), (-0.05, -0.78), (0.34, -0.5), 12)
                     + bezier((0.34, -0.5), (0.1, -0.46), (-0.32, -0.42), 8), c)


def _eyes(pen: Pen, st: FigureStyle, expr: Expression, fx: float) -> None:
    for sx in (-1, 1):
        ex, ey = fx + sx * 0.165, 0.03
        if expr.eyes == "happy":
            pen.line(ellipse_pts((ex, ey + 0.035), 0.055, 0.05, 200, 340, 10), st.eyes, 0.028)
            continue
        rx, ry = (0.056, 0.074) if expr.eyes == "wide" else (0.048, 0.064)
        pen.ellipse((ex, ey), rx, ry, st.eyes)
        pen.ellipse((ex + 0.016, ey - 0.022), 0.017, 0.017, (250, 250, 250))
        if st.female:
            pen.line([(ex + sx * 0.035, ey - 0.05), (ex + sx * 0.075, ey - 0.075)], st.eyes,
                     0.018)


def _brows(pen: Pen, st: FigureStyle, expr: Expression, fx: float, side: int) -> None:
    colour = darken(st.hair, 0.1) if sum(st.hair) > 120 else st.hair
    for sx in (-1, 1):
        inner, outer, lift = (0.07, -0.115), (0.26, -0.125), 0.0
        kind = expr.brows
        if kind == "raised" or (kind == "one" and sx == side):
            lift = -0.05
        if kind == "worried":
            inner = (0.07, -0.165)
            outer = (0.26, -0.105)
        elif kind == "focused":
            inner = (0.07, -0.095)
            outer = (0.26, -0.14)
        p0 = (fx + sx * inner[0], inner[1] + lift)
        p2 = (fx + sx * outer[0], outer[1] + lift)
        p1 = (fx + sx * 0.17, min(p0[1], p2[1]) - 0.04)
        pen.line(bezier(p0, p1, p2, 8), colour, 0.036)


def _mouth(pen: Pen, st: FigureStyle, mouth: str, fx: float, side: int) -> None:
    y = 0.3
    dark = (70, 24, 30)
    if mouth.startswith("talk"):
        # speaking: an open mouth that keeps the expression's smile (or not)
        level = 2 if mouth.endswith("2") else 1
        if "smile" in mouth:
            depth = 0.07 + 0.055 * level
            pts = bezier((fx - 0.135, y - 0.02), (fx, y + 2 * depth), (fx + 0.135, y - 0.02),
                         16)
            pen.poly(pts, dark)
            teeth = bezier((fx - 0.11, y - 0.012), (fx, y + 0.03), (fx + 0.11, y - 0.012), 8)
            pen.poly([*teeth, (fx + 0.11, y - 0.02), (fx - 0.11, y - 0.02)], (250, 248, 244))
            pen.ellipse((fx, y + depth * 0.62), 0.05, 0.017 * level, (214, 96, 100))
        else:
            pen.ellipse((fx, y + 0.02), 0.055 + 0.012 * level, 0.022 + 0.024 * level, dark)
            if level == 2:
                pen.ellipse((fx, y + 0.045), 0.035, 0.014, (214, 96, 100))
        return
    if mouth == "grin":
        pts = bezier((fx - 0.15, y - 0.03), (fx, y + 0.2), (fx + 0.15, y - 0.03), 16)
        pen.poly(pts, dark)
        teeth = bezier((fx - 0.13, y - 0.02), (fx, y + 0.035), (fx + 0.13, y - 0.02), 10)
        pen.poly([*teeth, (fx + 0.13, y - 0.03), (fx - 0.13, y - 0.03)], (250, 248, 244))
        pen.ellipse((fx, y + 0.085), 0.06, 0.03, (214, 96, 100))
    elif mouth == "open":
        pen.ellipse((fx, y + 0.02), 0.075, 0.06, dark)
        pen.poly(ellipse_pts((fx, y + 0.02), 0.075, 0.06, 200, 340, 10), (250, 248, 244))
        pen.ellipse((fx, y + 0.06), 0.04, 0.018, (214, 96, 100))
    elif mouth == "o":
        pen.ellipse((fx, y + 0.02), 0.05, 0.06, dark)
    elif mouth == "smirk":
        pen.line(bezier((fx - side * 0.1, y + 0.01), (fx, y + 0.06), (fx + side * 0.12, y - 0.04),
                        10), st.lips, 0.03)
    elif mouth == "flat":
        pen.line([(fx - 0.08, y + 0.02), (fx + 0.08, y + 0.02)], st.lips, 0.03)
    elif mouth == "frown":
        pen.line(bezier((fx - 0.09, y + 0.05), (fx, y - 0.02), (fx + 0.09, y + 0.05), 10),
                 st.lips, 0.03)
    else:  # smile
        pen.line(bezier((fx - 0.12, y - 0.01), (fx, y + 0.09), (fx + 0.12, y - 0.01), 12),
                 st.lips, 0.032)


def draw_face(pen: Pen, st: FigureStyle, expr: Expression, side: int, mouth: str) -> None:
    fx = side * 0.04
    blush = mix(st.skin, (214, 84, 104), 0.22)
    pen.ellipse((fx - 0.25, 0.19), 0.07, 0.042, blush)
    pen.ellipse((fx + 0.25, 0.19), 0.07, 0.042, blush)
    _eyes(pen, st, expr, fx)
    _brows(pen, st, expr, fx, side)
    pen.line(bezier((fx + side * 0.005, 0.11), (fx + side * 0.045, 0.18),
                    (fx - side * 0.01, 0.19), 6), st.skin_shadow, 0.024)
    _mouth(pen, st, mouth, fx, side)


@dataclass(frozen=True)
class Piece:
    image: Image.Image  # RGBA at frame scale
    x: int
    y: int


def _canvas(box: tuple[float, float, float, float], ss: int) -> tuple[Image.Image, Pt]:
    x0, y0, x1, y1 = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]),
                      math.ceil(box[3]))
    img = Image.new("RGBA", ((x1 - x0) * ss, (y1 - y0) * ss), (0, 0, 0, 0))
    return img, (x0, y0)


def _finish(img: Image.Image, origin: Pt, ss: int) -> Piece:
    out = img.reduce(ss) if ss > 1 else img
    return Piece(out, int(origin[0]), int(origin[1]))


def draw_body(st: FigureStyle, lay: Layout, bottom_y: float, mouth: str | None = None,
              active_sides: tuple[int, ...] = ()) -> Piece:
    """Back hair, torso, neck, head, face and front hair, cut at ``bottom_y`` (frame px)."""
    hu = lay.hu
    hx, hy = lay.head
    ss = _supersample(hu)
    top = hy - 1.0 * hu
    box = (hx - 1.75 * hu, top, hx + 1.75 * hu, max(bottom_y, hy + 1.2 * hu))
    img, (x0, y0) = _canvas(box, ss)
    pen = Pen(img, ((hx - x0) * ss, (hy - y0) * ss), hu * ss, ss)
    side = lay.side
    expr = lay.spec.expression
    light = 0.12 * side  # the light comes from the product side
    bottom = (box[3] - hy) / hu + 0.1

    # head parts tilt around the neck
    def tilted(fn: Callable[[], None]) -> None:
        pen.angle = math.radians(expr.tilt * side * 0.6)
        fn()
        pen.angle = 0.0

    tilted(lambda: _back_hair(pen, st, darken(st.hair, 0.14)))
    half_l = 1.0 if -1 in active_sides else 1.12
    half_r = 1.0 if 1 in active_sides else 1.12
    torso = _torso_shape(half_l, half_r, bottom, st.female)
    # neck
    pen.shaded(lambda p, o, f: p.poly([(-0.18 + o[0], 0.25), (0.18 + o[0], 0.25),
                                       (0.2 + o[0], 0.9), (-0.2 + o[0], 0.9)], f),
               st.skin, st.skin_shadow, light * 0.6)
    pen.ellipse((0, 0.42), 0.2, 0.1, st.skin_shadow)
    pen.shift = (0.0, -SHOULDER_LIFT)  # the torso sits a little higher than drawn below
    pen.shaded(torso, st.top, st.top_shadow, light * 1.4)
    if st.outfit == "jacket":
        # open jacket over a light shirt
        pen.poly([(-0.3, 0.85), (0.3, 0.85), (0.24, bottom), (-0.24, bottom)], st.inner)
        neck = bezier((-0.22, 0.84), (0.0, 1.08), (0.22, 0.84), 16)
        pen.poly(neck, st.skin)
        pen.line(neck, darken(st.inner, 0.12), 0.04)
        for sx in (-1, 1):
            lapel = [(sx * 0.3, 0.84), (sx * 0.42, 1.3), (sx * 0.24, 1.75), (sx * 0.24, bottom)]
            pen.line(lapel, st.top_trim, 0.05)
    else:
        if st.female:
            neck = bezier((-0.3, 0.84), (0.0, 1.22), (0.3, 0.84), 16)
        else:
            neck = bezier((-0.24, 0.84), (0.0, 1.12), (0.24, 0.84), 16)
        pen.poly(neck, st.skin)
        pen.line(neck, st.top_trim, 0.045)

    # arm seams of resting arms
    for sx in (-1, 1):
        if sx in active_sides:
            continue
        seam = bezier((sx * 0.82, 1.55), (sx * 0.78, 2.4), (sx * 0.82, bottom), 10)
        pen.line(seam, st.top_shadow, 0.03)
    pen.shift = (0.0, 0.0)

    def head() -> None:
        for sx in (-1, 1):
            pen.ellipse((sx * 0.395, 0.05), 0.075, 0.11, st.skin_shadow)
        pen.shaded(_head_shape, st.skin, st.skin_shadow, light * 0.5)
        draw_face(pen, st, expr, side, mouth or expr.mouth)
        _front_hair(pen, st, st.hair)

    tilted(head)
    piece = _finish(img, (x0, y0), ss)
    return _body_gradient(piece, hy + 1.1 * hu, 2.6 * hu)


def _body_gradient(piece: Piece, start: float, length: float) -> Piece:
    """Soft volume: the body darkens a little from the chest down (frame y ``start``)."""
    img = piece.image
    rows = np.arange(img.height, dtype=np.float32) + piece.y
    t = np.clip((rows - start) / max(1.0, length), 0.0, 1.0)
    factor = 1.0 - 0.16 * t * t * (3 - 2 * t)
    arr = np.asarray(img, dtype=np.float32).copy()
    arr[..., :3] *= factor[:, None, None]
    out = Image.fromarray((arr + 0.5).astype(np.uint8), "RGBA")
    return Piece(out, piece.x, piece.y)


def talk_mouth(expr: Expression, level: int) -> str:
    """The speaking mouth for an expression at loudness ``level`` (1 or 2)."""
    smiling = expr.mouth in ("smile", "grin", "smirk", "open")
    return f"talk{'_smile' if smiling else ''}{level}"


def _face_patch(st: FigureStyle, lay: Layout, centre: Pt, rx: float, ry: float,
                paint: Callable[[Pen, float], None]) -> Piece:
    """A small opaque patch of face around ``centre`` (head units), for animation."""
    hu = lay.hu
    hx, hy = lay.head
    ss = _supersample(hu)
    angle = math.radians(lay.spec.expression.tilt * lay.side * 0.6)
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = centre[0], centre[1] - 0.55
    cx = hx + (dx * c - dy * s) * hu
    cy = hy + (0.55 + dx * s + dy * c) * hu
    box = (cx - (rx + 0.03) * hu, cy - (ry + 0.03) * hu, cx + (rx + 0.03) * hu,
           cy + (ry + 0.03) * hu)
    img, (x0, y0) = _canvas(box, ss)
    pen = Pen(img, ((hx - x0) * ss, (hy - y0) * ss), hu * ss, ss)
    pen.angle = angle
    paint(pen, lay.side * 0.04)
    return _finish(img, (x0, y0), ss)


def mouth_patch(st: FigureStyle, lay: Layout, mouth: str) -> Piece:
    """The mouth area with ``mouth`` drawn, for lip-sync in segments."""
    fx = lay.side * 0.04

    def paint(pen: Pen, f: float) -> None:
        pen.ellipse((f, 0.33), 0.19, 0.13, st.skin)
        _mouth(pen, st, mouth, f, lay.side)

    return _face_patch(st, lay, (fx, 0.33), 0.19, 0.13, paint)


def blink_patch(st: FigureStyle, lay: Layout) -> Piece:
    """Both eyes closed, for blinks in segments."""
    fx = lay.side * 0.04

    def paint(pen: Pen, f: float) -> None:
        for sx in (-1, 1):
            ex = f + sx * 0.165
            pen.ellipse((ex, 0.03), 0.085, 0.07, st.skin)
            pen.line(ellipse_pts((ex, 0.0), 0.055, 0.05, 20, 160, 10), st.eyes, 0.026)

    return _face_patch(st, lay, (fx, 0.035), 0.26, 0.075, paint)


def _elbow(shoulder: Pt, wrist: Pt, arm_side: int) -> Pt:
    """Elbow of a relaxed arm: below the shoulder, pushed out when the hand reaches out,
    raised when the hand is high, pulled in when the hand crosses the body."""
    out = (wrist[0] - shoulder[0]) * arm_side
    up = shoulder[1] - wrist[1]
    ex = 0.18 + 0.3 * max(0.0, out - 0.9)
    if out < -0.6:
        ex -= 0.5 * (-out - 0.6)
    ey = 1.35 - 0.25 * max(0.0, out - 1.4) - 0.6 * max(0.0, up + 0.5)
    return (shoulder[0] + arm_side * ex, shoulder[1] + max(0.45, ey))


@dataclass(frozen=True)
class HandPlan:
    """Where the holding hand grips the product (frame px) and the finger geometry."""

    grip: Pt  # palm centre
    finger: float  # finger thickness in px
    band_top: float  # first finger's y in product-local px (upright, scaled product)
    wide: bool


def plan_hand(lay: Layout, product_alpha: Image.Image) -> HandPlan:
    x0, y0, x1, y1 = lay.product_box
    pw, ph = x1 - x0, y1 - y0
    t = max(0.11 * lay.hu, min(0.155 * lay.hu, 0.16 * pw))
    wide = pw / max(ph, 1) > 1.25
    if wide:
        grip = (x0 + pw / 2 - lay.side * 0.3 * pw, y1 - 0.1 * ph)
        return HandPlan(grip, t, ph - 0.9 * t, True)
    band_top = ph * 1.0 - 3.7 * t
    near = x0 if lay.side > 0 else x1
    grip = (near - lay.side * 0.2 * t, y0 + band_top + 1.75 * t)
    return HandPlan(grip, t, band_top, False)


def _row_extent(alpha: Image.Image, y: float) -> tuple[float, float] | None:
    row = max(0, min(alpha.height - 1, round(y)))
    line = alpha.crop((0, row, alpha.width, row + 1)).point(lambda v: 255 if v > 100 else 0)
    box = line.getbbox()
    if box is None:
        return None
    return float(box[0]), float(box[2])


def draw_fingers(st: FigureStyle, lay: Layout, plan: HandPlan, product_alpha: Image.Image,
                 pad: int) -> Image.Image:
    """Fingers wrapping the product, drawn in the product's local frame (``pad`` px border)."""
    w, h = product_alpha.width + 2 * pad, product_alpha.height + 2 * pad
    ss = _supersample(lay.hu)
    img = Image.new("RGBA", (w * ss, h * ss), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    t = plan.finger
    side = lay.side
    outline = st.skin_line

    def capsule(a: Pt, b: Pt, r: float, fill: RGB) -> None:
        pa = ((a[0] + pad) * ss, (a[1] + pad) * ss)
        pb = ((b[0] + pad) * ss, (b[1] + pad) * ss)
        rr = r * ss
        draw.line([pa, pb], fill=fill, width=max(1, round(2 * rr)))
        for q in (pa, pb):
            draw.ellipse((q[0] - rr, q[1] - rr, q[0] + rr, q[1] + rr), fill=fill)

    if plan.wide:
        bx = product_alpha.width / 2 - side * 0.3 * product_alpha.width
        by = product_alpha.height - 0.15 * t
        for i in range(4):
            x = bx + (i - 1.5) * 0.95 * t
            capsule((x, by + 0.6 * t), (x, by - 0.55 * t), 0.5 * t + 0.06 * t, outline)
            capsule((x, by + 0.6 * t), (x, by - 0.55 * t), 0.5 * t, st.skin)
    else:
        lengths = (0.62, 0.7, 0.66, 0.55)
        for i in range(4):
            y = plan.band_top + (i + 0.5) * 0.92 * t
            ext = _row_extent(product_alpha, y)
            if ext is None:
                continue
            width = ext[1] - ext[0]
            near, far = (ext[0], ext[1]) if side > 0 else (ext[1], ext[0])
            start = near - side * 0.35 * t
            tip = near + side * max(1.2 * t, lengths[i] * min(width, 4.2 * t))
            del far
            r = 0.5 * t
            capsule((start, y), (tip, y), r + 0.07 * t, outline)
            capsule((start, y), (tip, y), r, st.skin)
            # nail hint
            nx = tip - side * 0.22 * t
            draw.ellipse(((nx + pad - 0.16 * t) * ss, (y + pad - 0.22 * t) * ss,
                          (nx + pad + 0.16 * t) * ss, (y + pad + 0.1 * t) * ss),
                         fill=lighten(st.skin, 0.18))
        # thumb over the top finger
        ext = _row_extent(product_alpha, plan.band_top)
        if ext is not None:
            near = ext[0] if side > 0 else ext[1]
            y = plan.band_top
            a = (near - side * 0.2 * t, y + 0.4 * t)
            b = (near + side * 0.75 * t, y - 0.75 * t)
            capsule(a, b, 0.52 * t, outline)
            capsule(a, b, 0.45 * t, st.skin)
    return img.reduce(ss) if ss > 1 else img


def draw_arms(st: FigureStyle, lay: Layout, hand: HandPlan | None) -> Piece | None:
    """The active arms (sleeves and hands that are not wrapped around the product)."""
    hu = lay.hu
    hx, hy = lay.head
    side = lay.side
    spec = lay.spec
    arms: list[tuple[int, Pt, str]] = []  # (which side, hand target in frame px, hand kind)
    x0, y0, x1, y1 = lay.product_box
    ph = y1 - y0
    near = x0 if side > 0 else x1
    if spec.placement in ("hand", "hand_high", "hand_face", "chest") and hand is not None:
        arms.append((side, hand.grip, "palm"))
    if spec.gesture == "point":
        target = (near - side * 0.55 * hu, y0 + 0.45 * ph)
        arms.append((-side if spec.placement != "surface" else side, target, "point"))
    elif spec.gesture == "present":
        target = (near - side * 0.45 * hu, y0 + 0.62 * ph)
        arms.append((side, target, "open"))
    elif spec.gesture == "cheek":
        target = (hx - side * 0.45 * hu, hy + 0.3 * hu)
        arms.append((-side, target, "cheek"))
    if not arms:
        return None
    pts = [(hx - 1.6 * hu, hy + 0.8 * hu), (hx + 1.6 * hu, hy + 3.2 * hu)]
    pts += [(t[0], t[1]) for _, t, _ in arms]
    bx0 = min(p[0] for p in pts) - 0.9 * hu
    by0 = min(p[1] for p in pts) - 0.9 * hu
    bx1 = max(p[0] for p in pts) + 0.9 * hu
    by1 = max(p[1] for p in pts) + 0.9 * hu
    ss = _supersample(hu)
    img, (ox, oy) = _canvas((bx0, by0, bx1, by1), ss)
    pen = Pen(img, ((hx - ox) * ss, (hy - oy) * ss), hu * ss, ss)

    def units(p: Pt) -> Pt:
        return ((p[0] - hx) / hu, (p[1] - hy) / hu)

    for arm_side, target, kind in arms:
        shoulder = (arm_side * 0.88, 1.28 - SHOULDER_LIFT)
        centre = units(target)
        # the wrist sits a little before the hand centre, on the elbow side
        elbow = _elbow(shoulder, centre, arm_side)
        dxw, dyw = elbow[0] - centre[0], elbow[1] - centre[1]
        dl = math.hypot(dxw, dyw) or 1.0
        wrist = (centre[0] + dxw / dl * 0.2, centre[1] + dyw / dl * 0.2)
        light = 0.1 * side

        def sleeve(p: Pen, off: Pt, fill: Fill, grow: float = 0.0, s: Pt = shoulder,
                   e: Pt = elbow, w: Pt = wrist) -> None:
            p.line([(s[0] + off[0], s[1] + off[1]), (e[0] + off[0], e[1] + off[1])], fill,
                   0.4 + grow)
            p.line([(e[0] + off[0], e[1] + off[1]), (w[0] + off[0], w[1] + off[1])], fill,
                   0.34 + grow)

        sleeve(pen, (0.0, 0.0), st.top_trim, 0.05)
        pen.shaded(sleeve, st.top, st.top_shadow, light)
        pen.ellipse(wrist, 0.16, 0.16, st.top_trim)  # cuff
        _hand(pen, st, kind, wrist, centre, arm_side)
    return _finish(img, (ox, oy), ss)


def _mitten(pen: Pen, st: FigureStyle, base: Pt, direction: float, length: float,
            width: float) -> None:
    """A flat-style hand: one rounded shape for the fingers, outlined."""
    tip = (base[0] + math.cos(direction) * length, base[1] + math.sin(direction) * length)
    pen.line([base, tip], st.skin_line, width + 0.03)
    pen.line([base, tip], st.skin, width)


def _hand(pen: Pen, st: FigureStyle, kind: str, wrist: Pt, centre: Pt, arm_side: int) -> None:
    dx, dy = centre[0] - wrist[0], centre[1] - wrist[1]
    d = math.hypot(dx, dy) or 1.0
    ux, uy = dx / d, dy / d
    along = math.atan2(uy, ux)
    if kind == "palm":  # the rest of the hand is the fingers drawn over the product
        pen.line([wrist, centre], st.skin, 0.24)
        pen.ellipse(centre, 0.17, 0.2, st.skin)
    elif kind == "point":
        pen.ellipse(centre, 0.17, 0.15, st.skin_line)
        pen.line([wrist, centre], st.skin, 0.24)
        pen.ellipse(centre, 0.15, 0.13, st.skin)
        _mitten(pen, st, centre, along, 0.4, 0.075)
        thumb = along - math.radians(60) * arm_side
        _mitten(pen, st, (centre[0] + math.cos(thumb) * 0.04, centre[1] + math.sin(thumb) * 0.04),
                along - math.radians(20) * arm_side, 0.14, 0.07)
    elif kind == "open":  # palm up, presenting towards the product
        pen.line([wrist, centre], st.skin, 0.24)
        towards = 0.0 if arm_side > 0 else math.pi
        _mitten(pen, st, centre, towards - math.radians(18) * arm_side, 0.3, 0.17)
        pen.ellipse(centre, 0.15, 0.12, st.skin)
        _mitten(pen, st, centre, towards - math.radians(75) * arm_side, 0.2, 0.07)
    else:  # cheek: fingers resting up along the face
        pen.line([wrist, centre], st.skin, 0.24)
        _mitten(pen, st, centre, -math.pi / 2 + math.radians(8) * arm_side, 0.28, 0.2)
        pen.ellipse(centre, 0.16, 0.15, st.skin)
