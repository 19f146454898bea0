"""The offline keyframe provider: size, product, determinism, cutout, palette continuity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ugen.catalog import find_persona
from ugen.providers.base import KeyframeRequest, KeyframeShot, PermanentProviderError
from ugen.providers.local._cutout import load_cutout
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
