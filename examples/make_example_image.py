"""Draw ``examples/serum-bottle.png``: a procedural product cutout for the offline demo.

A vitamin-C serum in amber glass with a gold collar, a black dropper bulb and a wrapped cream
label, on a transparent background (1024×1024 RGBA). Only Pillow and numpy are used, so the
picture can be rebuilt anywhere::

    .venv/bin/python examples/make_example_image.py [out.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = 1024
SS = 2  # supersampling factor
N = SIZE * SS

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))


def _font(names: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for folder in FONT_DIRS:
        for name in names:
            path = folder / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _smooth(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    out: np.ndarray = t * t * (3.0 - 2.0 * t)
    return out


def _profile(y: np.ndarray) -> np.ndarray:
    """Half-width of the bottle (glass body, shoulder and neck) at row ``y`` (pixels of N)."""
    body_half = 0.205 * N
    neck_half = 0.085 * N
    shoulder_top, shoulder_bottom = 0.35 * N, 0.47 * N
    t = _smooth(shoulder_top, shoulder_bottom, y)
    half: np.ndarray = neck_half + (body_half - neck_half) * np.sqrt(np.clip(t, 0, 1) * (2 - t))
    return half


def _glass(yy: np.ndarray, xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB and alpha of the amber glass body with rounded base corners."""
    cx = N / 2
    top, bottom = 0.335 * N, 0.93 * N
    half = _profile(yy)
    # rounded base: shrink the half-width near the bottom
    base_r = 0.06 * N
    dy = np.clip(yy - (bottom - base_r), 0, None)
    half = half - (base_r - np.sqrt(np.clip(base_r**2 - dy**2, 0, None)))
    u = (xx - cx) / np.maximum(half, 1)
    inside = (np.abs(u) <= 1) & (yy >= top) & (yy <= bottom)
    aa = np.clip((half - np.abs(xx - cx)) / SS, 0, 1) * np.clip((bottom - yy) / SS, 0, 1)
    alpha = np.where(inside, aa, 0.0) * np.clip((yy - top) / SS, 0, 1)

    amber = np.array([0.62, 0.30, 0.08])
    dark = np.array([0.25, 0.09, 0.02])
    cyl = np.sqrt(np.clip(1 - u**2, 0, 1))
    # liquid fills the lower part: deeper amber, the empty top part is lighter glass
    liquid_line = 0.47 * N
    liquid = _smooth(liquid_line - 3 * SS, liquid_line + 3 * SS, yy)
    base = dark + (amber - dark) * (0.35 + 0.65 * cyl)[..., None]
    empty = np.array([0.80, 0.55, 0.32]) * (0.55 + 0.45 * cyl)[..., None]
    rgb = empty * (1 - liquid[..., None]) + base * liquid[..., None]
    # glowing core where light passes through the liquid
    glow = np.exp(-((u - 0.15) ** 2) / 0.12) * liquid * _smooth(0.55 * N, 0.9 * N, yy)
    rgb = rgb + np.array([0.35, 0.20, 0.05]) * glow[..., None] * 0.6
    # meniscus line
    men = np.exp(-(((yy - liquid_line) / (2.5 * SS)) ** 2)) * cyl
    rgb = rgb + np.array([0.4, 0.3, 0.2]) * men[..., None] * 0.5
    # edge darkening (glass thickness) and highlights
    edge = _smooth(0.75, 1.0, np.abs(u))
    rgb = rgb * (1 - 0.45 * edge[..., None])
    spec = np.exp(-(((u + 0.58) / 0.07) ** 2)) * _smooth(top, top + 0.08 * N, yy)
    spec *= 1 - _smooth(bottom - 0.1 * N, bottom, yy) * 0.7
    rim = np.exp(-(((u - 0.86) / 0.045) ** 2)) * 0.55
    soft = np.exp(-(((u + 0.3) / 0.25) ** 2)) * 0.12
    rgb = rgb + (spec * 0.85 + rim + soft)[..., None]
    # base: thick glass bottom catches light
    foot = _smooth(bottom - 0.05 * N, bottom - 0.01 * N, yy) * cyl
    rgb = rgb + np.array([0.3, 0.18, 0.08]) * foot[..., None]
    return np.clip(rgb, 0, 1), alpha


