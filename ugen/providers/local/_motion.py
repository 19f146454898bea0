"""Camera motion between two keyframes, frame by frame.

Timeline of a segment (``t`` from 0 to 1):

* ``0 … HOLD_END``: the camera pushes slowly in on keyframe A (towards its product) with
  parallax between the room, the persona and the product; a held product floats a little;
  the persona's mouth follows the loudness of the voice and the eyes blink now and then.
* ``HOLD_END … MORPH_END``: A dissolves into B while both cameras keep moving. The two
  views are scaled/shifted (never below the frame) so the persona's head stays lined up
  across the dissolve, which reads as one person changing pose; the product is one object
  that travels from its place in A to its place in B (position and size eased).
* ``MORPH_END … 1``: the camera settles on B and lands exactly on it.

The first frame is keyframe A's picture and the last frame keyframe B's, pixel for pixel.

With the layout sidecars of this provider's keyframes the scene is rebuilt as layers
(:func:`~ugen.providers.local.keyframes.render_layers`); without them (pictures from
elsewhere) the same timeline runs on the flat pictures as zoom + crossfade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from ugen.providers.local._palette import stable_hash
from ugen.providers.local.keyframes import (
    cached_layers,
    layers_key,
    load_sidecar,
    palette_from_sidecar,
    remember_layers,
    render_layers,
    request_from_sidecar,
)
from ugen.providers.local.scene import (
    IDENTITY,
    Camera,
    Patch,
    Plane,
    SceneLayers,
    compose,
    paint,
    project,
    render_plane,
)

HOLD_END = 0.6
MORPH_END = 0.79
MAX_MATCH_ZOOM = 1.8  # the most a side is magnified to line its persona up with the other
MATCH_SLACK = 0.035  # share of the frame a lined-up view may shift past its edge (plane bleed)
MATCH_TOLERANCE = 3.0  # mean abs difference (0..255) allowed between a rebuild and the PNG
# Frames are sampled with NEAREST from planes pre-enlarged to SUPERSAMPLE × frame resolution:
# within a quarter pixel of bilinear quality at a fraction of its cost.
SUPERSAMPLE = 2
FAST = Image.Resampling.NEAREST


def enlarge(plane: Plane, factor: float) -> Plane:
    """``plane`` resampled once so one of its pixels covers ``1 / factor`` frame pixels."""
    k = plane.scale * factor
    if abs(k - 1.0) < 1e-6:
        return plane
    size = (max(1, round(plane.image.width * k)), max(1, round(plane.image.height * k)))
    img = plane.image.resize(size, Image.Resampling.BILINEAR)
    return replace(plane, image=img, scale=plane.scale * plane.image.width / size[0])


def fast_layers(layers: SceneLayers) -> SceneLayers:
    """Layers prepared for per-frame NEAREST sampling (the blurred room at 1×, the rest at
    :data:`SUPERSAMPLE` ×)."""
    planes: list[Plane] = []
    for plane in layers.planes:
        big = enlarge(plane, 1.0 if plane.name == "backdrop" else SUPERSAMPLE)
        if plane.name == "midground":
            planes.extend(_split_counter(big, layers.layout.horizon))
        else:
            planes.append(big)
    patches = {}
    for key, patch in layers.patches.items():
        image = patch.image.resize((patch.image.width * SUPERSAMPLE,
                                    patch.image.height * SUPERSAMPLE), Image.Resampling.BILINEAR)
        patches[key] = Patch(image, patch.x, patch.y)
    return replace(layers, planes=tuple(planes), patches=patches)


def _split_counter(mid: Plane, horizon: float) -> list[Plane]:
    """The midground as its see-through top (persona, cropped) and its opaque bottom (the
    counter, pasted without a mask): same depth, so they move as one."""
    img = mid.image
    row = math.floor((horizon - mid.y) / mid.scale)  # the counter's first (anti-aliased) row
    if not 0 < row < img.height - 2:
        return [mid]
    bottom = img.crop((0, row, img.width, img.height))
    lowest = bottom.getchannel("A").crop((0, 4, img.width, bottom.height)).getextrema()[0]
    if not isinstance(lowest, int) or lowest < 255:
        return [mid]
    top = img.crop((0, 0, img.width, row))
    box = top.getchannel("A").getbbox()
    out: list[Plane] = []
    if box is not None:
        out.append(replace(mid, image=top.crop(box), x=mid.x + box[0] * mid.scale,
                           y=mid.y + box[1] * mid.scale))
    out.append(replace(mid, name="counter", image=bottom.convert("RGB"),
                       y=mid.y + row * mid.scale))
    return out


def smooth(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * x * (x * (6 * x - 15) + 10)


def ease_out(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return 1 - (1 - x) ** 3


def ease_in_out(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def lerp_camera(a: Camera, b: Camera, t: float) -> Camera:
    return Camera(
        zoom=a.zoom + (b.zoom - a.zoom) * t,
        focus_x=a.focus_x + (b.focus_x - a.focus_x) * t,
        focus_y=a.focus_y + (b.focus_y - a.focus_y) * t,
        pan_x=a.pan_x + (b.pan_x - a.pan_x) * t,
        pan_y=a.pan_y + (b.pan_y - a.pan_y) * t,
    )


def load_rgb(path: Path, width: int, height: int) -> Image.Image:
    with Image.open(path) as img:
        rgb: Image.Image = img.convert("RGB")
    if rgb.size != (width, height):
        rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)
    return rgb


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    size = (max(8, a.width // 4), max(8, a.height // 4))
    x = np.asarray(a.resize(size, Image.Resampling.BILINEAR), dtype=np.int16)
    y = np.asarray(b.resize(size, Image.Resampling.BILINEAR), dtype=np.int16)
    return float(np.abs(x - y).mean())


def rebuild_layers(path: Path, picture: Image.Image) -> SceneLayers | None:
    """The layers of a keyframe made by the local provider, if they still reproduce it."""
    data = load_sidecar(path)
    if data is None:
        return None
    key = layers_key(data, picture.width, picture.height)
    layers = cached_layers(key)
    if layers is None:
        request = request_from_sidecar(data, path, width=picture.width, height=picture.height)
        palette = palette_from_sidecar(data)
        if request is None or palette is None:
            return None
        try:
            layers = render_layers(request, palette=palette)
        except (OSError, ValueError):
            return None
    if _mean_diff(compose(layers), picture) > MATCH_TOLERANCE:
        return None
    remember_layers(key, layers)
    return layers


@dataclass(frozen=True)
class Shot:
    """One end of the segment: the flat picture and, when available, its layers."""

    picture: Image.Image
    layers: SceneLayers | None

    def product_box(self, width: int, height: int) -> tuple[float, float, float, float]:
        if self.layers is not None:
            return self.layers.layout.product_box
        return (0.3 * width, 0.3 * height, 0.7 * width, 0.7 * height)


class Motion:
    """Frames of one segment from keyframe ``a`` to keyframe ``b``."""

    def __init__(self, a: Shot, b: Shot, width: int, height: int, frames: int, seed: int,
                 mouth_levels: list[int] | None = None) -> None:
        self.a, self.b = a, b
        self.width, self.height = width, height
        self.frames = max(1, frames)
        self.layered = a.layers is not None and b.layers is not None
        self.fast_a = fast_layers(a.layers) if self.layered and a.layers else None
        self.fast_b = fast_layers(b.layers) if self.layered and b.layers else None
        flat_a = Plane("flat", a.picture, 0.0, 0.0, 1.0, 1.0)
        flat_b = Plane("flat", b.picture, 0.0, 0.0, 1.0, 1.0)
        self.flat_a = flat_a if self.layered else enlarge(flat_a, SUPERSAMPLE)
        self.flat_b = flat_b if self.layered else enlarge(flat_b, SUPERSAMPLE)
        self.mouth_levels = mouth_levels or []
        rng = np.random.default_rng(stable_hash("motion", seed))
        W, H = float(width), float(height)
        ax0, ay0, ax1, ay1 = a.product_box(width, height)
        bx0, by0, bx1, by1 = b.product_box(width, height)
        fa = ((ax0 + ax1) / 2 / W, (ay0 + ay1) / 2 / H)
        fb = ((bx0 + bx1) / 2 / W, (by0 + by1) / 2 / H)
        fa = (0.5 + (fa[0] - 0.5) * 0.7, 0.5 + (fa[1] - 0.5) * 0.7)
        fb = (0.5 + (fb[0] - 0.5) * 0.7, 0.5 + (fb[1] - 0.5) * 0.7)
        direction = 1.0 if fb[0] >= fa[0] else -1.0
        drift = float(rng.uniform(0.008, 0.016)) * (1 if rng.random() < 0.5 else -1)
        # A: slow push-in towards the product, a little drift
        self.cam_a_end = Camera(zoom=1.0 + float(rng.uniform(0.06, 0.1)), focus_x=fa[0],
                                focus_y=fa[1], pan_x=drift, pan_y=-0.006)
        # B: arrives a little zoomed in and shifted along the move, settles to rest
        self.cam_b_start = Camera(zoom=1.0 + float(rng.uniform(0.04, 0.07)), focus_x=fb[0],
                                  focus_y=fb[1], pan_x=-direction * 0.02, pan_y=0.006)
        self.bob = 0.006 * H
        self.bob_cycles = float(rng.uniform(1.0, 1.4))
        self.blinks = _blink_frames(self.frames, rng)

    # --- cameras ---------------------------------------------------------------------------

    def t_of(self, index: int) -> float:
        return index / (self.frames - 1) if self.frames > 1 else 1.0

    def camera_a(self, t: float) -> Camera:
        return lerp_camera(IDENTITY, self.cam_a_end, ease_in_out(t / MORPH_END))

    def camera_b(self, t: float) -> Camera:
        start = replace(IDENTITY, focus_x=self.cam_b_start.focus_x,
                        focus_y=self.cam_b_start.focus_y)
        k = ease_out((t - HOLD_END) / (1 - HOLD_END))
        return lerp_camera(self.cam_b_start, start, k)

    def weight(self, t: float) -> float:
        return ease_in_out((t - HOLD_END) / (MORPH_END - HOLD_END))

    # --- frames ----------------------------------------------------------------------------

    def frame(self, index: int) -> Image.Image:
        t = self.t_of(index)
        if index == 0 and self.frames > 1:
            return self.a.picture
        if index == self.frames - 1:
            return self.b.picture
        w = self.weight(t)
        if self.layered:
            return self._layered(t, w, index)
        return self._flat(t, w)

    def _flat(self, t: float, w: float) -> Image.Image:
        out: Image.Image | None = None
        if w < 1.0:
            out = self._flat_view(self.flat_a, self.camera_a(t))
        if w > 0.0:
            fb = self._flat_view(self.flat_b, self.camera_b(t))
            out = fb if out is None else Image.blend(out, fb, w)
        assert out is not None
        return out

    def _flat_view(self, plane: Plane, cam: Camera) -> Image.Image:
        frame = Image.new("RGB", (self.width, self.height))
        paint(frame, project(plane, cam, self.width, self.height), FAST)
        return frame

    def _bob(self, t: float, which: str) -> float:
        if which == "a":
            env = 1.0 - smooth((t - HOLD_END) / (MORPH_END - HOLD_END))
            return self.bob * math.sin(2 * math.pi * self.bob_cycles * t) * env
        env = smooth((1.0 - t) / (1.0 - HOLD_END))
        return self.bob * math.sin(2 * math.pi * self.bob_cycles * (t - 1.0)) * env

    def _face(self, index: int) -> tuple[str, ...]:
        """Face patches for frame ``index``: the talking mouth and a blink."""
        out: tuple[str, ...] = ()
        if index < len(self.mouth_levels) and self.mouth_levels[index] > 0:
            out += (f"talk{self.mouth_levels[index]}",)
        if index in self.blinks:
            out += ("blink",)
        return out

    def _view(self, layers: SceneLayers, cam: Camera, sim: Sim, face: tuple[str, ...],
              product: Plane | None) -> Image.Image:
        """One side of the segment: room + persona (+ face patches) (+ product)."""
        W, H = self.width, self.height
        mid = layers.plane("midground")
        room = render_plane(sim.plane(project(layers.plane("backdrop"), cam, W, H)), W, H, FAST)
        if room is not None and room[0].size == (W, H) and room[0].mode == "RGB":
            frame = room[0]  # the room covers the frame: use it as the canvas
        else:
            frame = Image.new("RGB", (W, H), layers.palette.wall)
            if room is not None:
                frame.paste(room[0], (room[1], room[2]))
        for plane in layers.planes:
            if plane.name in ("midground", "counter"):
                paint(frame, sim.plane(project(plane, cam, W, H)), FAST)
        for name in face:
            patch = layers.patches.get(name)
            if patch is None:
                continue
            plane = Plane(name, patch.image, float(patch.x), float(patch.y), 1.0 / SUPERSAMPLE,
                          mid.depth)
            paint(frame, sim.plane(project(plane, cam, W, H)), FAST)
        if product is not None:
            paint(frame, product, FAST)
        return frame

    def _product_at(self, layers: SceneLayers, cam: Camera, box: tuple[float, float, float,
                                                                      float]) -> Plane:
        """The product plane of ``layers`` moved so its product box lands on ``box``."""
        W, H = self.width, self.height
        plane = project(layers.plane("product"), cam, W, H)
        own = _project_box(layers.layout.product_box, layers.plane("product").depth, cam, W, H)
        grow = (box[3] - box[1]) / max(1e-6, own[3] - own[1])
        return plane.moved(dx=box[0] - own[0], dy=box[1] - own[1], grow=grow,
                           about=(own[0], own[1]))

    def _head(self, layers: SceneLayers, cam: Camera) -> tuple[float, float, float]:
        """Where the persona's head is (x, y) and how tall (px) under ``cam``."""
        depth = layers.plane("midground").depth
        z = cam.zoom ** depth
        fx, fy = cam.focus_x * self.width, cam.focus_y * self.height
        hx, hy = layers.layout.head
        return (fx + (hx - fx) * z + cam.pan_x * self.width * depth,
                fy + (hy - fy) * z + cam.pan_y * self.height * depth, layers.layout.hu * z)

    def _match(self, head: tuple[float, float, float], target: tuple[float, float, float],
               ) -> Sim:
        """The similarity (magnify ≥ 1 about the head, then shift) that brings ``head``
        closest to ``target`` without uncovering the frame.

        The shift allowed grows smoothly with the magnification (a magnified view has more
        picture to spare on each side), so the view never jumps from one frame to the next
        as the magnification crosses a value.
        """
        W, H = float(self.width), float(self.height)
        k = min(MAX_MATCH_ZOOM, max(1.0, target[2] / max(1e-6, head[2])))
        hx, hy = head[0], head[1]
        dx = _clamp(target[0] - hx, (W - hx) * (1 - k) - MATCH_SLACK * W,
                    hx * (k - 1) + MATCH_SLACK * W)
        dy = _clamp(target[1] - hy, (H - hy) * (1 - k) - MATCH_SLACK * H,
                    hy * (k - 1) + MATCH_SLACK * H)
        return Sim(k=k, fx=hx, fy=hy, dx=dx, dy=dy)

    def _layered(self, t: float, w: float, index: int) -> Image.Image:
        A, B = self.fast_a, self.fast_b
        assert A is not None and B is not None
        W, H = self.width, self.height
        cam_a, cam_b = self.camera_a(t), self.camera_b(t)
        box_a = _project_box(A.layout.product_box, A.plane("product").depth, cam_a, W, H)
        box_b = _project_box(B.layout.product_box, B.plane("product").depth, cam_b, W, H)
        box_a = _shift(box_a, 0.0, self._bob(t, "a") if _held(A) else 0.0)
        box_b = _shift(box_b, 0.0, self._bob(t, "b") if _held(B) else 0.0)
        face = self._face(index)
        if t <= HOLD_END:
            return self._view(A, cam_a, NO_SIM, face, self._product_at(A, cam_a, box_a))
        # B eases from "lined up with A's persona" to its own framing; A follows B's persona
        # as far as it can, so the dissolve reads as one person changing pose.
        u = ease_in_out((t - HOLD_END) / (1.0 - HOLD_END))
        ha, hb = self._head(A, cam_a), self._head(B, cam_b)
        target_b = (ha[0] + (hb[0] - ha[0]) * u, ha[1] + (hb[1] - ha[1]) * u,
                    ha[2] ** (1 - u) * hb[2] ** u)
        sim_b = self._match(hb, target_b)
        box_b = sim_b.box(box_b)
        if w >= 1.0:
            return self._view(B, cam_b, sim_b, face, self._product_at(B, cam_b, box_b))
        m = smooth((t - HOLD_END) / (MORPH_END - HOLD_END))
        bx, by = sim_b.point(hb[0], hb[1])
        target_a = (ha[0] + (bx - ha[0]) * m, ha[1] + (by - ha[1]) * m,
                    ha[2] ** (1 - m) * (hb[2] * sim_b.k) ** m)
        sim_a = self._match(ha, target_a)
        box_a = sim_a.box(box_a)
        box = tuple(pa + (pb - pa) * m for pa, pb in zip(box_a, box_b, strict=True))
        cur = (box[0], box[1], box[2], box[3])
        base = Image.blend(self._view(A, cam_a, sim_a, (), None),
                           self._view(B, cam_b, sim_b, (), None), w)
        product = _blend_planes(self._product_at(A, cam_a, cur), self._product_at(B, cam_b, cur),
                                w, W, H)
        if product is not None:
            img, x, y = product
            base.paste(img, (x, y), img)
        return base


