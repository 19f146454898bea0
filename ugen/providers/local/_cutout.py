"""Product cutout: an RGBA image of just the product, cropped to its bounding box.

A picture with a real alpha channel keeps it. A picture without one (or fully opaque) is
treated as a product shot on a plain background: the background colour is estimated from the
border, the pixels close to it *and connected to the border* become transparent (so a white
label inside a product on white stays), the edge gets a soft ramp and the background colour
is removed from the edge pixels.

A photo whose border is not plain (a product on a table, in front of a wall) has no single
background colour to take out: a tolerance wide enough for its border would eat into the
product and leave it see-through. Such a photo is segmented instead (GrabCut, seeded with
the border as background); the product is the largest solid region it finds, holes filled.
When that finds nothing product-like, the photo is kept whole and opaque.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from ugen.providers.local._color import RGB, clamp, saturation

MAX_SIDE = 1600  # larger sources are reduced first: no keyframe needs more product pixels
MASK_SIDE = 256  # the flood fill runs on a reduced copy
PLAIN_NOISE = 24.0  # border colour spread (90th percentile distance) of a plain backdrop
SEGMENT_SIDE = 320  # GrabCut runs on a reduced copy
SEGMENT_SHARE = (0.03, 0.95)  # a product region covers this share of the photo


@dataclass(frozen=True)
class Cutout:
    image: Image.Image  # RGBA, cropped to the product
    colours: tuple[RGB, ...]  # dominant colours, most characteristic first
    had_alpha: bool

    @property
    def aspect(self) -> float:
        return self.image.width / max(1, self.image.height)


def load_cutout(path: Path) -> Cutout:
    """The product of ``path`` as a cropped cutout (cached per file version)."""
    stat = path.stat()
    return _load_cached(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int, size: int) -> Cutout:
    with Image.open(path) as opened:
        src = ImageOps.exif_transpose(opened)
        src.load()
        has_alpha = src.mode in ("RGBA", "LA", "PA") or (
            src.mode == "P" and "transparency" in src.info
        )
        image = src.convert("RGBA")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    alpha = np.asarray(image.getchannel("A"))
    usable_alpha = has_alpha and bool((alpha < 250).mean() > 0.01) and bool((alpha > 8).any())
    if not usable_alpha:
        rgb = image.convert("RGB")
        image = (remove_plain_background(rgb) if border_is_plain(rgb)
                 else segment_product(rgb))
    cropped = crop_to_content(image)
    return Cutout(image=cropped, colours=dominant_colours(cropped), had_alpha=usable_alpha)


def crop_to_content(image: Image.Image, threshold: int = 12) -> Image.Image:
    """Crop an RGBA image to where alpha exceeds ``threshold`` (a 1 % margin kept)."""
    mask = image.getchannel("A").point(lambda v: 255 if v > threshold else 0)
    box = mask.getbbox()
    if box is None:
        return image
    pad = max(2, round(0.01 * max(image.size)))
    x0, y0, x1, y1 = box
    return image.crop(
        (max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad),
         min(image.height, y1 + pad))
    )


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """Median colour of a 2 %-wide frame around the picture (float RGB 0..255)."""
    h, w = rgb.shape[:2]
    k = max(1, round(0.02 * min(h, w)))
    ring = np.concatenate(
        [rgb[:k].reshape(-1, 3), rgb[-k:].reshape(-1, 3), rgb[:, :k].reshape(-1, 3),
         rgb[:, -k:].reshape(-1, 3)]
    )
    return np.median(ring.astype(np.float32), axis=0)


def _border_noise(rgb: np.ndarray) -> float:
    """90th percentile distance of the border pixels from the border colour."""
    dist = np.sqrt(((rgb - border_colour(rgb)) ** 2).sum(axis=2))
    h, w = dist.shape
    k = max(1, round(0.02 * min(h, w)))
    ring = np.concatenate([dist[:k].ravel(), dist[-k:].ravel(), dist[:, :k].ravel(),
                           dist[:, -k:].ravel()])
    return float(np.percentile(ring, 90))


def border_is_plain(rgb_image: Image.Image) -> bool:
    """Whether the photo's border is one colour (a studio backdrop), give or take noise."""
    return _border_noise(np.asarray(rgb_image, dtype=np.float32)) <= PLAIN_NOISE


def segment_product(rgb_image: Image.Image) -> Image.Image:
    """RGBA version of a photo on a busy backdrop: the product segmented by GrabCut (the
    border seeds the background), or the whole photo opaque when no product region shows."""
    w, h = rgb_image.size
    scale = min(1.0, SEGMENT_SIDE / max(w, h))
    small = np.asarray(rgb_image.resize((max(8, round(w * scale)), max(8, round(h * scale))),
                                        Image.Resampling.BILINEAR), dtype=np.uint8)
    sh, sw = small.shape[:2]
    k = max(2, round(0.03 * min(sh, sw)))
    mask = np.zeros((sh, sw), np.uint8)
    models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
    cv2.grabCut(np.ascontiguousarray(small[:, :, ::-1]), mask, (k, k, sw - 2 * k, sh - 2 * k),
                models[0], models[1], 5, cv2.GC_INIT_WITH_RECT)
    product = _solid_region((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD))
    alpha_small = product.astype(np.uint8) * 255
    if not SEGMENT_SHARE[0] <= float(product.mean()) <= SEGMENT_SHARE[1]:
        alpha_small = np.full((sh, sw), 255, np.uint8)
    alpha = Image.fromarray(alpha_small).resize((w, h), Image.Resampling.BILINEAR)
    alpha = alpha.filter(ImageFilter.GaussianBlur(max(0.7, 0.5 / scale)))
    out = rgb_image.convert("RGBA")
    out.putalpha(alpha)
    return out