def _label_texture(width: int, height: int) -> Image.Image:
    """The flat label artwork (before it is wrapped around the bottle)."""
    label = Image.new("RGB", (width, height), (246, 239, 226))
    draw = ImageDraw.Draw(label)
    orange = (232, 112, 38)
    ink = (48, 36, 30)
    draw.rectangle((0, int(height * 0.06), width, int(height * 0.09)), fill=orange)
    draw.rectangle((0, int(height * 0.91), width, int(height * 0.94)), fill=orange)
    brand = _font(("NotoSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"), int(height * 0.2))
    small = _font(("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"), int(height * 0.075))
    tiny = _font(("NotoSans-Regular.ttf", "DejaVuSans.ttf"), int(height * 0.06))
    cx = width // 2

    def centred(y: float, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
                fill: tuple[int, int, int], spacing: int = 0) -> None:
        if spacing:
            widths = [draw.textlength(ch, font=font) for ch in text]
            total = sum(widths) + spacing * (len(text) - 1)
            x = cx - total / 2
            for ch, w in zip(text, widths, strict=True):
                draw.text((x, y), ch, font=font, fill=fill, anchor="lm")
                x += w + spacing
        else:
            draw.text((cx, y), text, font=font, fill=fill, anchor="mm")

    # a small sun mark above the brand
    r = int(height * 0.07)
    sy = int(height * 0.22)
    draw.ellipse((cx - r, sy - r, cx + r, sy + r), fill=orange)
    for k in range(12):
        ang = k * np.pi / 6
        x0, y0 = cx + np.cos(ang) * r * 1.35, sy + np.sin(ang) * r * 1.35
        x1, y1 = cx + np.cos(ang) * r * 1.75, sy + np.sin(ang) * r * 1.75
        draw.line((x0, y0, x1, y1), fill=orange, width=max(2, r // 5))
    centred(height * 0.45, "LUMÉA", brand, ink, spacing=int(height * 0.02))
    centred(height * 0.62, "VITAMIN C SERUM", small, orange, spacing=int(height * 0.012))
    draw.line((cx - width * 0.18, height * 0.71, cx + width * 0.18, height * 0.71),
              fill=ink, width=max(2, height // 120))
    centred(height * 0.79, "15% brightening · 30 ml", tiny, ink)
    return label


def _wrap_label(rgb: np.ndarray, alpha: np.ndarray, yy: np.ndarray, xx: np.ndarray) -> None:
    """Paint the label onto the glass, wrapped around the cylinder."""
    cx = N / 2
    top, bottom = 0.56 * N, 0.86 * N
    half = _profile(yy)
    u = (xx - cx) / np.maximum(half, 1)
    theta = np.arcsin(np.clip(u, -1, 1))
    span = np.deg2rad(64)  # the label covers ±64° of the circumference
    region = (yy >= top) & (yy <= bottom) & (np.abs(theta) <= span) & (alpha > 0)
    tex_w, tex_h = int(0.9 * N), int(bottom - top)
    tex = np.asarray(_label_texture(tex_w, tex_h), dtype=np.float32) / 255.0
    s = ((theta / span + 1) / 2 * (tex_w - 1)).astype(np.int32)
    t = np.clip((yy - top).astype(np.int32), 0, tex_h - 1)
    s = np.clip(s, 0, tex_w - 1)
    sample = tex[t, s]
    cyl = np.sqrt(np.clip(1 - u**2, 0, 1))
    shade = (0.62 + 0.38 * cyl)[..., None]
    sheen = np.exp(-(((u + 0.5) / 0.12) ** 2))[..., None] * 0.18
    edge_soft = _smooth(span, span * 0.97, np.abs(theta))
    paint = np.clip(sample * shade + sheen, 0, 1)
    w = (region * edge_soft)[..., None]
    rgb[:] = rgb * (1 - w) + paint * w


def _cap(canvas: Image.Image) -> None:
    """Gold collar, black rubber bulb and their highlights (drawn over the glass)."""
    arr = np.zeros((N, N, 4), dtype=np.float32)
    yy, xx = np.mgrid[0:N, 0:N].astype(np.float32)
    cx = N / 2

    def cylinder(top: float, bottom: float, half: float, colour: np.ndarray,
                 metallic: bool) -> None:
        u = (xx - cx) / half
        inside = (np.abs(u) <= 1) & (yy >= top) & (yy <= bottom)
        cyl = np.sqrt(np.clip(1 - u**2, 0, 1))
        if metallic:
            bands = 0.55 + 0.45 * np.cos(u * 5.2 + 0.6) ** 2
            shade = colour * (0.35 + 0.75 * bands * cyl)[..., None]
            shade = shade + np.exp(-(((u + 0.45) / 0.08) ** 2))[..., None] * 0.6
        else:
            shade = colour * (0.4 + 0.6 * cyl)[..., None]
            shade = shade + np.exp(-(((u + 0.5) / 0.1) ** 2))[..., None] * 0.25
        aa = np.clip((half - np.abs(xx - cx)) / SS, 0, 1)
        a = inside * aa
        arr[..., :3] = arr[..., :3] * (1 - a[..., None]) + np.clip(shade, 0, 1) * a[..., None]
        arr[..., 3] = np.maximum(arr[..., 3], a)

    gold = np.array([0.86, 0.66, 0.32])
    cylinder(0.285 * N, 0.352 * N, 0.098 * N, gold, True)  # collar
    cylinder(0.272 * N, 0.292 * N, 0.085 * N, gold * 0.8, True)  # collar lip
    # rubber bulb: a rounded dome
    bulb_top, bulb_bottom, half = 0.085 * N, 0.278 * N, 0.072 * N
    dome_r = half
    dome_c = bulb_top + dome_r
    yrel = np.where(yy < dome_c, (yy - dome_c) / dome_r, 0.0)
    width_here = np.sqrt(np.clip(1 - yrel**2, 0, 1)) * half
    waist = 1 - 0.12 * np.exp(-(((yy - 0.235 * N) / (0.03 * N)) ** 2))
    width_here = width_here * waist
    inside = (yy >= bulb_top) & (yy <= bulb_bottom) & (np.abs(xx - cx) <= width_here)
    aa = np.clip((width_here - np.abs(xx - cx)) / SS, 0, 1) * inside
    ub = (xx - cx) / np.maximum(width_here, 1)
    cyl = np.sqrt(np.clip(1 - ub**2, 0, 1))
    black = np.array([0.10, 0.09, 0.09])
    shade = black * (0.5 + 0.8 * cyl)[..., None]
    spec = np.exp(-(((ub + 0.45) / 0.12) ** 2)) * np.exp(-(((yy - 0.15 * N) / (0.05 * N)) ** 2))
    shade = shade + spec[..., None] * 0.45 + np.exp(-(((ub - 0.8) / 0.08) ** 2))[..., None] * 0.08
    shade = shade * (1 - 0.5 * np.exp(-(((yy - 0.235 * N) / (0.012 * N)) ** 2)))[..., None]
    a = aa.astype(np.float32)
    arr[..., :3] = arr[..., :3] * (1 - a[..., None]) + np.clip(shade, 0, 1) * a[..., None]
    arr[..., 3] = np.maximum(arr[..., 3], a)
    layer = Image.fromarray((arr * 255 + 0.5).astype(np.uint8), "RGBA")
    canvas.alpha_composite(layer)


def make(out: Path) -> Path:
    yy, xx = np.mgrid[0:N, 0:N].astype(np.float32)
    rgb, alpha = _glass(yy, xx)
    # the dropper pipette seen through the glass
    pip = np.exp(-(((xx - N / 2) / (0.012 * N)) ** 2)) * _smooth(0.34 * N, 0.36 * N, yy)
    pip *= 1 - _smooth(0.76 * N, 0.8 * N, yy)
    rgb = rgb * (1 - 0.35 * pip[..., None]) + 0.35 * pip[..., None] * np.array([0.9, 0.8, 0.6])
    _wrap_label(rgb, alpha, yy, xx)
    # soft shadow under the collar on the glass shoulder
    collar_shadow = np.exp(-(((yy - 0.36 * N) / (0.012 * N)) ** 2)) * 0.35
    rgb = rgb * (1 - collar_shadow[..., None])
    body = np.dstack([rgb, alpha])
    canvas = Image.fromarray((np.clip(body, 0, 1) * 255 + 0.5).astype(np.uint8), "RGBA")
    _cap(canvas)
    canvas = canvas.convert("RGBa").filter(ImageFilter.GaussianBlur(0.6)).convert("RGBA")
    canvas = canvas.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    # quantise the colour of fully transparent pixels so the PNG compresses well
    arr = np.asarray(canvas).copy()
    arr[arr[..., 3] == 0] = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr, "RGBA").save(out, optimize=True)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name(
        "serum-bottle.png"
    )
    path = make(target)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
