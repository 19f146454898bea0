"""Offline keyframe provider: a designed, motion-graphics style product ad still per shot.

Each keyframe is a small 2.5-D scene (see :mod:`ugen.providers.local.scene`): a softly lit
room whose palette comes from the product (anchor) or from the anchor (every later keyframe),
a flat-illustration persona in the persona's colours with the shot's expression and pose, and
the product cutout held, standing on the counter or shown against the body, with shadows and
a vignette. The shot plan drives framing (shot type, camera angle) and pose.

Beside ``<out>.png`` a sidecar ``<out>.png.layout.json`` records the placement of every layer,
the camera, the palette and the request, so the segment renderer can rebuild the layers and
animate them with parallax. Output is deterministic for a request (same seed, same PNG).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter, PngImagePlugin

from ugen.catalog import Persona
from ugen.providers.base import KeyframeRequest, KeyframeShot, PermanentProviderError
from ugen.providers.local._backdrop import BLEED, render_backdrop, render_counter
from ugen.providers.local._cutout import load_cutout
from ugen.providers.local._figure import (
    FigureStyle,
    HandPlan,
    Piece,
    blink_patch,
    draw_arms,
    draw_body,
    figure_style,
    mouth_patch,
    talk_mouth,
)
from ugen.providers.local._layout import Layout, parse_shot, plan_layout
from ugen.providers.local._palette import (
    PNG_KEY,
    Palette,
    derive_palette,
    palette_from_anchor,
    sidecar_path,
)
from ugen.providers.local._product import render_product
from ugen.providers.local.scene import (
    IDENTITY,
    Camera,
    Patch,
    Plane,
    SceneLayers,
    apply_vignette,
    compose,
)

__all__ = [
    "Camera",
    "LocalKeyframeProvider",
    "SceneLayers",
    "compose",
    "load_sidecar",
    "render_layers",
    "request_from_sidecar",
    "sidecar_path",
]

PROVIDER = "local-keyframes"
SIDECAR_VERSION = 1
MIDGROUND_DEPTH = 0.8
BACKDROP_DEPTH = 0.35
VIGNETTE = 0.24


class LocalKeyframeProvider:
    """Draws keyframes offline with Pillow and numpy (no model, no network)."""

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        try:
            layers = render_layers(request)
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            raise PermanentProviderError(f"cannot draw keyframe {request.shot.index}: {err}",
                                         provider=PROVIDER) from err
        image = compose(layers)
        out = request.out_path
        out.parent.mkdir(parents=True, exist_ok=True)
        info = PngImagePlugin.PngInfo()
        info.add_text(PNG_KEY, json.dumps(layers.palette.to_json(), sort_keys=True))
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        image.save(tmp, format="PNG", pnginfo=info, compress_level=4)
        os.replace(tmp, out)
        side = sidecar_path(out)
        side_tmp = side.with_name(f".{side.name}.{os.getpid()}.tmp")
        text = json.dumps(layout_sidecar(layers, request), indent=1)
        side_tmp.write_text(text)
        os.replace(side_tmp, side)
        remember_layers(layers_key(json.loads(text), layers.width, layers.height), layers)
        return out


# --- in-process cache: a segment rendered by the same process skips rebuilding the layers --

_CACHE: OrderedDict[str, SceneLayers] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 4


def layers_key(sidecar: dict[str, Any], width: int, height: int) -> str:
    blob = json.dumps(sidecar, sort_keys=True, separators=(",", ":"))
    return f"{hashlib.sha256(blob.encode('utf-8')).hexdigest()}:{width}x{height}"


def remember_layers(key: str, layers: SceneLayers) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = layers
        _CACHE.move_to_end(key)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


def clear_layer_cache() -> None:
    """Forget the layers kept for segments (tests, memory pressure)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def cached_layers(key: str) -> SceneLayers | None:
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
        return found


# --- layers --------------------------------------------------------------------------------


def render_layers(request: KeyframeRequest, *, palette: Palette | None = None) -> SceneLayers:
    """Build the three planes of a keyframe (nothing is written to disk).

    ``palette`` overrides the palette derivation (the segment renderer passes the one recorded
    in the sidecar).
    """
    width, height = request.width, request.height
    cutout = load_cutout(request.product_image)
    if palette is None:
        if request.anchor is None:
            palette = derive_palette(cutout.colours, request.environment_description,
                                     request.seed)
        else:
            palette = palette_from_anchor(request.anchor)
    spec = parse_shot(request.shot, request.interaction_mode, request.seed)
    layout = plan_layout(spec, width, height, cutout.aspect, palette.light_side, request.seed)
    style = figure_style(request.persona)

    back_img, bx, by, bscale = render_backdrop(palette, layout)
    backdrop = Plane("backdrop", back_img, bx, by, bscale, BACKDROP_DEPTH)
    product = render_product(cutout, style, palette, layout)
    product_plane = Plane("product", product.image, product.x, product.y, 1.0,
                          layout.product_depth)
    mid_plane, patches = _midground(style, palette, layout, product.hand)
    planes = tuple(apply_vignette(p, width, height, VIGNETTE)
                   for p in (backdrop, mid_plane, product_plane))
    patches = {k: _vignetted_patch(v, width, height) for k, v in patches.items()}
    return SceneLayers(width, height, planes, layout, palette, patches)


def _blurred(piece: Piece, radius: float) -> Piece:
    if radius <= 0.3:
        return piece
    pad = math.ceil(3 * radius)
    big = Image.new("RGBa", (piece.image.width + 2 * pad, piece.image.height + 2 * pad))
    big.paste(piece.image.convert("RGBa"), (pad, pad))
    img = big.filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")
    return Piece(img, piece.x - pad, piece.y - pad)