def _solid_region(found: np.ndarray) -> np.ndarray:
    """The largest connected region of ``found`` with its holes filled."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        np.ascontiguousarray(found, dtype=np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros_like(found, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == largest).astype(np.uint8)
    outside = _flood_from_border(region == 0)
    return np.asarray(~outside, dtype=bool)


def _flood_from_border(candidate: np.ndarray) -> np.ndarray:
    """Cells of ``candidate`` (bool) connected (4-neighbour) to the picture border."""
    reached = np.zeros_like(candidate)
    reached[0, :] = candidate[0, :]
    reached[-1, :] = candidate[-1, :]
    reached[:, 0] |= candidate[:, 0]
    reached[:, -1] |= candidate[:, -1]
    for _ in range(4 * sum(candidate.shape)):
        grown = reached.copy()
        grown[1:, :] |= reached[:-1, :]
        grown[:-1, :] |= reached[1:, :]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= candidate
        if np.array_equal(grown, reached):
            break
        reached = grown
    return reached


def remove_plain_background(rgb_image: Image.Image) -> Image.Image:
    """RGBA version of ``rgb_image`` with its plain, border-connected background removed."""
    rgb = np.asarray(rgb_image, dtype=np.float32)
    bg = border_colour(rgb)
    dist = np.sqrt(((rgb - bg) ** 2).sum(axis=2))
    # tolerance follows the border's own noise (JPEG, soft gradients, paper texture)
    h, w = dist.shape
    lo = max(10.0, _border_noise(rgb) * 1.5)
    hi = lo + 28.0

    # connectivity on a reduced copy: background = close to bg colour AND reachable from border
    scale = MASK_SIDE / max(h, w)
    small = Image.fromarray(np.clip(dist, 0, 255).astype(np.uint8)).resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR
    )
    candidate = np.asarray(small) < (lo + hi) / 2
    region = _flood_from_border(candidate)
    region_img = Image.fromarray((region * 255).astype(np.uint8)).resize(
        (w, h), Image.Resampling.BILINEAR
    ).filter(ImageFilter.GaussianBlur(max(1.0, 1.5 / scale)))
    region_f = np.asarray(region_img, dtype=np.float32) / 255.0

    soft = np.clip((dist - lo) / (hi - lo), 0.0, 1.0)  # 0 = background colour, 1 = product
    alpha = 1.0 - region_f * (1.0 - soft)
    alpha = np.clip(alpha, 0.0, 1.0)
    # decontaminate: take the background colour out of semi-transparent edge pixels
    a = np.maximum(alpha, 1e-3)[..., None]
    colour = np.where(alpha[..., None] < 0.999, (rgb - (1.0 - a) * bg) / a, rgb)
    colour = np.clip(colour, 0, 255)
    rgba = np.dstack([colour, alpha * 255.0])
    out = Image.fromarray((rgba + 0.5).astype(np.uint8), "RGBA")
    # a touch of edge softening: 1 px feather of alpha only
    a_chan = out.getchannel("A").filter(ImageFilter.GaussianBlur(0.7))
    out.putalpha(a_chan)
    return out


def dominant_colours(image: Image.Image, count: int = 6) -> tuple[RGB, ...]:
    """Dominant colours of the opaque pixels, the most characteristic (frequent, saturated)
    first. Deterministic."""
    small = image.copy()
    small.thumbnail((96, 96), Image.Resampling.BILINEAR)
    arr = np.asarray(small)
    opaque = arr[arr[..., 3] > 160][:, :3]
    if opaque.shape[0] < 4:
        return ((128, 128, 128),)
    strip = Image.fromarray(opaque.reshape(1, -1, 3).astype(np.uint8), "RGB")
    quant = strip.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = quant.getpalette() or []
    counts = sorted(((n, idx) for n, idx in quant.getcolors() or [] if isinstance(idx, int)),
                    key=lambda c: -c[0])
    total = sum(n for n, _ in counts) or 1
    scored: list[tuple[float, RGB]] = []
    for n, idx in counts:
        rgb = clamp((palette[3 * idx], palette[3 * idx + 1], palette[3 * idx + 2]))
        share = n / total
        if share < 0.03:
            continue
        scored.append((share * (0.25 + saturation(rgb)), rgb))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return tuple(rgb for _, rgb in scored) or ((128, 128, 128),)
