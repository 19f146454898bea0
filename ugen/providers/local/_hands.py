"""The figure's arms and hands: the hand that holds the product, pointing, presenting.

Two pieces, at different depths of the scene: ``arms`` (sleeves and the palm, in front of the
counter) and ``fingers`` (wrapped around the product, in front of the product).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from ugen.providers.local._color import RGB, lighten
from ugen.providers.local._figure_style import SHOULDER_LIFT, FigureStyle
from ugen.providers.local._layout import Layout
from ugen.providers.local._pen import Fill, Pen, Piece, Pt, canvas, finish, supersample


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
    ss = supersample(lay.hu)
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
    ss = supersample(hu)
    img, (ox, oy) = canvas((bx0, by0, bx1, by1), ss)
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
    return finish(img, (ox, oy), ss)


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
