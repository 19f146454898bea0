"""Pixel QA of the offline keyframe provider's own pictures: the false positives it used to
find in correct keyframes (each case below was rejected before its check was fixed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.images import EXAMPLE_IMAGE, product_picture
from ugen import catalog
from ugen.providers.base import KeyframeRequest, KeyframeShot
from ugen.providers.local.keyframes import LocalKeyframeProvider
from ugen.qa import PixelKeyframeJudge, QaVerdict
from ugen.qa.imaging import (
    U8,
    WORK_LONG_SIDE,
    fit_long_side,
    gray,
    read_bgr,
    resize_to,
    ssim,
)
from ugen.qa.product import match_product, product_features

ANCHOR_SHOT = KeyframeShot(0, "medium", "eye level", "friendly",
                           "holding the Glow Serum at chest height", "")
CLOSE_UP = KeyframeShot(1, "product close-up", "slightly high", "focused",
                        "showing the label of the Glow Serum to the camera", "")


def _persona(job_seed: int) -> catalog.Persona:
    return sorted(catalog.personas().values(), key=lambda p: p.id)[job_seed % 4]


def _keyframe(out: Path, product: Path, shot: KeyframeShot, *, seed: int,
              anchor: Path | None = None, size: tuple[int, int] = (1080, 1920),
              persona: catalog.Persona | None = None) -> Path:
    """A keyframe of a job whose seed is ``seed // 1000`` (its persona), drawn with ``seed``."""
    return LocalKeyframeProvider().generate_keyframe(KeyframeRequest(
        shot=shot, product_image=product, anchor=anchor,
        persona=persona or _persona(seed // 1000),
        width=size[0], height=size[1], interaction_mode="holdable",
        environment_description=None, seed=seed, out_path=out))


def _judge(image: Path, product: Path, anchor: Path | None,
           size: tuple[int, int] = (1080, 1920)) -> QaVerdict:
    return PixelKeyframeJudge().judge_keyframe(
        image, anchor=anchor, product=product, width=size[0], height=size[1],
        interaction_mode="holdable", qai_mode="lenient")


def _work(path: Path) -> U8:
    """The picture at the judges' working size."""
    bgr = read_bgr(path)
    assert bgr is not None
    return fit_long_side(bgr, WORK_LONG_SIDE)


def _whole_frame_ssim(image: Path, anchor: Path) -> float:
    """The layout measure the structure check used before: the two frames as they are."""
    low = fit_long_side(_work(image), 128)
    tiny = gray(fit_long_side(low, 64))
    ref = resize_to(_work(anchor), low.shape[1], low.shape[0])
    return ssim(tiny, gray(resize_to(ref, tiny.shape[1], tiny.shape[0])))


def test_pass_product_close_up_that_reframes_the_anchor(tmp_path: Path) -> None:
    """The plan's close-up zooms into the anchor's room and blurs it while the product fills
    the middle: as whole frames the two differ (SSIM under 0.2, which failed the keyframe
    with TEMPORAL_INCONSISTENCY), as the same room reframed they do not."""
    anchor = _keyframe(tmp_path / "kf_00.png", EXAMPLE_IMAGE, ANCHOR_SHOT, seed=7000)
    close = _keyframe(tmp_path / "kf_01.png", EXAMPLE_IMAGE, CLOSE_UP, seed=7001,
                      anchor=anchor)
    assert _whole_frame_ssim(close, anchor) < 0.2
    verdict = _judge(close, EXAMPLE_IMAGE, anchor)
    assert verdict.passed, verdict.reasons
    assert verdict.checks["anchor_structure"] >= 0.9
    assert verdict.checks["product"] >= 0.9


def test_fail_close_up_when_the_persona_changed(tmp_path: Path) -> None:
    """The same close-up with somebody else in it, dressed in other colours, is not the
    anchor's scene any more: rejected however it is reframed."""
    first, other = _persona(0), _persona(1)
    assert first.top != other.top
    anchor = _keyframe(tmp_path / "kf_00.png", EXAMPLE_IMAGE, ANCHOR_SHOT, seed=7000,
                       persona=first)
    close = _keyframe(tmp_path / "kf_01.png", EXAMPLE_IMAGE, CLOSE_UP, seed=7001,
                      anchor=anchor, persona=other)
    verdict = _judge(close, EXAMPLE_IMAGE, anchor)
    assert not verdict.passed
    assert "TEMPORAL_INCONSISTENCY" in verdict.categories
    assert verdict.checks["anchor_colour"] < 0.5


def test_pass_flat_transparent_cutout_anchor(tmp_path: Path) -> None:
    """One flat colour on alpha: nothing to locate it by, so the product check stands aside
    (a vision judge's job) instead of reading a fold into corners of its outline."""
    product = product_picture("flat_cutout", tmp_path / "flat", seed=3)
    anchor = _keyframe(tmp_path / "kf_00.png", product, ANCHOR_SHOT, seed=3)
    verdict = _judge(anchor, product, None)
    assert verdict.passed, verdict.reasons
    assert "PRODUCT_INTEGRITY" not in verdict.categories
    assert any("too plain to locate" in r for r in verdict.reasons)


@pytest.mark.parametrize(("seed", "size"), [(0, (1920, 1080)), (4, (1080, 1920))],
                         ids=["landscape", "portrait"])
def test_locate_tall_tube_without_folding_its_outline(
    seed: int, size: tuple[int, int], tmp_path: Path
) -> None:
    """The tube's features lie in one column of letters and repeat: matched many-to-one they
    let RANSAC accept a homography that folds the outline onto a point. Matched one-to-one,
    and with that homography not trusted, the product keeps its shape, inside the frame."""
    product = product_picture("tall_cutout", tmp_path / "tube", seed=seed)
    anchor = _keyframe(tmp_path / "kf_00.png", product, ANCHOR_SHOT, seed=seed, size=size)
    features = product_features(product)
    assert features is not None
    match = match_product(features, _work(anchor))
    assert not match.distorted, match.detail
    assert match.placement is not None
    assert match.outside == 0.0
    verdict = _judge(anchor, product, None, size)
    assert verdict.passed, verdict.reasons


def test_pass_product_photo_on_a_busy_backdrop(tmp_path: Path) -> None:
    """A JPEG photo whose backdrop is not plain: the product is cut out of it, so its
    colours are compared where the matched features are, not over the backdrop."""
    product = product_picture("jpeg_scene", tmp_path / "photo", seed=108)
    anchor = _keyframe(tmp_path / "kf_00.png", product, ANCHOR_SHOT, seed=108)
    verdict = _judge(anchor, product, None)
    assert verdict.passed, verdict.reasons
    assert verdict.checks["product"] >= 0.9


def test_find_the_whole_product_in_a_keyframe_of_every_aspect(tmp_path: Path) -> None:
    for size in ((1080, 1920), (1920, 1080), (1080, 1080)):
        kf = _keyframe(tmp_path / f"kf_{size[0]}x{size[1]}.png", EXAMPLE_IMAGE, ANCHOR_SHOT,
                       seed=11, size=size)
        features = product_features(EXAMPLE_IMAGE)
        assert features is not None
        match = match_product(features, _work(kf))
        assert match.placement is not None and match.inliers >= 24
        assert match.outside == 0.0, size
