"""Fixtures of the QA tests: the product, the anchor, keyframes and frames, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.qa import scenes
from ugen.qa import PixelKeyframeJudge, PixelSegmentJudge


@pytest.fixture(scope="session")
def qa_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("qa")


@pytest.fixture(scope="session")
def product_path(qa_dir: Path) -> Path:
    return scenes.save(scenes.product_image(), qa_dir / "product.png")


@pytest.fixture(scope="session")
def anchor_path(qa_dir: Path) -> Path:
    return scenes.save(scenes.anchor(), qa_dir / "anchor.png")


@pytest.fixture(scope="session")
def keyframe_b_path(qa_dir: Path) -> Path:
    return scenes.save(scenes.keyframe_b(), qa_dir / "keyframe_b.png")


@pytest.fixture(scope="session")
def unrelated_path(qa_dir: Path) -> Path:
    return scenes.save(scenes.unrelated_scene(), qa_dir / "unrelated.png")


@pytest.fixture(scope="session")
def path_frames() -> list[scenes.Frame]:
    return scenes.path_frames()


@pytest.fixture(scope="session")
def keyframe_judge() -> PixelKeyframeJudge:
    return PixelKeyframeJudge()


@pytest.fixture
def segment_judge() -> PixelSegmentJudge:
    return PixelSegmentJudge()
