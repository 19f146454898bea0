"""Shot planning: turn a :class:`KeyframeShot` and a frame size into pixel placements.

All sizes derive from the frame height and the shot's closeness (wide → close-up), so one
plan works for 9:16, 16:9 and 1:1. The persona stands behind a counter whose top edge (the
"horizon") moves with the camera angle; the product is placed in the hand, on the counter or
against the chest depending on the interaction mode and the shot's product interaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ugen.providers.base import KeyframeShot
from ugen.providers.local._palette import stable_hash

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Expression:
    mouth: str  # smile | grin | open | o | smirk | flat | frown
    brows: str  # neutral | raised | one | worried | focused
    eyes: str  # open | happy | wide
    tilt: float  # head tilt in degrees (positive: towards the product)


@dataclass(frozen=True)
class ShotSpec:
    closeness: int  # 0 wide, 1 medium, 2 medium close-up, 3 close-up
    product_focus: bool  # product close-up / detail / hero shot
    angle: int  # -1 low angle, 0 eye level, 1 slightly high, 2 high
    placement: str  # hand | hand_high | hand_face | surface | chest
    gesture: str  # none | point | present | cheek
    expression: Expression


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    spec: ShotSpec
    horizon: float  # y of the counter's back edge
    counter_front: float  # y of the counter's front edge (may be below the frame)
    hu: float  # head height in pixels: the persona's unit
    head: tuple[float, float]  # centre of the head
    side: int  # +1: product to the right of the persona
    product_box: Box  # upright product box (before its small tilt)
    product_angle: float  # degrees, counter-clockwise
    product_depth: float  # parallax depth of the product plane
    bg_zoom: float  # how far the camera is "into" the room
    bg_anchor_x: float  # room x that sits behind the persona
    backdrop_blur: float  # depth-of-field blur of the room, in frame pixels
    persona_blur: float  # depth-of-field blur of the persona (product close-ups)


def _has(text: str, *words: str) -> bool:
    return any(w in text for w in words)


def parse_expression(text: str, seed: int) -> Expression:
    t = text.lower()
    jitter = (stable_hash("tilt", seed) % 5 - 2) * 0.8
    if _has(t, "surpris", "amazed", "shock", "wow", "astonish", "impressed"):
        return Expression("o", "raised", "wide", 2 + jitter)
    if _has(t, "delight", "excit", "thrill", "joy", "ecstatic", "laugh", "overjoy", "elated"):
        return Expression("grin", "raised", "happy", 5 + jitter)
    if _has(t, "curious", "intrigu", "question", "wonder", "inquisitive"):
        return Expression("smirk", "one", "open", 7 + jitter)
    if _has(t, "skeptic", "doubt", "thought", "pensive", "consider"):
        return Expression("flat", "one", "open", 4 + jitter)
    if _has(t, "frustrat", "annoy", "concern", "worr", "tired", "sad", "upset", "stress",
            "disappoint", "problem", "struggl"):
        return Expression("frown", "worried", "open", -3 + jitter)
    if _has(t, "confident", "assur", "proud", "determined", "cool", "knowing", "sure"):
        return Expression("smirk", "focused", "open", 2 + jitter)
    if _has(t, "talk", "explain", "speak", "energetic", "enthus", "animated"):
        return Expression("open", "raised", "open", 3 + jitter)
    if _has(t, "happy", "warm", "friendly", "smil", "satisf", "relax", "content", "calm",
            "glow", "radiant", "pleased"):
        return Expression("smile", "neutral", "open", 3 + jitter)
    return Expression("smile", "neutral", "open", 2 + jitter)


def parse_shot(shot: KeyframeShot, interaction_mode: str, seed: int) -> ShotSpec:
    kind = shot.shot_type.lower()
    product_focus = _has(kind, "product", "detail", "macro", "hero", "packshot", "insert")
    if _has(kind, "extreme", "close-up", "closeup", "close up", "tight"):
        closeness = 2 if _has(kind, "medium") else 3
    elif _has(kind, "medium"):
        closeness = 1
    elif _has(kind, "wide", "long", "full", "establish"):
        closeness = 0
    else:
        closeness = 1
    if product_focus:
        closeness = max(closeness, 2)
    angle_text = shot.camera_angle.lower()
    if _has(angle_text, "low"):
        angle = -1
    elif _has(angle_text, "overhead", "top", "bird") or (
        _has(angle_text, "high") and not _has(angle_text, "slight")
    ):
        angle = 2
    elif _has(angle_text, "high", "above"):
        angle = 1
    else:
        angle = 0

    action = shot.product_interaction.lower()
    mode = interaction_mode.lower()
    on_surface = _has(action, "table", "counter", "set down", "placing", "place", "beside",
                      "next to", "shelf", "standing", "on the", "display")
    pointing = _has(action, "point", "label", "tap", "gestur", "indicat")
    to_face = _has(action, "apply", "face", "skin", "cheek", "dab", "smooth", "massag", "spray")
    raised = _has(action, "up", "raise", "lift", "show", "toward", "camera", "present", "hold")
    gesture = "point" if pointing else "none"
    if mode == "display_static" or (on_surface and mode != "wearable"):
        placement = "surface"
        gesture = "point" if pointing else "present"
    elif mode == "wearable":
        placement = "chest"
    elif mode == "applied" or to_face:
        placement = "hand_face"
        gesture = "cheek" if to_face or not pointing else gesture
    elif raised and _has(action, "up", "raise", "lift", "camera"):
        placement = "hand_high"
    else:
        placement = "hand"
    return ShotSpec(closeness, product_focus, angle, placement, gesture,
                    parse_expression(shot.expression, seed + shot.index))


# closeness → (horizon, head top, visible torso in head units, product area share,
#              room zoom, room blur as a share of the height)
_SHOTS: dict[int, tuple[float, float, float, float, float, float]] = {
    0: (0.72, 0.30, 4.2, 0.095, 1.00, 0.0025),
    1: (0.78, 0.15, 3.4, 0.115, 1.18, 0.0040),
    2: (0.84, 0.10, 2.9, 0.130, 1.38, 0.0060),
    3: (0.90, 0.07, 2.2, 0.120, 1.60, 0.0080),
}
_ANGLE_HORIZON = {-1: 0.04, 0: 0.0, 1: -0.05, 2: -0.09}
_ANGLE_HEAD = {-1: -0.02, 0: 0.0, 1: 0.02, 2: 0.04}
_ANGLE_DEPTH = {-1: 0.06, 0: 0.11, 1: 0.16, 2: 0.22}
MIN_PRODUCT_SHARE = 0.085
FRAME_MARGIN = 0.04  # share of the frame's short side kept free around the (tilted) product


def _tilted_half(pw: float, ph: float, degrees: float) -> tuple[float, float]:
    """Half the width and height of the box around a ``pw`` × ``ph`` box turned ``degrees``."""
    t = math.radians(degrees)
    c, s = abs(math.cos(t)), abs(math.sin(t))
    return (pw * c + ph * s) / 2, (pw * s + ph * c) / 2


def plan_layout(spec: ShotSpec, width: int, height: int, product_aspect: float,
                light_side: int, seed: int) -> Layout:
    """Pixel placements for one keyframe."""
    W, H = float(width), float(height)
    margin = FRAME_MARGIN * min(W, H)
    portrait = W / H < 0.8
    horizon_r, head_top_r, torso, share, bg_zoom, blur_r = _SHOTS[spec.closeness]
    horizon = (horizon_r + _ANGLE_HORIZON[spec.angle]) * H
    head_top = (head_top_r + _ANGLE_HEAD[spec.angle]) * H
    counter_front = horizon + _ANGLE_DEPTH[spec.angle] * H
    hu = (horizon - head_top) / (torso + 0.6)
    hu = min(hu, (0.29 if portrait else 0.22) * W)
    if spec.product_focus:
        share = 0.24
    hy = head_top + 0.62 * hu

    # product size: an area share of the frame within tasteful height/width limits, but
    # never below MIN_PRODUCT_SHARE of the frame (thin or flat products get bigger)
    aspect = max(0.08, min(12.0, product_aspect))
    square = not portrait and W / H < 1.25
    wide_product = aspect > 1.0
    if spec.product_focus:
        ph_max, pw_max = (0.62 if portrait else 0.72) * H, (0.72 if portrait else 0.5) * W
    else:
        ph_max = (0.46 if portrait else 0.6) * H
        pw_max = (0.44 if portrait else 0.36) * W
        if wide_product:
            pw_max = (0.62 if portrait or square else 0.45) * W
    if spec.placement == "hand_face" and not spec.product_focus:
        ph_max = min(ph_max, 0.40 * H if portrait else 0.55 * H)
    if spec.placement == "surface":
        base = min(horizon + 0.55 * (counter_front - horizon), H - margin)
        ph_max = min(ph_max, base - 0.06 * H)
    area = max(share, MIN_PRODUCT_SHARE) * W * H
    ph = math.sqrt(area / aspect)
    pw = ph * aspect
    fit = min(1.0, ph_max / ph, pw_max / pw)
    ph, pw = ph * fit, pw * fit
    floor = MIN_PRODUCT_SHARE * 1.02 * W * H
    if ph * pw < floor:
        grow = math.sqrt(floor / (ph * pw))
        grow = min(grow, 0.9 * H / ph, 0.8 * W / pw)
        ph, pw = ph * grow, pw * grow

    side = 1 if light_side >= 0 else -1
    place = spec.placement
    rng = np.random.default_rng(stable_hash("layout", seed))
    if place in ("hand", "hand_high"):
        angle = -side * (5.0 + float(rng.uniform(-1.5, 1.5)))
    elif place == "hand_face":
        angle = side * (4.0 + float(rng.uniform(-1.0, 1.0)))
    else:
        angle = 0.0
    # the tilted product, with its margin, must fit in the frame
    half_w, half_h = _tilted_half(pw, ph, angle)
    fit = min(1.0, (W / 2 - margin) / half_w, (H / 2 - margin) / half_h)
    if fit < 1.0:
        pw, ph = pw * fit, ph * fit
        half_w, half_h = _tilted_half(pw, ph, angle)
    if place == "hand":
        cy, d = hy + 2.45 * hu, 1.0 * hu + 0.42 * pw
    elif place == "hand_high":
        cy, d = hy + 1.35 * hu, 1.0 * hu + 0.5 * pw
    elif place == "hand_face":
        cy, d = hy + 0.75 * hu, 0.62 * hu + 0.5 * pw
    elif place == "chest":
        cy, d = hy + 2.7 * hu, 0.2 * hu
    else:  # surface
        base = min(horizon + 0.55 * (counter_front - horizon), H - margin)
        cy, d = base - ph / 2, 1.3 * hu + 0.5 * pw
    if spec.product_focus:
        d = 0.75 * hu + 0.3 * pw
        if place != "surface":
            cy = max(cy, 0.52 * H)
    # vertical limits: the tilted product keeps its margin (and a little more at the top)
    cy = max(cy, max(0.035 * H, margin) + half_h)
    cy = min(cy, H - margin - half_h)

    # horizontal: centre the persona + product group, shrink the gap when it is too wide
    reach = 1.25 * hu
    def group(dist: float) -> tuple[float, float]:
        left = min(-reach, side * dist - pw / 2)
        right = max(reach, side * dist + pw / 2)
        return left, right
    left, right = group(d)
    limit = 0.94 * W
    if right - left > limit:
        d = max(0.3 * hu + 0.3 * pw, d - (right - left - limit))
        left, right = group(d)
    px = W / 2 - (left + right) / 2
    if spec.product_focus:
        px = W / 2 + side * 0.06 * W - side * d
    cx = px + side * d
    # keep the tilted product and its margin inside the frame (the persona follows)
    shift = 0.0
    if cx - half_w < margin:
        shift = margin - (cx - half_w)
    elif cx + half_w > W - margin:
        shift = W - margin - (cx + half_w)
    px, cx = px + shift, cx + shift

    depth = 0.8 if place == "surface" else (0.85 if place == "chest" else 1.0)
    return Layout(
        width=width, height=height, spec=spec, horizon=horizon, counter_front=counter_front,
        hu=hu, head=(px, hy), side=side,
        product_box=(cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2),
        product_angle=angle, product_depth=depth, bg_zoom=bg_zoom, bg_anchor_x=px,
        backdrop_blur=blur_r * H, persona_blur=0.0035 * H if spec.product_focus else 0.0,
    )