@dataclass(frozen=True)
class Sim:
    """A uniform magnification ``k`` about (fx, fy) followed by a shift (dx, dy), frame px."""

    k: float = 1.0
    fx: float = 0.0
    fy: float = 0.0
    dx: float = 0.0
    dy: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (self.fx + (x - self.fx) * self.k + self.dx,
                self.fy + (y - self.fy) * self.k + self.dy)

    def box(self, b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x0, y0 = self.point(b[0], b[1])
        x1, y1 = self.point(b[2], b[3])
        return (x0, y0, x1, y1)

    def plane(self, p: Plane) -> Plane:
        if self.k == 1.0 and self.dx == 0.0 and self.dy == 0.0:
            return p
        return p.moved(dx=self.dx, dy=self.dy, grow=self.k, about=(self.fx, self.fy))


NO_SIM = Sim()


def _blink_frames(frames: int, rng: np.random.Generator) -> set[int]:
    """Seeded blinks: about every 70-110 frames, 3 frames long, never at either end or
    during the dissolve."""
    out: set[int] = set()
    i = int(rng.integers(20, 50))
    while i < frames - 8:
        t = i / max(1, frames - 1)
        if not HOLD_END - 0.03 <= t <= MORPH_END + 0.03:
            out.update(range(i, i + 3))
        i += int(rng.integers(70, 110))
    return out


def _blend_planes(pa: Plane, pb: Plane, w: float, width: int,
                  height: int) -> tuple[Image.Image, int, int] | None:
    """Two placed RGBA planes mixed (premultiplied, so edges stay clean) on their union."""
    ra = render_plane(pa, width, height, FAST)
    rb = render_plane(pb, width, height, FAST)
    if ra is None or rb is None:
        return ra if rb is None else rb
    x0, y0 = min(ra[1], rb[1]), min(ra[2], rb[2])
    x1 = max(ra[1] + ra[0].width, rb[1] + rb[0].width)
    y1 = max(ra[2] + ra[0].height, rb[2] + rb[0].height)
    ca = Image.new("RGBa", (x1 - x0, y1 - y0))
    cb = Image.new("RGBa", (x1 - x0, y1 - y0))
    ca.paste(ra[0].convert("RGBa"), (ra[1] - x0, ra[2] - y0))
    cb.paste(rb[0].convert("RGBa"), (rb[1] - x0, rb[2] - y0))
    return Image.blend(ca, cb, w).convert("RGBA"), x0, y0


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _held(layers: SceneLayers) -> bool:
    return layers.layout.spec.placement != "surface"


def _shift(box: tuple[float, float, float, float], dx: float,
           dy: float) -> tuple[float, float, float, float]:
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def _project_box(box: tuple[float, float, float, float], depth: float, cam: Camera, width: int,
                 height: int) -> tuple[float, float, float, float]:
    z = cam.zoom ** depth
    fx, fy = cam.focus_x * width, cam.focus_y * height
    ox, oy = cam.pan_x * width * depth, cam.pan_y * height * depth
    return (fx + (box[0] - fx) * z + ox, fy + (box[1] - fy) * z + oy,
            fx + (box[2] - fx) * z + ox, fy + (box[3] - fy) * z + oy)
