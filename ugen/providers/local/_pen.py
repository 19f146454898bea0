"""Drawing in head units: the pen, the supersampled canvas and the pieces it yields.

Figures are drawn with Pillow polygons on a supersampled canvas and reduced, in "head units"
(1.0 = head height) relative to the head centre, so they look the same at every size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw

from ugen.providers.local._color import RGB

Pt = tuple[float, float]
Fill = int | tuple[int, int, int] | tuple[int, int, int, int]


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


def supersample(hu: float) -> int:
    return 3 if hu < 90 else 2


@dataclass(frozen=True)
class Piece:
    image: Image.Image  # RGBA at frame scale
    x: int
    y: int


def canvas(box: tuple[float, float, float, float], ss: int) -> tuple[Image.Image, Pt]:
    x0, y0, x1, y1 = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]),
                      math.ceil(box[3]))
    img = Image.new("RGBA", ((x1 - x0) * ss, (y1 - y0) * ss), (0, 0, 0, 0))
    return img, (x0, y0)


def finish(img: Image.Image, origin: Pt, ss: int) -> Piece:
    out = img.reduce(ss) if ss > 1 else img
    return Piece(out, int(origin[0]), int(origin[1]))
