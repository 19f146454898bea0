"""Synthetic inputs for the QA tests: a product with alpha, scenes, keyframes and segments.

Everything is drawn with Pillow and numpy from fixed seeds; segments are piped through ffmpeg
(libx264) as raw RGB frames.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from ugen.media.runner import FrameWriter

W, H = 540, 960
FPS = 24
Frame = npt.NDArray[np.uint8]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def product_image(*, label: str = "GLOW", colour: tuple[int, int, int] = (40, 110, 170),
                  seed: int = 1) -> Image.Image:
    """A bottle (RGBA, transparent around it) with a printed label: text, shapes, a barcode."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGBA", (300, 640), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rectangle((115, 10, 185, 90), fill=(30, 30, 30, 255))
    d.polygon([(120, 90), (180, 90), (230, 170), (70, 170)], fill=(*colour, 255))
    d.rounded_rectangle((40, 160, 260, 620), radius=30, fill=(*colour, 255))
    d.rectangle((60, 240, 240, 540), fill=(245, 238, 220, 255))
    d.text((75, 250), label, font=_font(52), fill=(20, 20, 60, 255))
    d.text((75, 315), "VITAMIN C 30ml", font=_font(20), fill=(120, 30, 30, 255))
    for i in range(5):
        x = 80 + i * 32
        d.regular_polygon((x, 370, 12), n_sides=5 + i % 2, rotation=i * 17,
                          fill=(int(rng.integers(0, 200)), 90, 40, 255))
    d.ellipse((180, 390, 230, 440), outline=(10, 10, 10, 255), width=5)
    for i, w in enumerate(rng.integers(1, 5, size=28)):
        d.rectangle((75 + i * 5, 460, 75 + i * 5 + int(w) // 2, 520), fill=(0, 0, 0, 255))
    return img


def background(seed: int = 3, *, size: tuple[int, int] = (W, H)) -> Image.Image:
    """A room: graded wall, window, shelf with objects, table, and fine texture."""
    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    base = np.array([205, 185, 160], np.float32) * (1 - 0.3 * y)
    arr = np.broadcast_to(base, (h, w, 3)).copy()
    arr += rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.rectangle((w * 0.55, h * 0.08, w * 0.92, h * 0.35), fill=(170, 200, 230))
    d.line((w * 0.735, h * 0.08, w * 0.735, h * 0.35), fill=(250, 250, 250), width=8)
    d.rectangle((w * 0.05, h * 0.30, w * 0.45, h * 0.32), fill=(110, 80, 50))
    for i in range(4):
        d.ellipse((w * (0.07 + 0.09 * i), h * 0.25, w * (0.13 + 0.09 * i), h * 0.30),
                  fill=(60 + 40 * i, 120, 90))
    d.rectangle((0, h * 0.78, w, h), fill=(120, 90, 60))
    return img


def unrelated_scene(seed: int = 9) -> Image.Image:
    """A different place: dark green stripes and circles, no product."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (W, H), (30, 70, 40))
    d = ImageDraw.Draw(img)
    for i in range(0, H, 60):
        d.rectangle((0, i, W, i + 25), fill=(20, 40, 90))
    for _ in range(12):
        x, y = (int(v) for v in rng.integers(0, [W, H]))
        d.ellipse((x, y, x + 80, y + 80), fill=(200, 200, 60))
    return img


def recoloured(img: Image.Image, like: Image.Image) -> Image.Image:
    """``img`` with the colours of ``like``: each channel's histogram matched to it."""
    src = np.asarray(img.convert("RGB"), np.uint8)
    ref = np.asarray(like.convert("RGB").resize(img.size), np.uint8)
    out = np.empty_like(src)
    for c in range(3):
        order = np.argsort(src[..., c].ravel(), kind="stable")
        values = np.empty(order.size, np.uint8)
        values[order] = np.sort(ref[..., c].ravel())
        out[..., c] = values.reshape(src.shape[:2])
    return Image.fromarray(out)


def compose(scene: Image.Image, product: Image.Image, *, centre: tuple[float, float],
            scale: float, angle: float = 0.0) -> Image.Image:
    """Paste the product (alpha) into a copy of the scene; centre in 0–1 of the frame."""
    out = scene.copy()
    p = product.resize((round(product.width * scale), round(product.height * scale)),
                       Image.Resampling.BICUBIC)
    if angle:
        p = p.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    x = round(centre[0] * out.width - p.width / 2)
    y = round(centre[1] * out.height - p.height / 2)
    out.paste(p, (x, y), p)
    return out


@dataclass(frozen=True)
class Pose:
    """Where the product sits: centre (0–1 of the frame), scale, rotation in degrees."""

    centre: tuple[float, float]
    scale: float
    angle: float = 0.0

    def towards(self, other: Pose, t: float) -> Pose:
        (ax, ay), (bx, by) = self.centre, other.centre
        return Pose((ax + (bx - ax) * t, ay + (by - ay) * t),
                    self.scale + (other.scale - self.scale) * t,
                    self.angle + (other.angle - self.angle) * t)


ANCHOR_POSE = Pose((0.5, 0.55), 0.9)
POSE_B = Pose((0.42, 0.6), 1.05, 6.0)


def place(scene: Image.Image, product: Image.Image, pose: Pose) -> Image.Image:
    return compose(scene, product, centre=pose.centre, scale=pose.scale, angle=pose.angle)


def anchor() -> Image.Image:
    return place(background(), product_image(), ANCHOR_POSE)


def keyframe_b() -> Image.Image:
    return place(background(), product_image(), POSE_B)


def blurred(img: Image.Image, radius: float) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius))


