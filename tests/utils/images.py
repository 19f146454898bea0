"""Product images for tests, made on the fly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def product_png(path: Path, *, size: tuple[int, int] = (512, 512), alpha: bool = True) -> Path:
    """A simple bottle-shaped product on a transparent or plain white background."""
    w, h = size
    img = Image.new("RGBA" if alpha else "RGB", size, (0, 0, 0, 0) if alpha else "white")
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((w * 0.32, h * 0.25, w * 0.68, h * 0.92), radius=int(w * 0.06),
                        fill=(212, 120, 60, 255))
    d.rectangle((w * 0.42, h * 0.1, w * 0.58, h * 0.26), fill=(40, 40, 40, 255))
    d.rectangle((w * 0.36, h * 0.5, w * 0.64, h * 0.7), fill=(250, 240, 225, 255))
    img.save(path)
    return path


# --- product pictures of the kinds shoppers upload (the offline QA sweep and its tests) -----

PRODUCT_KINDS: tuple[str, ...] = (
    "example",  # the shipped examples/serum-bottle.png
    "labelled_cutout",  # a printed bottle on a transparent background
    "flat_cutout",  # one flat colour, no features at all, on a transparent background
    "flat_white",  # a flat-coloured product photographed on white (no alpha)
    "white_photo",  # a labelled product on a white studio background (no alpha)
    "jpeg_scene",  # a JPEG photo: the product in front of a textured backdrop
    "tall_cutout",  # a slim tube, about 1:4
    "wide_cutout",  # a wide box, about 3:1
    "small_photo",  # 256×256 on white: the smallest image accepted
    "large_cutout",  # 3000×2400 RGBA
)

EXAMPLE_IMAGE = Path(__file__).resolve().parents[2] / "examples" / "serum-bottle.png"


def product_picture(kind: str, path: Path, *, seed: int = 0) -> Path:
    """Write a product picture of ``kind`` (one of :data:`PRODUCT_KINDS`) to ``path``.

    ``seed`` varies colours and proportions. A ``.jpg`` suffix is used for JPEG kinds, so
    ``path`` may come back with another suffix; the path written is returned.
    """
    rng = np.random.default_rng(seed)
    colour = tuple(int(v) for v in rng.integers(40, 220, 3))
    if kind == "example":
        target = path.with_suffix(".png")
        shutil.copyfile(EXAMPLE_IMAGE, target)
        return target
    if kind == "labelled_cutout":
        return _save(_labelled((700, 900), colour, rng), path.with_suffix(".png"))
    if kind == "flat_cutout":
        return _save(_flat((800, 800), colour, rng), path.with_suffix(".png"))
    if kind == "flat_white":
        return _save(_on_white(_flat((640, 640), colour, rng)), path.with_suffix(".png"))
    if kind == "white_photo":
        return _save(_on_white(_labelled((900, 900), colour, rng)), path.with_suffix(".png"))
    if kind == "jpeg_scene":
        target = path.with_suffix(".jpg")
        _in_scene(_labelled((800, 1000), colour, rng), rng).save(target, quality=88)
        return target
    if kind == "tall_cutout":
        return _save(_tube((300, 1200), colour, rng), path.with_suffix(".png"))
    if kind == "wide_cutout":
        return _save(_box((1500, 500), colour, rng), path.with_suffix(".png"))
    if kind == "small_photo":
        return _save(_on_white(_labelled((256, 256), colour, rng)), path.with_suffix(".png"))
    if kind == "large_cutout":
        return _save(_labelled((3000, 2400), colour, rng), path.with_suffix(".png"))
    raise ValueError(f"unknown product kind {kind!r}; choose one of {', '.join(PRODUCT_KINDS)}")


def _save(img: Image.Image, path: Path) -> Path:
    img.save(path)
    return path


def _labelled(size: tuple[int, int], colour: tuple[int, ...],
              rng: np.random.Generator) -> Image.Image:
    """A bottle with a cap and a printed label (text, marks, a barcode), transparent around."""
    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    body = (w * 0.25, h * 0.28, w * 0.75, h * 0.94)
    d.rounded_rectangle(body, radius=int(w * 0.07), fill=(*colour, 255))
    d.rectangle((w * 0.4, h * 0.08, w * 0.6, h * 0.29), fill=(35, 35, 35, 255))
    d.rectangle((w * 0.3, h * 0.45, w * 0.7, h * 0.8), fill=(246, 240, 226, 255))
    font = ImageFont.load_default(size=max(10, int(h * 0.06)))
    d.text((w * 0.33, h * 0.47), "GLOW", font=font, fill=(25, 25, 60, 255))
    small = ImageFont.load_default(size=max(8, int(h * 0.025)))
    d.text((w * 0.33, h * 0.56), "VITAMIN C 30 ml", font=small, fill=(140, 40, 30, 255))
    for i in range(5):
        r = w * 0.025
        x, y = w * (0.35 + 0.07 * i), h * 0.63
        d.regular_polygon((x, y, r), n_sides=3 + i, rotation=int(rng.integers(0, 90)),
                          fill=(int(rng.integers(0, 200)), 80, 40, 255))
    x = w * 0.34
    for bar in rng.integers(1, 4, size=26):
        d.rectangle((x, h * 0.68, x + bar * w * 0.0025, h * 0.77), fill=(0, 0, 0, 255))
        x += w * 0.011
    return img


def _flat(size: tuple[int, int], colour: tuple[int, ...],
          rng: np.random.Generator) -> Image.Image:
    """A product of one flat colour: a bottle silhouette with no detail inside."""
    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    shoulder = float(rng.uniform(0.25, 0.4))
    d.rounded_rectangle((w * 0.3, h * shoulder, w * 0.7, h * 0.92), radius=int(w * 0.08),
                        fill=(*colour, 255))
    d.rectangle((w * 0.42, h * 0.1, w * 0.58, h * shoulder + 2), fill=(*colour, 255))
    return img


def _tube(size: tuple[int, int], colour: tuple[int, ...],
          rng: np.random.Generator) -> Image.Image:
    """A slim tube with a cap and a vertical print."""
    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((w * 0.12, h * 0.12, w * 0.88, h * 0.97), radius=int(w * 0.2),
                        fill=(*colour, 255))
    d.rectangle((w * 0.3, h * 0.02, w * 0.7, h * 0.13), fill=(240, 240, 240, 255))
    d.rectangle((w * 0.22, h * 0.3, w * 0.78, h * 0.8), fill=(250, 246, 236, 255))
    font = ImageFont.load_default(size=int(w * 0.18))
    for i, letter in enumerate("SERUM"):
        d.text((w * 0.4, h * (0.32 + 0.08 * i)), letter, font=font, fill=(30, 30, 30, 255))
    for i in range(6):
        y = h * (0.72 + 0.012 * i)
        d.line((w * 0.28, y, w * (0.5 + 0.04 * int(rng.integers(0, 6))), y),
               fill=(90, 20, 20, 255), width=2)
    return img


def _box(size: tuple[int, int], colour: tuple[int, ...],
         rng: np.random.Generator) -> Image.Image:
    """A wide boxed product with printed panels."""
    w, h = size
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rectangle((w * 0.03, h * 0.08, w * 0.97, h * 0.92), fill=(*colour, 255))
    d.rectangle((w * 0.08, h * 0.2, w * 0.5, h * 0.8), fill=(248, 244, 232, 255))
    font = ImageFont.load_default(size=int(h * 0.2))
    d.text((w * 0.1, h * 0.25), "AURORA", font=font, fill=(20, 30, 70, 255))
    small = ImageFont.load_default(size=int(h * 0.08))
    d.text((w * 0.1, h * 0.55), "wireless speaker", font=small, fill=(120, 30, 30, 255))
    for i in range(7):
        cx, cy = w * (0.58 + 0.055 * i), h * (0.35 + 0.3 * (i % 2))
        r = h * float(rng.uniform(0.05, 0.1))
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(250, 250, 250, 255), width=6)
    return img


def _on_white(cutout: Image.Image) -> Image.Image:
    """The cutout photographed on white, with a margin: an RGB studio packshot."""
    w, h = cutout.size
    pad = max(8, round(0.08 * max(w, h)))
    out = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (255, 255, 255))
    out.paste(cutout, (pad, pad), cutout)
    return out.resize((w, h), Image.Resampling.LANCZOS)


def _in_scene(cutout: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The cutout in front of a textured, graded backdrop (no alpha), as a phone photo."""
    w, h = cutout.size
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    base = np.array([190, 170, 150], np.float32) * (1.0 - 0.35 * y)
    arr = np.broadcast_to(base, (h, w, 3)) + rng.normal(0, 9, (h, w, 3)).astype(np.float32)
    scene = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(scene)
    d.rectangle((0, h * 0.82, w, h), fill=(110, 85, 60))
    d.rectangle((w * 0.8, h * 0.05, w * 0.97, h * 0.3), fill=(160, 190, 220))
    scene.paste(cutout, (0, 0), cutout)
    return scene
