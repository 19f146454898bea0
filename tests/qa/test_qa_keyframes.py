"""Pixel QA of keyframes: good ones pass, each bad one fails its one check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageEnhance

from tests.qa import scenes
from ugen.qa import PixelKeyframeJudge, QaVerdict


def _judge(judge: PixelKeyframeJudge, image: Path, anchor: Path | None, product: Path,
           mode: str = "standard", size: tuple[int, int] = (scenes.W, scenes.H)) -> QaVerdict:
    return judge.judge_keyframe(image, anchor=anchor, product=product, width=size[0],
                                height=size[1], interaction_mode="holdable", qai_mode=mode)


def _moved_smaller() -> Image.Image:
    return scenes.compose(scenes.background(), scenes.product_image(), centre=(0.6, 0.5),
                          scale=0.6)


def test_pass_anchor_when_judged_without_anchor(
    keyframe_judge: PixelKeyframeJudge, anchor_path: Path, product_path: Path
) -> None:
    verdict = _judge(keyframe_judge, anchor_path, None, product_path)
    assert verdict.passed, verdict.reasons
    assert "anchor_colour" not in verdict.checks


@pytest.mark.parametrize("build", [scenes.keyframe_b, _moved_smaller], ids=["moved", "smaller"])
def test_pass_keyframe_when_product_moved(
    build: Callable[[], Image.Image], keyframe_judge: PixelKeyframeJudge, anchor_path: Path,
    product_path: Path, qa_dir: Path,
) -> None:
    image = scenes.save(build(), qa_dir / f"good_{build.__name__}.png")
    verdict = _judge(keyframe_judge, image, anchor_path, product_path)
    assert verdict.passed, verdict.reasons
    assert verdict.categories == ()
    assert verdict.score >= 0.9


def _black() -> Image.Image:
    return Image.new("RGB", (scenes.W, scenes.H))


def _replaced() -> Image.Image:
    other = scenes.product_image(label="ZEST", colour=(170, 60, 40), seed=5)
    return scenes.place(scenes.background(), other, scenes.POSE_B)


def _stretched() -> Image.Image:
    return scenes.place(scenes.background(), scenes.stretched_product(), scenes.ANCHOR_POSE)


def _cropped() -> Image.Image:
    """The product half outside the frame, cut off by its right edge."""
    return scenes.compose(scenes.background(), scenes.product_image(), centre=(0.97, 0.55),
                          scale=0.9)


def _unrelated_layout() -> Image.Image:
    """Another place (stripes and discs) in the anchor's own colours, the product where the
    anchor has it: colour and product pass, no camera move makes it the anchor's scene."""
    recoloured = scenes.recoloured(scenes.unrelated_scene(), scenes.anchor())
    return scenes.place(recoloured, scenes.product_image(), scenes.ANCHOR_POSE)


BAD_KEYFRAMES: dict[str, tuple[Callable[[], Image.Image], str, str]] = {
    "wrong_size": (lambda: scenes.keyframe_b().resize((600, 960)), "size", "CRITICAL_DEFECT"),
    "black": (_black, "exposure", "CRITICAL_DEFECT"),
    "blurred": (lambda: scenes.blurred(scenes.keyframe_b(), 3), "sharpness", "VISUAL_ARTIFACT"),
    "relit": (lambda: scenes.relit(scenes.keyframe_b()), "anchor_colour",
              "TEMPORAL_INCONSISTENCY"),
    "product_missing": (scenes.background, "product", "PRODUCT_INTEGRITY"),
    "product_stretched": (_stretched, "product", "PRODUCT_INTEGRITY"),
    "product_replaced": (_replaced, "product", "PRODUCT_INTEGRITY"),
    "product_cropped": (_cropped, "product", "PRODUCT_INTEGRITY"),
    "layout_unrelated": (_unrelated_layout, "anchor_structure", "TEMPORAL_INCONSISTENCY"),
}


@pytest.mark.parametrize("case", list(BAD_KEYFRAMES))
def test_fail_keyframe_when_one_check_is_broken(
    case: str, keyframe_judge: PixelKeyframeJudge, anchor_path: Path, product_path: Path,
    qa_dir: Path,
) -> None:
    build, check, category = BAD_KEYFRAMES[case]
    image = scenes.save(build(), qa_dir / f"bad_{case}.png")
    verdict = _judge(keyframe_judge, image, anchor_path, product_path)
    assert not verdict.passed
    assert set(verdict.categories) == {category, "BELOW_THRESHOLD"}, verdict.reasons
    assert verdict.checks[check] < 0.5
    assert [c for c, v in verdict.checks.items() if v < 0.5] == [check]


