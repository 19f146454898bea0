"""The offline keyframe provider: size, product, determinism, cutout, palette continuity."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ugen.catalog import find_persona
from ugen.providers.base import KeyframeRequest, KeyframeShot, PermanentProviderError
from ugen.providers.local._cutout import load_cutout
from ugen.providers.local._layout import (
    FRAME_MARGIN,
    Expression,
    Layout,
    ShotSpec,
    plan_layout,
)
from ugen.providers.local.keyframes import (
    LocalKeyframeProvider,
    compose,
    load_sidecar,
    render_layers,
    sidecar_path,
)

MAGENTA = (214, 36, 150)
LABEL = (250, 214, 40)


def _bottle(size: tuple[int, int] = (300, 520)) -> Image.Image:
    """A magenta bottle with a yellow label, on transparency."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    w, h = size
    d.rounded_rectangle((w * 0.38, 0, w * 0.62, h * 0.2), radius=12, fill=(30, 30, 30, 255))
    d.rounded_rectangle((w * 0.1, h * 0.16, w * 0.9, h), radius=40, fill=(*MAGENTA, 255))
    d.rectangle((w * 0.1, h * 0.5, w * 0.9, h * 0.72), fill=(*LABEL, 255))
    return img


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("product") / "bottle.png"
    _bottle().save(path)
    return path


def _request(product: Path, out: Path, *, shot: KeyframeShot | None = None,
             anchor: Path | None = None, seed: int = 5, size: tuple[int, int] = (360, 640),
             mode: str = "holdable", env: str | None = "cozy kitchen") -> KeyframeRequest:
    persona = find_persona("maya")
    assert persona is not None
    return KeyframeRequest(
        shot=shot or KeyframeShot(0, "medium close-up", "eye level", "delighted",
                                  "holding product up", "prompt"),
        product_image=product, anchor=anchor, persona=persona, width=size[0], height=size[1],
        interaction_mode=mode, environment_description=env, seed=seed, out_path=out,
    )


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def _near(region: np.ndarray, colour: tuple[int, int, int], tol: float = 70.0) -> float:
    dist = np.sqrt(((region - np.array(colour)) ** 2).sum(axis=-1))
    return float((dist < tol).mean())


def test_keyframe_size_product_and_sidecar(product: Path, tmp_path: Path) -> None:
    out = tmp_path / "kf0.png"
    path = LocalKeyframeProvider().generate_keyframe(_request(product, out))
    assert path == out
    with Image.open(out) as img:
        assert img.size == (360, 640)
    side = load_sidecar(out)
    assert side is not None and sidecar_path(out).exists()
    x0, y0, x1, y1 = side["product_bbox"]
    assert (x1 - x0) * (y1 - y0) >= 0.08 * 360 * 640
    region = _rgb(out)[max(0, int(y0)):int(y1), max(0, int(x0)):int(x1)]
    # the product's own colours fill its box, and they are rare elsewhere in the frame
    assert _near(region, MAGENTA) > 0.25
    assert _near(region, LABEL) > 0.05
    frame = _rgb(out)
    assert _near(frame, MAGENTA) * frame.shape[0] * frame.shape[1] < 2.5 * _near(
        region, MAGENTA) * region.shape[0] * region.shape[1]
    assert {p["name"] for p in side["planes"]} == {"backdrop", "midground", "product"}


def test_deterministic_per_seed(product: Path, tmp_path: Path) -> None:
    prov = LocalKeyframeProvider()
    a = _rgb(prov.generate_keyframe(_request(product, tmp_path / "a.png", seed=11)))
    b = _rgb(prov.generate_keyframe(_request(product, tmp_path / "b.png", seed=11)))
    c = _rgb(prov.generate_keyframe(_request(product, tmp_path / "c.png", seed=12)))
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 2.0