def relit(img: Image.Image) -> Image.Image:
    """Colder, darker light: the same scene under different lighting."""
    arr = np.asarray(img, np.float32) * np.array([0.55, 0.75, 1.25], np.float32)
    return ImageEnhance.Contrast(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))).enhance(
        0.8)


def stretched_product() -> Image.Image:
    p = product_image()
    return p.resize((round(p.width * 2.0), p.height), Image.Resampling.LANCZOS)


def save(img: Image.Image, path: Path) -> Path:
    img.save(path)
    return path


# --- segments ------------------------------------------------------------------------------


def path_frames(count: int = 2 * FPS) -> list[Frame]:
    """The product travelling from the anchor pose to pose B, with a gentle camera zoom."""
    scene, product = background(), product_image()
    frames = []
    for i in range(count):
        t = i / (count - 1)
        img = place(scene, product, ANCHOR_POSE.towards(POSE_B, t))
        frames.append(_zoom(np.asarray(img, np.uint8), 1 + 0.06 * np.sin(np.pi * t)))
    return frames


def _zoom(frame: Frame, factor: float) -> Frame:
    if factor <= 1.0001:
        return frame
    img = Image.fromarray(frame)
    cw, ch = round(W / factor), round(H / factor)
    box = ((W - cw) // 2, (H - ch) // 2, (W - cw) // 2 + cw, (H - ch) // 2 + ch)
    return np.asarray(img.resize((W, H), Image.Resampling.BILINEAR, box=box), np.uint8)


def crossfade(a: Frame, b: Frame, count: int) -> list[Frame]:
    af, bf = a.astype(np.float32), b.astype(np.float32)
    return [((af * (1 - t) + bf * t).round()).astype(np.uint8)
            for t in np.linspace(0, 1, count)]


def write_video(path: Path, frames: Iterable[Frame], *, fps: int = FPS) -> Path:
    """Encode RGB frames to H.264 MP4 (yuv420p)."""
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(fps), "-i", "-",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p",
            str(path)]
    with FrameWriter(args) as writer:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame, np.uint8).tobytes())
    return path


def edit(frames: list[Frame], fn: Callable[[int, Frame], Frame]) -> list[Frame]:
    return [fn(i, f) for i, f in enumerate(frames)]
