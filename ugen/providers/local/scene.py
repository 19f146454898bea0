"""Scene layers and the 2.5-D camera that composes them into a frame.

A keyframe is three planes at different depths: the room (``backdrop``), the persona behind
the counter (``midground``) and the product with its shadow and the fingers that hold it
(``product``). :func:`compose` places each plane through a :class:`Camera` whose zoom and pan
act on a plane in proportion to its depth, which gives parallax when the camera moves. With
the default camera the result is exactly the keyframe PNG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from PIL import Image, ImageChops

from ugen.providers.local._layout import Layout
from ugen.providers.local._palette import Palette


@dataclass(frozen=True)
class Camera:
    """A virtual camera: ``zoom`` around the focus point, ``pan`` in frame shares.

    A plane of depth ``d`` is scaled by ``zoom ** d`` around the focus and moved by
    ``pan * d``: nearer planes (larger ``d``) move more.
    """

    zoom: float = 1.0
    focus_x: float = 0.5  # share of the frame width
    focus_y: float = 0.5  # share of the frame height
    pan_x: float = 0.0  # share of the frame width
    pan_y: float = 0.0  # share of the frame height

    def to_json(self) -> dict[str, float]:
        return {"zoom": self.zoom, "focus_x": self.focus_x, "focus_y": self.focus_y,
                "pan_x": self.pan_x, "pan_y": self.pan_y}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Camera:
        return cls(**{k: float(v) for k, v in data.items() if k in cls.__dataclass_fields__})


IDENTITY = Camera()


@dataclass(frozen=True)
class Plane:
    """One layer: an image placed at frame position (x, y), ``scale`` frame px per image px."""

    name: str
    image: Image.Image  # RGB for the opaque backdrop, RGBA otherwise
    x: float
    y: float
    scale: float
    depth: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.x + self.image.width * self.scale,
                self.y + self.image.height * self.scale)

    def moved(self, dx: float = 0.0, dy: float = 0.0, grow: float = 1.0,
              about: tuple[float, float] | None = None) -> Plane:
        """A copy shifted by (dx, dy) and scaled by ``grow`` about ``about`` (frame px)."""
        ax, ay = about if about is not None else (self.x, self.y)
        return replace(self, x=ax + (self.x - ax) * grow + dx, y=ay + (self.y - ay) * grow + dy,
                       scale=self.scale * grow)


@dataclass(frozen=True)
class Patch:
    """A small replacement image for part of the midground (talking mouths, a blink)."""

    image: Image.Image
    x: int
    y: int


@dataclass(frozen=True)
class SceneLayers:
    width: int
    height: int
    planes: tuple[Plane, ...]
    layout: Layout
    palette: Palette
    patches: dict[str, Patch] = field(default_factory=dict)  # face: talk1, talk2, blink

    def plane(self, name: str) -> Plane:
        return next(p for p in self.planes if p.name == name)

    def with_plane(self, plane: Plane) -> SceneLayers:
        return replace(self, planes=tuple(plane if p.name == plane.name else p
                                          for p in self.planes))


def project(plane: Plane, camera: Camera, width: int, height: int) -> Plane:
    """``plane`` as the camera sees it (position and scale in frame px)."""
    z = camera.zoom ** plane.depth
    fx, fy = camera.focus_x * width, camera.focus_y * height
    return replace(
        plane,
        x=fx + (plane.x - fx) * z + camera.pan_x * width * plane.depth,
        y=fy + (plane.y - fy) * z + camera.pan_y * height * plane.depth,
        scale=plane.scale * z,
    )


def render_plane(plane: Plane, width: int, height: int,
                 resample: Image.Resampling = Image.Resampling.BILINEAR,
                 ) -> tuple[Image.Image, int, int] | None:
    """The visible part of a placed plane, resampled to frame pixels: (image, x, y)."""
    img = plane.image
    s = plane.scale
    x0f, y0f = plane.x, plane.y
    x1f, y1f = x0f + img.width * s, y0f + img.height * s
    ox0, oy0 = max(0, math.floor(x0f)), max(0, math.floor(y0f))
    ox1, oy1 = min(width, math.ceil(x1f)), min(height, math.ceil(y1f))
    if ox1 <= ox0 or oy1 <= oy0:
        return None
    if abs(s - 1.0) < 1e-9 and float(x0f).is_integer() and float(y0f).is_integer():
        sx, sy = ox0 - int(x0f), oy0 - int(y0f)
        return img.crop((sx, sy, sx + ox1 - ox0, sy + oy1 - oy0)), ox0, oy0
    # shrink the output rectangle to what the source really covers
    box = [(ox0 - x0f) / s, (oy0 - y0f) / s, (ox1 - x0f) / s, (oy1 - y0f) / s]
    box = [max(0.0, box[0]), max(0.0, box[1]), min(float(img.width), box[2]),
           min(float(img.height), box[3])]
    if box[2] <= box[0] or box[3] <= box[1]:
        return None
    out = img.resize((ox1 - ox0, oy1 - oy0), resample, box=(box[0], box[1], box[2], box[3]))
    return out, ox0, oy0


def paint(frame: Image.Image, plane: Plane, resample: Image.Resampling = Image.Resampling.BILINEAR,
          opacity: float = 1.0) -> None:
    """Draw an already projected plane over ``frame`` (RGB) in place."""
    part = render_plane(plane, frame.width, frame.height, resample)
    if part is None:
        return
    img, x, y = part
    if img.mode == "RGB":
        if opacity >= 1.0:
            frame.paste(img, (x, y))
        else:
            mask = Image.new("L", img.size, round(255 * opacity))
            frame.paste(img, (x, y), mask)
        return
    if opacity < 1.0:
        a = img.getchannel("A").point(lambda v: round(v * opacity))
        frame.paste(img, (x, y), a)
    else:
        frame.paste(img, (x, y), img)


def compose(layers: SceneLayers, camera: Camera = IDENTITY, *,
            skip: tuple[str, ...] = ()) -> Image.Image:
    """The frame (RGB) that ``camera`` sees; ``skip`` leaves planes out by name."""
    frame = Image.new("RGB", (layers.width, layers.height), layers.palette.wall)
    for plane in layers.planes:
        if plane.name in skip:
            continue
        paint(frame, project(plane, camera, layers.width, layers.height))
    return frame


def vignette_map(width: int, height: int, x: float, y: float, w: int, h: int, scale: float,
                 strength: float = 0.30) -> np.ndarray:
    """Multiplier (h, w) for an image placed at frame (x, y) with ``scale`` frame px per px."""
    xs = (x + (np.arange(w, dtype=np.float32) + 0.5) * scale) / width - 0.5
    ys = (y + (np.arange(h, dtype=np.float32) + 0.5) * scale) / height - 0.5
    aspect = width / height
    ax = xs * (aspect if aspect > 1 else 1.0)
    ay = ys * (1.0 / aspect if aspect < 1 else 1.0)
    norm = 0.5 * max(aspect, 1 / aspect)
    r2 = (ax[None, :] ** 2 + ay[:, None] ** 2) / (0.25 + norm * norm)
    return (1.0 - strength * np.clip(r2, 0, 1.5) ** 1.4).astype(np.float32)


def apply_vignette(plane: Plane, width: int, height: int, strength: float = 0.30) -> Plane:
    """Bake the frame vignette into a plane at its resting place.

    The (very smooth) multiplier is computed on a coarse grid and enlarged, then applied with
    Pillow's multiply, so this stays cheap for full-frame planes.
    """
    img = plane.image
    step = 8
    cw, ch = max(2, -(-img.width // step) + 1), max(2, -(-img.height // step) + 1)
    coarse = vignette_map(width, height, plane.x - plane.scale * step / 2,
                          plane.y - plane.scale * step / 2, cw, ch, plane.scale * step, strength)
    small = Image.fromarray((np.clip(coarse, 0, 1) * 255 + 0.5).astype(np.uint8), "L")
    # the coarse grid's pixel centres sit on every step-th pixel of the plane
    v = small.resize(img.size, Image.Resampling.BILINEAR,
                     box=(0.5, 0.5, 0.5 + img.width / step, 0.5 + img.height / step))
    rgb = img.convert("RGB") if img.mode == "RGBA" else img
    shaded = ImageChops.multiply(rgb, Image.merge("RGB", (v, v, v)))
    if img.mode == "RGBA":
        shaded.putalpha(img.getchannel("A"))
    return replace(plane, image=shaded)
