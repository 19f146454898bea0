"""The persona as a flat-illustration figure: head, hair, face, shoulders, top, arms, hands.

Everything is drawn with Pillow polygons on a supersampled canvas and reduced, in "head units"
(1.0 = head height) relative to the head centre, so the figure looks the same at every size
and in every keyframe; only the persona's colours, the expression and the pose change.

Three pieces are produced because they sit at different depths of the scene:

* ``body``: back hair, torso, neck, head, face, front hair (behind the counter top);
* ``arms``: the active arms and the palm that holds the product (in front of the counter);
* ``fingers``: the fingers that wrap around the product (in front of the product).

This module draws the body and the face (and the face patches that animate them); the arms and
fingers are drawn in ``_hands``, the pen and canvas are ``_pen``'s and the persona's look is
``_figure_style``'s. The figure's whole surface is importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

from ugen.providers.local._color import darken, mix
from ugen.providers.local._figure_style import SHOULDER_LIFT, FigureStyle, figure_style
from ugen.providers.local._hands import HandPlan, draw_arms, draw_fingers, plan_hand
from ugen.providers.local._layout import Expression, Layout
from ugen.providers.local._pen import (
    Fill,
    Pen,
    Piece,
    Pt,
    bezier,
    canvas,
    ellipse_pts,
    finish,
    supersample,
)

__all__ = [
    "FigureStyle",
    "HandPlan",
    "Piece",
    "blink_patch",
    "draw_arms",
    "draw_body",
    "draw_face",
    "draw_fingers",
    "figure_style",
    "mouth_patch",
    "plan_hand",
    "talk_mouth",
]


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


def draw_body(st: FigureStyle, lay: Layout, bottom_y: float, mouth: str | None = None,
              active_sides: tuple[int, ...] = ()) -> Piece:
    """Back hair, torso, neck, head, face and front hair, cut at ``bottom_y`` (frame px)."""
    hu = lay.hu
    hx, hy = lay.head
    ss = supersample(hu)
    top = hy - 1.0 * hu
    box = (hx - 1.75 * hu, top, hx + 1.75 * hu, max(bottom_y, hy + 1.2 * hu))
    img, (x0, y0) = canvas(box, ss)
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
    piece = finish(img, (x0, y0), ss)
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
    ss = supersample(hu)
    angle = math.radians(lay.spec.expression.tilt * lay.side * 0.6)
    c, s = math.cos(angle), math.sin(angle)
    dx, dy = centre[0], centre[1] - 0.55
    cx = hx + (dx * c - dy * s) * hu
    cy = hy + (0.55 + dx * s + dy * c) * hu
    box = (cx - (rx + 0.03) * hu, cy - (ry + 0.03) * hu, cx + (rx + 0.03) * hu,
           cy + (ry + 0.03) * hu)
    img, (x0, y0) = canvas(box, ss)
    pen = Pen(img, ((hx - x0) * ss, (hy - y0) * ss), hu * ss, ss)
    pen.angle = angle
    paint(pen, lay.side * 0.04)
    return finish(img, (x0, y0), ss)


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
