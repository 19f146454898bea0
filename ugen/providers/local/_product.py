"""The product plane: the cutout scaled, lit to match the scene, held or standing, with its
shadow (a drop shadow when held, contact shadow, cast shadow and reflection on the counter)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ugen.providers.local._color import RGB
from ugen.providers.local._cutout import Cutout
from ugen.providers.local._figure import FigureStyle, HandPlan, draw_fingers, plan_hand
from ugen.providers.local._layout import Layout
from ugen.providers.local._palette import Palette

HELD = ("hand", "hand_high", "hand_face", "chest")


@dataclass(frozen=True)
class ProductPlane:
    image: Image.Image  # RGBA: shadow + product (+ fingers)
    x: int
    y: int
    hand: HandPlan | None  # grip in frame px, already following the product's tilt


def _grade(img: Image.Image, pal: Palette, lay: Layout) -> Image.Image:
    """Light the cutout like the scene: key light from the product side, a rim on that edge,
    a little of the light's colour."""
    arr = np.asarray(img, dtype=np.float32) / 255.0
    rgb, a = arr[..., :3], arr[..., 3]
    w = a.shape[1]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)
    lit = x if lay.side > 0 else 1.0 - x
    rgb = rgb * (0.86 + 0.14 * lit)[None, :, None]
    light = np.array(pal.light, dtype=np.float32) / 255.0
    rgb = rgb * 0.94 + light * 0.06 * rgb.mean(axis=2, keepdims=True) * 1.4
    k = max(2, round(0.018 * w))
    shifted = np.roll(a, -lay.side * k, axis=1)
    if lay.side > 0:
        shifted[:, -k:] = 0
    else:
        shifted[:, :k] = 0
    rim = np.clip(a - shifted, 0, 1)
    rim_img = Image.fromarray((rim * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(max(1.0, k / 2)))
    rim = np.asarray(rim_img, dtype=np.float32) / 255.0 * a
    rgb = rgb + (light - rgb) * (rim * 0.38)[..., None]
    out = np.dstack([np.clip(rgb, 0, 1), a]) * 255.0
    return Image.fromarray((out + 0.5).astype(np.uint8), "RGBA")


def _rotate_point(p: tuple[float, float], centre: tuple[float, float],
                  degrees: float) -> tuple[float, float]:
    t = math.radians(degrees)
    dx, dy = p[0] - centre[0], p[1] - centre[1]
    return (centre[0] + dx * math.cos(t) + dy * math.sin(t),
            centre[1] - dx * math.sin(t) + dy * math.cos(t))


def _shadow(alpha: Image.Image, colour: RGB, opacity: float, blur: float) -> Image.Image:
    a = alpha.filter(ImageFilter.GaussianBlur(blur)).point(lambda v: round(v * opacity))
    out = Image.new("RGBA", alpha.size, (*colour, 0))
    out.putalpha(a)
    return out


def render_product(cutout: Cutout, style: FigureStyle, pal: Palette, lay: Layout) -> ProductPlane:
    x0, y0, x1, y1 = lay.product_box
    pw, ph = max(2, round(x1 - x0)), max(2, round(y1 - y0))
    prod = cutout.image.resize((pw, ph), Image.Resampling.LANCZOS)
    prod = _grade(prod, pal, lay)
    held = lay.spec.placement in HELD
    hand = plan_hand(lay, prod.getchannel("A")) if held else None
    pad = round(0.6 * lay.hu) if hand is not None else 4
    local = Image.new("RGBA", (pw + 2 * pad, ph + 2 * pad), (0, 0, 0, 0))
    local.paste(prod, (pad, pad))
    if hand is not None:
        local.alpha_composite(draw_fingers(style, lay, hand, prod.getchannel("A"), pad))
    angle = lay.product_angle
    if abs(angle) > 0.01:
        local = local.rotate(angle, Image.Resampling.BICUBIC, expand=True)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    lx = centre[0] - local.width / 2
    ly = centre[1] - local.height / 2
    if hand is not None:
        hand = HandPlan(_rotate_point(hand.grip, centre, angle), hand.finger, hand.band_top,
                        hand.wide)

    H = lay.height
    shade = pal.shadow
    parts: list[tuple[Image.Image, float, float]] = []
    if held:
        sh = _shadow(local.getchannel("A"), shade, 0.34, max(1.0, 0.012 * H))
        parts.append((sh, lx - lay.side * 0.022 * H, ly + 0.016 * H))
    else:
        base_y = y1
        # contact shadow
        cw, ch = round(pw * 1.15), max(6, round(0.09 * pw))
        contact = Image.new("L", (cw * 2, ch * 4), 0)
        ImageDraw.Draw(contact).ellipse((cw * 0.5, ch * 1.5, cw * 1.5, ch * 2.5), fill=210)
        parts.append((_shadow(contact, shade, 0.8, max(1.5, 0.006 * H)), centre[0] - cw,
                      base_y - ch * 2))
        # cast shadow raking along the counter, away from the light
        sh_h = max(3, round(min(0.14 * ph, 0.6 * (base_y - lay.horizon))))
        k = 2.4
        extra = round(k * sh_h)
        squashed = prod.getchannel("A").resize((pw, sh_h), Image.Resampling.BILINEAR)
        if lay.side > 0:  # shadow falls to the left: upper rows shift left
            coeffs = (1.0, -k, 0.0, 0.0, 1.0, 0.0)
            cx0 = x0 - extra
        else:
            coeffs = (1.0, k, -float(extra), 0.0, 1.0, 0.0)
            cx0 = x0
        cast = squashed.transform((pw + extra, sh_h), Image.Transform.AFFINE, coeffs,
                                  resample=Image.Resampling.BILINEAR)
        fade = np.linspace(0.35, 1.0, sh_h, dtype=np.float32)[:, None]
        cast = Image.fromarray((np.asarray(cast, dtype=np.float32) * fade).astype(np.uint8))
        parts.append((_shadow(cast, shade, 0.3, max(2.0, 0.008 * H)), cx0, base_y - sh_h))
        # reflection on the counter
        strength = {"marble": 0.26, "matte": 0.14, "wood": 0.12}.get(pal.surface_kind, 0.1)
        refl = prod.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        rh = min(ph, max(2, round(min(ph * 0.4, lay.counter_front - base_y))))
        if rh > 4:
            refl = refl.crop((0, 0, pw, rh))
            fade = np.linspace(strength, 0.0, rh, dtype=np.float32)[:, None]
            ra = np.asarray(refl.getchannel("A"), dtype=np.float32) * fade
            refl.putalpha(Image.fromarray(ra.astype(np.uint8)))
            refl = refl.filter(ImageFilter.GaussianBlur(max(0.8, 0.002 * H)))
            parts.append((refl, x0, base_y))
    parts.append((local, lx, ly))

    bx0 = math.floor(min(px for _, px, _ in parts))
    by0 = math.floor(min(py for _, _, py in parts))
    bx1 = math.ceil(max(px + im.width for im, px, _ in parts)) + 1
    by1 = math.ceil(max(py + im.height for im, _, py in parts)) + 1
    canvas = Image.new("RGBA", (bx1 - bx0, by1 - by0), (0, 0, 0, 0))
    for im, px, py in parts:
        canvas.alpha_composite(im, (round(px - bx0), round(py - by0)))
    return ProductPlane(canvas, bx0, by0, hand)