def _midground(style: FigureStyle, pal: Palette, lay: Layout,
               hand: HandPlan | None) -> tuple[Plane, dict[str, Patch]]:
    """Persona body, the counter in front of it, then the active arms."""
    W, H = lay.width, lay.height
    active: tuple[int, ...] = ()
    if hand is not None:
        active += (lay.side,)
    if lay.spec.gesture == "present":
        active += (lay.side,)
    elif lay.spec.gesture in ("point", "cheek"):
        active += (-lay.side if lay.spec.placement != "surface" else lay.side,)
    body = draw_body(style, lay, lay.horizon + 0.03 * H, active_sides=active)
    arms = draw_arms(style, lay, hand)
    body = _blurred(body, lay.persona_blur)
    if arms is not None:
        arms = _blurred(arms, lay.persona_blur)
    bleed_x, bleed_y = round(BLEED * W), round(BLEED * H)
    x0 = -bleed_x
    y0 = min(body.y, arms.y if arms is not None else body.y, math.floor(lay.horizon))
    x1, y1 = W + bleed_x, H + bleed_y
    canvas = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))

    def put(piece: Piece) -> None:
        dx, dy = piece.x - x0, piece.y - y0
        img = piece.image
        # clip to the canvas
        cx0, cy0 = max(0, -dx), max(0, -dy)
        cx1 = min(img.width, canvas.width - dx)
        cy1 = min(img.height, canvas.height - dy)
        if cx1 > cx0 and cy1 > cy0:
            canvas.alpha_composite(img.crop((cx0, cy0, cx1, cy1)), (dx + cx0, dy + cy0))

    put(body)
    cy = math.floor(lay.horizon)
    counter = render_counter(pal, lay, x0, cy, x1 - x0, y1 - cy)
    canvas.alpha_composite(counter, (0, cy - y0))
    if arms is not None:
        put(arms)
    # face patches that segments swap in: talking mouths and a blink
    patches: dict[str, Patch] = {}
    if lay.persona_blur <= 0.3:
        for level in (1, 2):
            piece = mouth_patch(style, lay, talk_mouth(lay.spec.expression, level))
            patches[f"talk{level}"] = Patch(piece.image, piece.x, piece.y)
        if lay.spec.expression.eyes != "happy":
            piece = blink_patch(style, lay)
            patches["blink"] = Patch(piece.image, piece.x, piece.y)
    return Plane("midground", canvas, float(x0), float(y0), 1.0, MIDGROUND_DEPTH), patches


def _vignetted_patch(patch: Patch, width: int, height: int) -> Patch:
    plane = apply_vignette(Plane("mouth", patch.image, patch.x, patch.y, 1.0, 0.0), width,
                           height, VIGNETTE)
    return Patch(plane.image, patch.x, patch.y)


# --- sidecar -------------------------------------------------------------------------------


def layout_sidecar(layers: SceneLayers, request: KeyframeRequest) -> dict[str, Any]:
    lay = layers.layout
    return {
        "version": SIDECAR_VERSION,
        "kind": "ugen.local.keyframe",
        "width": layers.width,
        "height": layers.height,
        "camera": IDENTITY.to_json(),
        "product_bbox": [round(v, 2) for v in lay.product_box],
        "product_angle": round(lay.product_angle, 3),
        "product_depth": lay.product_depth,
        "persona": {"head": [round(lay.head[0], 2), round(lay.head[1], 2)],
                    "head_height": round(lay.hu, 2), "side": lay.side},
        "horizon": round(lay.horizon, 2),
        "planes": [
            {"name": p.name, "x": p.x, "y": p.y, "width": p.image.width,
             "height": p.image.height, "scale": p.scale, "depth": p.depth}
            for p in layers.planes
        ],
        "palette": layers.palette.to_json(),
        "shot": asdict(request.shot),
        "request": {
            "product_image": str(request.product_image),
            "anchor": str(request.anchor) if request.anchor is not None else None,
            "persona": request.persona.model_dump(),
            "width": request.width,
            "height": request.height,
            "interaction_mode": request.interaction_mode,
            "environment_description": request.environment_description,
            "seed": request.seed,
        },
    }


def load_sidecar(image_path: Path) -> dict[str, Any] | None:
    """The layout sidecar of a keyframe made by this provider, or None."""
    path = sidecar_path(image_path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != SIDECAR_VERSION:
        return None
    return data


def request_from_sidecar(data: dict[str, Any], image_path: Path, *, width: int | None = None,
                         height: int | None = None) -> KeyframeRequest | None:
    """The keyframe request recorded in a sidecar (optionally at another size), or None when
    the sidecar or the product picture it names is unusable."""
    try:
        req = data["request"]
        product = Path(req["product_image"])
        if not product.exists():
            return None
        anchor = Path(req["anchor"]) if req.get("anchor") else None
        return KeyframeRequest(
            shot=KeyframeShot(**data["shot"]),
            product_image=product,
            anchor=anchor,
            persona=Persona(**req["persona"]),
            width=int(width if width is not None else req["width"]),
            height=int(height if height is not None else req["height"]),
            interaction_mode=str(req["interaction_mode"]),
            environment_description=req.get("environment_description"),
            seed=int(req["seed"]),
            out_path=image_path,
        )
    except (KeyError, TypeError, ValueError):
        return None


def palette_from_sidecar(data: dict[str, Any]) -> Palette | None:
    try:
        return Palette.from_json(data["palette"])
    except (KeyError, TypeError, ValueError):
        return None
