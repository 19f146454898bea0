"""Vision QA on OpenAI wrapped around the pixel judges, against the fake OpenAI API."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from pydantic import SecretStr

from tests.providers.fakes.openai import FakeOpenAI
from tests.providers.fakes.server import LoopbackServer
from tests.utils.images import product_png
from ugen.providers.base import PermanentProviderError
from ugen.providers.openai.judge import OpenAIVisionModel
from ugen.providers.vision_qa import (
    VisionAssessment,
    VisionKeyframeJudge,
    VisionSegmentJudge,
    sample_frames_args,
)
from ugen.qa.base import BELOW_THRESHOLD, CRITICAL_DEFECT, MODE_VIOLATION
from ugen.qa.pixels import PixelKeyframeJudge, PixelSegmentJudge

KEY = "sk-proj-judgeKey0123456789"


class BrokenModel:
    name = "broken"

    def assess(self, images: Sequence[tuple[str, Path]], question: str) -> VisionAssessment:
        raise PermanentProviderError("broken: no")


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI(api_key=KEY)


@pytest.fixture
def model(fake: FakeOpenAI) -> Iterator[OpenAIVisionModel]:
    with LoopbackServer(fake.app) as server:
        yield OpenAIVisionModel(api_key=SecretStr(KEY), base_url=f"{server.url}/v1",
                                timeout_s=20)


def scene(path: Path, *, dark: bool = False) -> Path:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 8 if dark else 255, (640, 360, 3), dtype=np.uint8)
    Image.fromarray(pixels).resize((360, 640)).save(path)
    return path


def judge_kwargs(tmp: Path) -> dict[str, Any]:
    return {"anchor": None, "product": product_png(tmp / "product.png"), "width": 360,
            "height": 640, "interaction_mode": "holdable", "qai_mode": "lenient"}


def test_judge_keyframe_vision_joins_pixel_score(model: OpenAIVisionModel, fake: FakeOpenAI,
                                                 tmp_path: Path) -> None:
    fake.verdict = lambda image: {"score": 0.4, "categories": ["MODE_VIOLATION"],
                                  "reasons": ["the product is not held"]}
    image, kwargs = scene(tmp_path / "kf.png"), judge_kwargs(tmp_path)
    pixel = PixelKeyframeJudge().judge_keyframe(image, **kwargs)
    judge = VisionKeyframeJudge(PixelKeyframeJudge(), [model])
    verdict = judge.judge_keyframe(image, **kwargs)

    assert verdict.checks["pixels"] == pixel.score and verdict.checks["vision"] == 0.4
    assert MODE_VIOLATION in verdict.categories and not verdict.passed
    assert verdict.score <= 0.30  # capped by the category's severity
    assert any("the product is not held" in r for r in verdict.reasons)
    body = fake.requests[0]["body"]
    assert body["model"] == "gpt-6-luna"
    assert "temperature" not in body  # a reasoning model: no sampling parameters
    assert body["response_format"]["json_schema"]["strict"] is True
    # The tokens are the judge's to report, under the judged keyframe.
    (usage,) = judge.usage.take(image)
    assert (usage.unit, usage.units, usage.provider) == ("token", 860, "openai")
    assert model.usage.take(image) == ()


def test_judge_keyframe_pixel_failure_stands_over_vision(model: OpenAIVisionModel,
                                                         fake: FakeOpenAI,
                                                         tmp_path: Path) -> None:
    fake.verdict = lambda image: {"score": 1.0, "categories": [], "reasons": []}
    image, kwargs = scene(tmp_path / "kf.png", dark=True), judge_kwargs(tmp_path)
    verdict = VisionKeyframeJudge(PixelKeyframeJudge(), [model]).judge_keyframe(image, **kwargs)

    assert not verdict.passed
    assert CRITICAL_DEFECT in verdict.categories and BELOW_THRESHOLD in verdict.categories


def test_judge_keyframe_vision_falls_back_then_pixels_alone(model: OpenAIVisionModel,
                                                            tmp_path: Path) -> None:
    image, kwargs = scene(tmp_path / "kf.png"), judge_kwargs(tmp_path)
    pixel = PixelKeyframeJudge().judge_keyframe(image, **kwargs)

    fallback = VisionKeyframeJudge(PixelKeyframeJudge(), [BrokenModel(), model])
    assert "vision" in fallback.judge_keyframe(image, **kwargs).checks
    alone = VisionKeyframeJudge(PixelKeyframeJudge(), []).judge_keyframe(image, **kwargs)
    assert (alone.score, alone.passed, alone.categories) == (pixel.score, pixel.passed,
                                                             pixel.categories)
    assert "pixel checks only" in alone.reasons[-1]


def test_judge_keyframe_bad_key_falls_back_to_pixels(fake: FakeOpenAI, tmp_path: Path) -> None:
    with LoopbackServer(fake.app) as server:
        wrong = OpenAIVisionModel(api_key=SecretStr("sk-wrong"), base_url=f"{server.url}/v1")
        image, kwargs = scene(tmp_path / "kf.png"), judge_kwargs(tmp_path)
        verdict = VisionKeyframeJudge(PixelKeyframeJudge(), [wrong]).judge_keyframe(image,
                                                                                  **kwargs)
    assert "vision" not in verdict.checks
    assert "Incorrect API key" in verdict.reasons[-1]


def test_judge_segment_vision_sees_sampled_frames(model: OpenAIVisionModel, fake: FakeOpenAI,
                                                  tmp_path: Path) -> None:
    video = tmp_path / "seg.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=180x320:rate=12:duration=2", "-pix_fmt", "yuv420p",
                    str(video)], check=True, timeout=60)
    first, last = scene(tmp_path / "a.png"), scene(tmp_path / "b.png")
    judge = VisionSegmentJudge(PixelSegmentJudge(), [model], frames=3)
    verdict = judge.judge_segment(video, first_keyframe=first, last_keyframe=last, fps=12,
                                  duration_s=2.0, qai_mode="standard")

    assert "vision" in verdict.checks
    assert [u.units for u in judge.usage.take(video)] == [860]  # billed to the segment
    parts = fake.requests[0]["body"]["messages"][1]["content"]
    assert sum(p["type"] == "image_url" for p in parts) == 5  # 2 keyframes + 3 frames


def test_sample_frames_args_spreads_frames() -> None:
    args = sample_frames_args(Path("v.mp4"), Path("f%02d.png"), duration_s=4.0, count=4)
    assert args[args.index("-frames:v") + 1] == "4"
    assert "fps=1.000000" in args[args.index("-vf") + 1]


def test_openai_vision_model_temperature_only_for_models_that_take_it(
        fake: FakeOpenAI, tmp_path: Path) -> None:
    image = scene(tmp_path / "kf.png")
    fake.retired_models = ()  # gpt-4o-mini: served until its shutdown on 2027-01-14
    with LoopbackServer(fake.app) as server:
        for model in ("gpt-4o-mini", "gpt-6-luna"):
            OpenAIVisionModel(api_key=SecretStr(KEY), base_url=f"{server.url}/v1",
                              model=model).assess([("keyframe", image)], "judge")
    sent = {r["body"]["model"]: r["body"].get("temperature") for r in fake.requests}
    assert sent == {"gpt-4o-mini": 0, "gpt-6-luna": None}


def test_fake_openai_refuses_temperature_on_a_reasoning_model(fake: FakeOpenAI) -> None:
    with LoopbackServer(fake.app) as server, httpx.Client(base_url=server.url) as http:
        answer = http.post("/v1/chat/completions", headers={"Authorization": f"Bearer {KEY}"},
                           json={"model": "gpt-6-luna", "temperature": 0, "messages": [],
                                 "response_format": {"type": "json_object"}})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400,
                                                                     "unsupported_parameter")
