"""The environment: the room behind the persona (wall, window light, props, bokeh) and the
counter in front of them.

The room is laid out in "room coordinates" (units of frame height, relative to the point
behind the persona on the counter's back edge), so every keyframe of a set shows the same
room, only framed closer or wider. It is rendered at half resolution (it is always a little
out of focus) with a bleed around the frame so the camera can move in segments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ugen.providers.local._color import RGB, darken, lighten, mix
from ugen.providers.local._layout import Layout
from ugen.providers.local._palette import ROOMS, Palette, stable_hash

BACKDROP_SCALE = 0.5  # backdrop pixels per frame pixel
BLEED = 0.08  # share of the frame added on every side of the backdrop


@dataclass(frozen=True)
class RoomView:
    """Maps room coordinates to backdrop pixels for one keyframe."""

    lay: Layout
    scale: float  # backdrop px per frame px
    bleed_x: float  # frame px
    bleed_y: float

    @property
    def unit(self) -> float:
        """Backdrop pixels per room unit (the frame height at zoom 1)."""
        return self.lay.height * self.lay.bg_zoom * self.scale

    def x(self, rx: float) -> float:
        return (self.lay.bg_anchor_x + rx * self.lay.height * self.lay.bg_zoom + self.bleed_x) \
            * self.scale

    def y(self, ry: float) -> float:
        return (self.lay.horizon + ry * self.lay.height * self.lay.bg_zoom + self.bleed_y) \
            * self.scale

    def frame_y(self, fy: float) -> float:
        return (fy + self.bleed_y) * self.scale

    def frame_x(self, fx: float) -> float:
        return (fx + self.bleed_x) * self.scale


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    out: np.ndarray = x * x * (3 - 2 * x)
    return out


def _arr(c: RGB) -> np.ndarray:
    return np.array(c, dtype=np.float32) / 255.0


def _wall(pal: Palette, view: RoomView, w: int, h: int) -> np.ndarray:
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    horizon = view.frame_y(view.lay.horizon)
    top = view.y(-1.1)
    t = _smoothstep((yy - top) / max(1.0, horizon - top))
    col = _arr(pal.wall_top) * (1 - t[..., None]) + _arr(pal.wall) * t[..., None]
    col = np.broadcast_to(col, (h, w, 3)).copy()
    # key light from the window side, a little fill on the other
    gx = (xx / max(1, w - 1) - 0.5) * pal.light_side
    col *= (0.93 + 0.14 * (gx + 0.5))[..., None]
    if pal.room == "studio" or pal.night:
        cx, cy = view.x(0.0), view.y(-0.38)
        r = view.unit * 0.55
        d2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (r * r)
        glow = np.exp(-d2)
        tone = _arr(lighten(pal.wall, 0.35)) if not pal.night else _arr(pal.light) * 0.5
        col = col + (tone - col) * (glow * (0.55 if not pal.night else 0.35))[..., None]
    # contact shade where the wall meets the counter
    ao = np.exp(-np.clip(horizon - yy, 0, None) / (0.035 * view.unit)) * 0.16
    col *= (1 - ao)[..., None]
    out: np.ndarray = col
    return out


def _pattern(pal: Palette, view: RoomView, canvas: Image.Image) -> None:
    draw = ImageDraw.Draw(canvas, "RGBA")
    u = view.unit
    w = canvas.width
    horizon = view.frame_y(view.lay.horizon)
    line = (*darken(pal.wall, 0.25), 70)
    if pal.pattern == "tiles":
        step = 0.075 * u
        x = view.x(0.0) % step
        while x < w:
            draw.line([(x, 0), (x, horizon)], fill=line, width=max(1, round(0.0025 * u)))
            x += step
        y = horizon
        while y > 0:
            draw.line([(0, y), (w, y)], fill=line, width=max(1, round(0.0025 * u)))
            y -= step
    elif pal.pattern == "subway":
        th, tw = 0.032 * u, 0.085 * u
        top = horizon - 0.5 * u
        row = 0
        y = horizon
        while y > top:
            draw.line([(0, y), (w, y)], fill=line, width=max(1, round(0.002 * u)))
            x = (view.x(0.0) + (row % 2) * tw / 2) % tw
            while x < w:
                draw.line([(x, y - th), (x, y)], fill=line, width=max(1, round(0.002 * u)))
                x += tw
            y -= th
            row += 1
        draw.line([(0, top), (w, top)], fill=(*darken(pal.wall, 0.15), 90),
                  width=max(1, round(0.004 * u)))
    elif pal.pattern == "panel":
        top = horizon - 0.36 * u
        draw.rectangle((0, top, w, horizon), fill=(*darken(pal.wall, 0.06), 255))
        draw.line([(0, top), (w, top)], fill=(*lighten(pal.wall, 0.3), 200),
                  width=max(1, round(0.006 * u)))
        step = 0.16 * u
        x = view.x(0.0) % step
        while x < w:
            draw.rectangle((x + 0.02 * u, top + 0.04 * u, x + step - 0.02 * u, horizon - 0.05 * u),
                           outline=line, width=max(1, round(0.003 * u)))
            x += step
    elif pal.pattern == "sky":
        rng = np.random.default_rng(pal.variant)
        for _ in range(5):
            cx = view.x(float(rng.uniform(-1.0, 1.0)))
            cy = view.y(float(rng.uniform(-0.95, -0.55)))
            for k in range(4):
                r = float(rng.uniform(0.04, 0.08)) * u
                ox = (k - 1.5) * r * 0.9
                draw.ellipse((cx + ox - r, cy - r * 0.6, cx + ox + r, cy + r * 0.6),
                             fill=(255, 255, 255, 150))


def _leaf(draw: ImageDraw.ImageDraw, base: tuple[float, float], angle: float, length: float,
          width: float, fill: tuple[int, int, int, int]) -> None:
    ca, sa = math.cos(angle), math.sin(angle)
    pts = []
    for i in range(13):
        t = i / 12
        half = math.sin(math.pi * t) * width * (1 - 0.3 * t)
        pts.append((t * length, -half))
    for i in range(12, -1, -1):
        t = i / 12
        half = math.sin(math.pi * t) * width * (1 - 0.3 * t)
        pts.append((t * length, half))
    draw.polygon([(base[0] + x * ca - y * sa, base[1] + x * sa + y * ca) for x, y in pts],
                 fill=fill)


def _props(pal: Palette, view: RoomView, canvas: Image.Image, glow: Image.Image) -> None:
    """Room furniture at fixed room positions (same in every keyframe of the set)."""
    draw = ImageDraw.Draw(canvas)
    gdraw = ImageDraw.Draw(glow)
    u = view.unit
    rng = np.random.default_rng(stable_hash("props", pal.variant))
    kinds = list(ROOMS.get(pal.room, ROOMS["living"]).props)
    order = rng.permutation(len(kinds))
    spread = 0.1 + 0.25 * view.lay.width / view.lay.height
    slots = (-1.25 * spread, -0.66 * spread, 0.66 * spread, 1.25 * spread)
    for slot, k in zip(slots, order, strict=False):
        kind = kinds[int(k)]
        rx = slot + float(rng.uniform(-0.04, 0.04))
        x = view.x(rx)
        y0 = view.y(0.0)
        if kind == "plant":
            pot_w, pot_h = 0.085 * u, 0.1 * u
            for i in range(9):
                ang = math.radians(-90 + (i - 4) * 17 + float(rng.uniform(-6, 6)))
                length = (0.16 + 0.07 * math.cos((i - 4) / 3)) * u
                tone = pal.foliage if i % 2 else darken(pal.foliage, 0.18)
                _leaf(draw, (x, y0 - pot_h * 0.9), ang, length, 0.028 * u, (*tone, 255))
            draw.polygon([(x - pot_w / 2, y0 - pot_h), (x + pot_w / 2, y0 - pot_h),
                          (x + pot_w * 0.38, y0), (x - pot_w * 0.38, y0)], fill=(*pal.prop_b, 255))
            draw.rectangle((x - pot_w / 2, y0 - pot_h, x + pot_w / 2, y0 - pot_h * 0.86),
                           fill=(*lighten(pal.prop_b, 0.15), 255))
        elif kind == "art":
            fw, fh = 0.17 * u, 0.22 * u
            cy = view.y(-0.58)
            draw.rectangle((x - fw / 2, cy - fh / 2, x + fw / 2, cy + fh / 2),
                           fill=(*darken(pal.surface, 0.25), 255))
            m = 0.012 * u
            draw.rectangle((x - fw / 2 + m, cy - fh / 2 + m, x + fw / 2 - m, cy + fh / 2 - m),
                           fill=(248, 244, 236, 255))
            r = 0.045 * u
            draw.ellipse((x - r, cy - r - 0.02 * u, x + r, cy + r - 0.02 * u),
                         fill=(*pal.accent_soft, 255))
            draw.pieslice((x - 1.6 * r, cy + 0.01 * u, x + 1.6 * r, cy + 0.13 * u), 180, 360,
                          fill=(*pal.prop_a, 255))
        elif kind == "shelf":
            sy = view.y(-0.42)
            sw = 0.3 * u
            draw.rectangle((x - sw / 2, sy, x + sw / 2, sy + 0.014 * u),
                           fill=(*darken(pal.surface, 0.1), 255))
            draw.rectangle((x - sw / 2, sy + 0.014 * u, x + sw / 2, sy + 0.02 * u),
                           fill=(*darken(pal.wall, 0.1), 255))
            bx = x - sw * 0.38
            for i, col in enumerate((pal.prop_b, pal.prop_c, pal.accent_soft)):
                bh = (0.075 + 0.012 * i) * u
                draw.rectangle((bx, sy - bh, bx + 0.022 * u, sy), fill=(*col, 255))
                bx += 0.025 * u
            vx = x + sw * 0.18
            draw.ellipse((vx - 0.03 * u, sy - 0.07 * u, vx + 0.03 * u, sy),
                         fill=(*pal.prop_a, 255))
            draw.rectangle((vx - 0.012 * u, sy - 0.09 * u, vx + 0.012 * u, sy - 0.05 * u),
                           fill=(*pal.prop_a, 255))
            for i in range(3):
                _leaf(draw, (vx, sy - 0.085 * u), math.radians(-120 + i * 30), 0.08 * u,
                      0.012 * u, (*pal.foliage, 255))
        elif kind == "lamp":
            ly = view.y(-0.66)
            draw.line([(x, 0), (x, ly)], fill=(*darken(pal.wall, 0.42), 255),
                      width=max(1, round(0.003 * u)))
            r = 0.055 * u
            draw.pieslice((x - r, ly - r * 0.7, x + r, ly + r * 0.7), 180, 360,
                          fill=(*darken(pal.prop_b, 0.1), 255))
            gr = 0.14 * u
            gdraw.ellipse((x - gr, ly - gr * 0.4, x + gr, ly + gr * 1.2), fill=140)
            draw.ellipse((x - r * 0.35, ly - r * 0.1, x + r * 0.35, ly + r * 0.3),
                         fill=(*lighten(pal.light, 0.5), 255))
        elif kind == "mirror":
            cy = view.y(-0.5)
            r = 0.13 * u
            draw.ellipse((x - r, cy - r, x + r, cy + r), fill=(196, 164, 110, 255))
            r2 = r * 0.92
            draw.ellipse((x - r2, cy - r2, x + r2, cy + r2),
                         fill=(*lighten(mix(pal.wall, (190, 210, 220), 0.4), 0.2), 255))
            glass = lighten(mix(pal.wall, (190, 210, 220), 0.4), 0.2)
            draw.line([(x - r2 * 0.5, cy + r2 * 0.2), (x + r2 * 0.1, cy - r2 * 0.6)],
                      fill=(*lighten(glass, 0.45), 255), width=max(1, round(0.012 * u)))
        elif kind == "towel":
            ty = view.y(-0.38)
            draw.line([(x - 0.09 * u, ty), (x + 0.09 * u, ty)], fill=(180, 180, 184, 255),
                      width=max(1, round(0.008 * u)))
            draw.rounded_rectangle((x - 0.07 * u, ty, x + 0.07 * u, ty + 0.2 * u),
                                   radius=0.02 * u, fill=(*pal.prop_c, 255))
            draw.rectangle((x - 0.07 * u, ty + 0.15 * u, x + 0.07 * u, ty + 0.165 * u),
                           fill=(*pal.accent_soft, 255))
        elif kind == "jars":
            for i in range(3):
                jx = x + (i - 1) * 0.05 * u
                jh = (0.07 + 0.02 * (i % 2)) * u
                draw.rectangle((jx - 0.02 * u, y0 - jh, jx + 0.02 * u, y0),
                               fill=(*lighten(pal.prop_c, 0.1), 255))
                draw.rectangle((jx - 0.021 * u, y0 - jh - 0.012 * u, jx + 0.021 * u, y0 - jh),
                               fill=(*pal.prop_b, 255))
        elif kind == "arch":
            aw, ah = 0.26 * u, 0.55 * u
            col = mix(pal.prop_c, pal.wall, 0.35)
            draw.rounded_rectangle((x - aw / 2, y0 - ah, x + aw / 2, y0 + 0.01 * u),
                                   radius=aw / 2, fill=(*col, 255))
            draw.rounded_rectangle((x - aw / 2 + 0.02 * u, y0 - ah + 0.02 * u,
                                    x + aw / 2 - 0.02 * u, y0 + 0.01 * u),
                                   radius=aw / 2 - 0.02 * u, fill=(*darken(col, 0.05), 255))
        elif kind == "sphere":
            r = 0.06 * u
            draw.ellipse((x - r, y0 - 2 * r, x + r, y0), fill=(*pal.accent_soft, 255))
            draw.ellipse((x - r * 0.5, y0 - 1.7 * r, x, y0 - 1.3 * r),
                         fill=(*lighten(pal.accent_soft, 0.33), 255))
        elif kind == "plinth":
            pw, ph = 0.16 * u, 0.12 * u
            col = lighten(pal.prop_a, 0.35)
            draw.rectangle((x - pw / 2, y0 - ph, x + pw / 2, y0), fill=(*col, 255))
            draw.ellipse((x - pw / 2, y0 - ph - 0.02 * u, x + pw / 2, y0 - ph + 0.02 * u),
                         fill=(*lighten(col, 0.3), 255))
        elif kind == "foliage":
            for _ in range(14):
                fx = x + float(rng.uniform(-0.22, 0.22)) * u
                fy = y0 - float(rng.uniform(0.05, 0.3)) * u
                r = float(rng.uniform(0.05, 0.12)) * u
                tone = mix(pal.foliage, (170, 200, 170), float(rng.uniform(0.0, 0.5)))
                draw.ellipse((fx - r, fy - r, fx + r, fy + r), fill=(*tone, 255))


def _window_light(pal: Palette, view: RoomView, glow: Image.Image) -> None:
    if not pal.window:
        return
    draw = ImageDraw.Draw(glow)
    u = view.unit
    s = pal.light_side
    shear = 0.35 * s
    for col in range(2):
        for row in range(2):
            x0 = 0.1 + col * 0.15
            y0 = -0.62 + row * 0.24
            pane = [(x0, y0), (x0 + 0.14, y0), (x0 + 0.14, y0 + 0.24), (x0, y0 + 0.24)]
            pts = []
            for px, py in pane:
                rx = s * px + shear * (py + 0.62)
                pts.append((view.x(rx), view.y(py)))
            draw.polygon(pts, fill=110)
    del u


def _bokeh(pal: Palette, view: RoomView, layer: Image.Image) -> None:
    """Out-of-focus highlights, drawn additively (black = no light)."""
    draw = ImageDraw.Draw(layer)
    rng = np.random.default_rng(stable_hash("bokeh", pal.variant))
    u = view.unit
    colours = (pal.light, pal.accent_soft, lighten(pal.light, 0.4), pal.prop_c)
    count = 26 if pal.night else 16
    for i in range(count):
        rx = float(rng.uniform(-1.1, 1.1))
        ry = float(rng.uniform(-0.8, -0.12))
        r = float(rng.uniform(0.012, 0.045)) * u
        x, y = view.x(rx), view.y(ry)
        col = colours[i % len(colours)]
        k = float(rng.uniform(0.25, 0.5 if not pal.night else 0.8))
        rim = tuple(round(c * k) for c in col)
        core = tuple(round(c * k * 0.6) for c in col)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rim)
        draw.ellipse((x - r * 0.85, y - r * 0.85, x + r * 0.85, y + r * 0.85), fill=core)


def render_backdrop(pal: Palette, lay: Layout) -> tuple[Image.Image, float, float, float]:
    """The room as an RGB image at :data:`BACKDROP_SCALE` with bleed.

    Returns ``(image, x, y, frame_px_per_image_px)`` where ``(x, y)`` is the frame position of
    the image's top-left corner.
    """
    s = BACKDROP_SCALE
    bx, by = BLEED * lay.width, BLEED * lay.height
    w = max(8, round((lay.width + 2 * bx) * s))
    h = max(8, round((lay.height + 2 * by) * s))
    view = RoomView(lay, s, bx, by)
    base = _wall(pal, view, w, h)
    canvas = Image.fromarray((np.clip(base, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    _pattern(pal, view, canvas)  # translucent ink blends on an RGB canvas
    # props are drawn at twice the backdrop resolution for clean edges
    props = Image.new("RGBA", (w * 2, h * 2), (0, 0, 0, 0))
    glow_big = Image.new("L", (w * 2, h * 2), 0)
    view2 = RoomView(lay, s * 2, bx, by)
    _props(pal, view2, props, glow_big)
    small = props.reduce(2)
    canvas.paste(small, (0, 0), small)
    glow = glow_big.reduce(2)
    _window_light(pal, view, glow)
    bokeh = Image.new("RGB", (w, h), (0, 0, 0))
    _bokeh(pal, view, bokeh)
    blur = max(0.6, lay.backdrop_blur * s)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur))
    glow = glow.filter(ImageFilter.GaussianBlur(max(2.0, 0.03 * view.unit)))
    bokeh = bokeh.filter(ImageFilter.GaussianBlur(max(0.8, blur * 0.6)))
    rgb = np.asarray(canvas, dtype=np.float32) / 255.0
    g = (np.asarray(glow, dtype=np.float32) / 255.0)[..., None]
    # the window lights the wall: the unlit wall is in soft shade
    lit = 0.9 + 0.5 * g * _arr(pal.light) if pal.window else 1.0 + 0.4 * g * _arr(pal.light)
    rgb = rgb * lit
    add = np.asarray(bokeh, dtype=np.float32) / 255.0
    rgb = 1 - (1 - np.clip(rgb, 0, 1)) * (1 - np.clip(add, 0, 1))
    out = Image.fromarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    return out, -bx, -by, 1.0 / s


def render_counter(pal: Palette, lay: Layout, x0: int, y0: int, w: int, h: int) -> Image.Image:
    """The counter (top surface and front face) as RGBA covering frame box (x0, y0, w, h)."""
    yy = np.arange(y0, y0 + h, dtype=np.float32)[:, None]
    xx = np.arange(x0, x0 + w, dtype=np.float32)[None, :]
    horizon, front = lay.horizon, lay.counter_front
    depth = max(1.0, front - horizon)
    t = np.clip((yy - horizon) / depth, 0, 1)
    far = _arr(mix(pal.surface, pal.wall, 0.18))
    near = _arr(pal.surface)
    col = far * (1 - t[..., None]) + near * t[..., None]
    col = np.broadcast_to(col, (h, w, 3)).copy()
    gx = ((xx - lay.width / 2) / lay.width) * pal.light_side
    col *= (0.95 + 0.1 * (gx + 0.5))[..., None]
    rng = np.random.default_rng(stable_hash("counter", pal.variant))
    if pal.surface_kind == "wood":
        rows = np.arange(h, dtype=np.float32)
        # perspective grain: stripes get thinner towards the back edge
        z = 1.0 / (0.35 + np.clip((rows + y0 - horizon) / depth, 0, 1.5))
        phase = z * 9.0 + float(rng.uniform(0, 6))
        grain = (0.5 + 0.5 * np.sin(phase * 6.0)) * 0.05 + (0.5 + 0.5 * np.sin(phase * 1.7)) * 0.04
        col *= (1 - grain)[:, None, None]
    elif pal.surface_kind == "marble":
        veins = Image.new("L", (w, h), 0)
        vd = ImageDraw.Draw(veins)
        for _ in range(5):
            px = float(rng.uniform(0, w))
            py = float(rng.uniform(0, h))
            pts = []
            for _ in range(12):
                pts.append((px, py))
                px += float(rng.uniform(0.04, 0.12)) * lay.width
                py += float(rng.uniform(-0.02, 0.03)) * lay.height
            vd.line(pts, fill=90, width=max(1, round(0.0025 * lay.height)))
        v = np.asarray(veins.filter(ImageFilter.GaussianBlur(max(1.0, 0.002 * lay.height))),
                       dtype=np.float32) / 255.0
        col = col * (1 - 0.16 * v[..., None]) + _arr((150, 150, 160)) * 0.16 * v[..., None]
    # soft sheen: the window reflected in the top
    sheen_y = horizon + 0.35 * depth
    sheen = np.exp(-(((yy - sheen_y) / (0.25 * depth)) ** 2)) * np.exp(
        -(((xx - lay.width * (0.5 + 0.35 * pal.light_side)) / (0.45 * lay.width)) ** 2))
    col = col + (_arr(pal.light) - col) * (sheen * 0.18)[..., None]
    # front face below the front edge
    if front < y0 + h:
        ft = np.clip((yy - front) / (0.12 * lay.height), 0, 1)
        face = _arr(pal.surface_front) * (1 - 0.25 * ft[..., None])
        is_face = (yy >= front)[..., None]
        col = np.where(is_face, np.broadcast_to(face, col.shape), col)
        edge = np.exp(-(((yy - front) / max(1.0, 0.0025 * lay.height)) ** 2))
        col = col + (_arr(lighten(pal.surface, 0.5)) - col) * (edge * 0.7)[..., None]
    alpha = np.clip(yy - horizon + 0.5, 0, 1)
    alpha = np.broadcast_to(alpha, (h, w))
    rgba = np.dstack([np.clip(col, 0, 1) * 255, alpha * 255])
    out = Image.fromarray((rgba + 0.5).astype(np.uint8), "RGBA")
    _counter_props(pal, lay, out, x0, y0)
    return out


def _counter_props(pal: Palette, lay: Layout, img: Image.Image, x0: int, y0: int) -> None:
    """Small styling objects on the counter, on the side away from the product: stacked
    pebbles, a candle jar and a sprig, with contact shadows."""
    if lay.spec.product_focus:
        return
    hu = lay.hu
    side = lay.side
    base = lay.horizon + 0.6 * (min(lay.counter_front, lay.height * 1.02) - lay.horizon)
    scale = max(0.85 * hu, 0.06 * lay.height)
    px0, _, px1, _ = lay.product_box
    x = lay.head[0] - side * 0.55 * hu
    x = min(x, px0 - 0.8 * scale) if side > 0 else max(x, px1 + 0.8 * scale)
    x = max(1.3 * scale, min(lay.width - 1.3 * scale, x))
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    rng = np.random.default_rng(stable_hash("counter-props", pal.variant))
    def X(v: float) -> float:
        return v - x0
    def Y(v: float) -> float:
        return v - y0
    shadow = (*pal.shadow, 70)
    # pebbles
    cx = x
    draw.ellipse((X(cx - 0.55 * scale), Y(base - 0.06 * scale), X(cx + 0.6 * scale),
                  Y(base + 0.1 * scale)), fill=shadow)
    for i, (w, h, col) in enumerate(((0.5, 0.2, pal.prop_b), (0.38, 0.17, pal.accent_soft),
                                     (0.26, 0.14, pal.prop_c))):
        top = base - sum((0.2, 0.17, 0.14)[:i]) * scale * 0.85
        draw.ellipse((X(cx - w * scale), Y(top - h * scale), X(cx + w * scale), Y(top)),
                     fill=(*col, 255))
        draw.ellipse((X(cx - w * 0.6 * scale), Y(top - h * 0.95 * scale),
                      X(cx + w * 0.2 * scale), Y(top - h * 0.55 * scale)),
                     fill=(*lighten(col, 0.16), 255))
    # candle jar further from the persona
    jx = cx - side * 0.95 * scale
    room = base - lay.horizon - 2.0  # the jar and its flame stay below the back edge
    jw, jh = 0.28 * scale, max(0.2 * scale, min(0.5 * scale, room - 0.2 * scale))
    draw.ellipse((X(jx - jw * 1.2), Y(base - 0.05 * scale), X(jx + jw * 1.3),
                  Y(base + 0.08 * scale)), fill=shadow)
    draw.rounded_rectangle((X(jx - jw), Y(base - jh), X(jx + jw), Y(base)),
                           radius=0.06 * scale, fill=(*lighten(pal.prop_a, 0.35), 255))
    draw.rectangle((X(jx - jw), Y(base - jh * 0.62), X(jx + jw), Y(base - jh * 0.3)),
                   fill=(*pal.prop_a, 255))
    if jh + 0.17 * scale <= room:
        draw.ellipse((X(jx - 0.05 * scale), Y(base - jh - 0.16 * scale),
                      X(jx + 0.05 * scale), Y(base - jh - 0.01 * scale)),
                     fill=(255, 214, 140, 255))
    # a sprig lying beside them
    sx = cx + side * 0.75 * scale
    for i in range(5):
        ang = math.radians(-90 - side * (25 + i * 14) + float(rng.uniform(-5, 5)))
        _leaf(draw, (X(sx), Y(base)), ang, (0.34 - 0.03 * i) * scale, 0.07 * scale,
              (*(pal.foliage if i % 2 else darken(pal.foliage, 0.15)), 255))
    img.alpha_composite(layer)