def test_judge_keyframe_by_mode_when_borderline(
    keyframe_judge: PixelKeyframeJudge, anchor_path: Path, product_path: Path, qa_dir: Path
) -> None:
    image = scenes.save(scenes.blurred(scenes.keyframe_b(), 2), qa_dir / "slightly_blurred.png")
    verdicts = {m: _judge(keyframe_judge, image, anchor_path, product_path, m)
                for m in ("lenient", "standard", "strict")}
    assert verdicts["lenient"].passed
    assert not verdicts["standard"].passed
    assert not verdicts["strict"].passed
    assert "VISUAL_ARTIFACT" in verdicts["lenient"].categories
    assert "BELOW_THRESHOLD" not in verdicts["lenient"].categories


def test_fail_keyframe_when_file_is_not_an_image(
    keyframe_judge: PixelKeyframeJudge, product_path: Path, qa_dir: Path
) -> None:
    image = qa_dir / "broken.png"
    image.write_bytes(b"not a png at all")
    verdict = _judge(keyframe_judge, image, None, product_path)
    assert not verdict.passed
    assert "CRITICAL_DEFECT" in verdict.categories


def test_judge_keyframe_at_full_hd(
    anchor_path: Path, product_path: Path, qa_dir: Path
) -> None:
    def full(path: Path, name: str) -> Path:
        with Image.open(path) as img:
            return scenes.save(img.resize((1080, 1920), Image.Resampling.BICUBIC), qa_dir / name)

    image, anchor = full(anchor_path, "kf_1080.png"), full(anchor_path, "anchor_1080.png")
    verdict = _judge(PixelKeyframeJudge(), image, anchor, product_path, size=(1080, 1920))
    assert verdict.passed, verdict.reasons


def test_pass_keyframe_when_product_image_has_no_alpha(
    keyframe_judge: PixelKeyframeJudge, anchor_path: Path, keyframe_b_path: Path, qa_dir: Path
) -> None:
    product = scenes.product_image()
    packshot = Image.new("RGB", product.size, "white")
    packshot.paste(product, (0, 0), product)
    path = scenes.save(packshot, qa_dir / "packshot.png")
    verdict = _judge(keyframe_judge, keyframe_b_path, anchor_path, path)
    assert verdict.passed, verdict.reasons
    assert verdict.checks["product"] >= 0.9


def test_skip_product_check_when_product_image_is_missing(
    keyframe_judge: PixelKeyframeJudge, anchor_path: Path, keyframe_b_path: Path, qa_dir: Path
) -> None:
    verdict = _judge(keyframe_judge, keyframe_b_path, anchor_path, qa_dir / "nowhere.png")
    assert verdict.passed
    assert "product" not in verdict.checks
    assert any("not readable" in r for r in verdict.reasons)


@pytest.mark.parametrize("factor", [0.12, 4.0], ids=["too_dark", "too_bright"])
def test_flag_keyframe_exposure_when_far_off(
    factor: float, keyframe_judge: PixelKeyframeJudge, product_path: Path, qa_dir: Path
) -> None:
    image = scenes.save(ImageEnhance.Brightness(scenes.keyframe_b()).enhance(factor),
                        qa_dir / f"exposure_{factor}.png")
    verdict = _judge(keyframe_judge, image, None, product_path)
    assert not verdict.passed
    assert "VISUAL_ARTIFACT" in verdict.categories
    assert verdict.checks["exposure"] < 0.5


def test_judge_keyframe_skips_product_check_for_featureless_product(tmp_path: Path) -> None:
    product = tmp_path / "flat.png"
    art = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    ImageDraw.Draw(art).rectangle((120, 60, 280, 360), fill=(210, 90, 40, 255))
    art.save(product)
    frame = Image.effect_noise((540, 960), 60).convert("RGB")
    frame.paste(art.resize((200, 200)), (170, 400), art.resize((200, 200)))
    shot = tmp_path / "kf.png"
    frame.save(shot)
    verdict = PixelKeyframeJudge().judge_keyframe(
        shot, anchor=None, product=product, width=540, height=960,
        interaction_mode="holdable", qai_mode="standard")
    assert "product" not in verdict.checks
    assert any("too plain to locate" in r for r in verdict.reasons)
    assert "PRODUCT_INTEGRITY" not in verdict.categories