def test_layers_compose_to_the_keyframe(product: Path, tmp_path: Path) -> None:
    req = _request(product, tmp_path / "k.png")
    LocalKeyframeProvider().generate_keyframe(req)
    again = np.asarray(compose(render_layers(req)), dtype=np.int16)
    assert np.array_equal(again, _rgb(req.out_path))


def test_plain_background_is_removed(tmp_path: Path) -> None:
    # a product photographed on near-white: white label inside must stay opaque
    img = Image.new("RGB", (400, 400), (246, 245, 243))
    d = ImageDraw.Draw(img)
    d.ellipse((110, 60, 290, 360), fill=(30, 90, 200))
    d.rectangle((150, 170, 250, 250), fill=(247, 246, 244))
    path = tmp_path / "photo.png"
    img.save(path)
    cut = load_cutout(path)
    alpha = np.asarray(cut.image.getchannel("A"))
    assert not cut.had_alpha
    assert cut.image.width < 260 and cut.image.height < 330  # cropped to the product
    h, w = alpha.shape
    assert alpha[0, 0] == 0 and alpha[h - 1, w - 1] == 0  # corners: background
    assert alpha[h // 2, w // 2] == 255  # the white label inside the product stays
    assert alpha[h // 4, w // 2] == 255
    out = LocalKeyframeProvider().generate_keyframe(
        _request(path, tmp_path / "kf.png", mode="display_static"))
    assert out.exists()


def test_later_keyframes_share_the_anchor_palette(product: Path, tmp_path: Path) -> None:
    prov = LocalKeyframeProvider()
    anchor = prov.generate_keyframe(_request(product, tmp_path / "anchor.png", seed=3,
                                             env="bright bathroom"))
    shots = [
        KeyframeShot(1, "wide", "slightly high", "curious", "pointing at label", "p"),
        KeyframeShot(2, "product close-up", "low angle", "confident", "holding product", "p"),
    ]
    outs = [prov.generate_keyframe(_request(product, tmp_path / f"k{s.index}.png", shot=s,
                                            anchor=anchor, seed=3 + s.index))
            for s in shots]
    anchor_palette = json.loads(sidecar_path(anchor).read_text())["palette"]
    top = _rgb(anchor)[:40].reshape(-1, 3).mean(axis=0)
    for out in outs:
        assert json.loads(sidecar_path(out).read_text())["palette"] == anchor_palette
        other = _rgb(out)[:40].reshape(-1, 3).mean(axis=0)
        assert np.abs(top - other).max() < 30
    # an anchor from elsewhere (no sidecar, no text chunk): palette is estimated from pixels
    foreign = tmp_path / "foreign.png"
    Image.fromarray(_rgb(anchor).astype(np.uint8)).save(foreign)
    out = prov.generate_keyframe(_request(product, tmp_path / "kf.png", shot=shots[0],
                                          anchor=foreign))
    other = _rgb(out)[:40].reshape(-1, 3).mean(axis=0)
    assert np.abs(top - other).max() < 40


@pytest.mark.parametrize(("size", "mode", "shot_type"), [
    ((640, 360), "holdable", "medium"),
    ((360, 360), "display_static", "wide"),
    ((360, 640), "wearable", "close-up"),
    ((640, 360), "applied", "product close-up"),
])
def test_formats_and_modes_keep_the_product_visible(product: Path, tmp_path: Path,
                                                   size: tuple[int, int], mode: str,
                                                   shot_type: str) -> None:
    shot = KeyframeShot(0, shot_type, "eye level", "happy", "showing it", "p")
    out = LocalKeyframeProvider().generate_keyframe(
        _request(product, tmp_path / "f.png", shot=shot, size=size, mode=mode))
    frame = _rgb(out)
    assert frame.shape[:2] == (size[1], size[0])
    side = load_sidecar(out)
    assert side is not None
    x0, y0, x1, y1 = side["product_bbox"]
    assert x0 >= 0 and y0 >= 0 and x1 <= size[0] and y1 <= size[1]
    assert (x1 - x0) * (y1 - y0) >= 0.08 * size[0] * size[1]
    assert _near(frame, MAGENTA) > 0.04


def test_unreadable_product_is_a_permanent_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"definitely not a picture")
    with pytest.raises(PermanentProviderError):
        LocalKeyframeProvider().generate_keyframe(_request(bad, tmp_path / "k.png"))


def _tilted_box(lay: Layout) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = lay.product_box
    t = math.radians(lay.product_angle)
    w, h = x1 - x0, y1 - y0
    half_w = (w * abs(math.cos(t)) + h * abs(math.sin(t))) / 2
    half_h = (w * abs(math.sin(t)) + h * abs(math.cos(t))) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def test_every_layout_keeps_the_tilted_product_inside_the_frame() -> None:
    """Every shot, camera angle, placement and frame, for slim to wide products: the product,
    tilted as it is held, keeps FRAME_MARGIN of the short side free on every side (the anchor
    of a wide product in 16:9 used to lose its corner below the frame)."""
    expression = Expression("smile", "neutral", "open", 2.0)
    worst = 1.0
    for (width, height), closeness, focus, angle, placement, aspect, side in itertools.product(
            [(1080, 1920), (1920, 1080), (1080, 1080)], range(4), (False, True),
            (-1, 0, 1, 2), ("hand", "hand_high", "hand_face", "surface", "chest"),
            (0.15, 0.25, 0.5, 1.0, 2.5, 6.0), (1, -1)):
        spec = ShotSpec(closeness, focus, angle, placement, "none", expression)
        lay = plan_layout(spec, width, height, aspect, side, seed=closeness + angle)
        x0, y0, x1, y1 = _tilted_box(lay)
        margin = min(x0, y0, width - x1, height - y1) / min(width, height)
        worst = min(worst, margin)
        assert (x1 - x0) * (y1 - y0) > 0.04 * width * height  # still a sizeable product
    assert worst >= FRAME_MARGIN - 1e-6


def test_photo_on_a_busy_backdrop_is_cut_out_opaque(tmp_path: Path) -> None:
    """A product photographed on a textured, graded wall over a table: no single backdrop
    colour to take out. The product comes out solid (the label and body opaque, not
    see-through), the wall and table transparent."""
    rng = np.random.default_rng(1)
    h, w = 900, 700
    y = np.linspace(0.0, 1.0, h)[:, None, None]
    wall = np.array([190.0, 170.0, 150.0]) * (1.0 - 0.35 * y) + rng.normal(0, 9, (h, w, 3))
    img = Image.fromarray(np.clip(wall, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 740, w, h), fill=(110, 85, 60))
    d.rounded_rectangle((180, 250, 520, 840), radius=40, fill=(40, 190, 210))  # the bottle
    d.rectangle((260, 120, 440, 260), fill=(30, 30, 30))  # its cap
    d.rectangle((220, 420, 480, 700), fill=(246, 240, 226))  # its label
    path = tmp_path / "photo.jpg"
    img.save(path, quality=88)
    cut = load_cutout(path)
    alpha = np.asarray(cut.image.getchannel("A"))
    assert not cut.had_alpha
    assert cut.image.width < 0.7 * w  # cropped to the product, the wall gone
    ch, cw = alpha.shape
    assert alpha[0, 0] == 0 and alpha[0, cw - 1] == 0  # wall beside the cap
    body = alpha[round(0.45 * ch):round(0.85 * ch), round(0.2 * cw):round(0.8 * cw)]
    assert body.min() == 255  # label and body solid


def test_busy_backdrop_photo_without_a_product_region_stays_whole(tmp_path: Path) -> None:
    """Nothing stands out from the texture: the photo is kept whole and opaque."""
    noise = np.random.default_rng(2).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    path = tmp_path / "noise.png"
    Image.fromarray(noise).save(path)
    cut = load_cutout(path)
    assert cut.image.size == (300, 300)
    assert np.asarray(cut.image.getchannel("A")).min() > 200
