"""Gemini adapters (script agent, keyframe images, QA vision) against the fake Gemini API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from tests.providers.fakes.gemini import FakeGemini
from tests.providers.fakes.server import LoopbackServer
from tests.utils.images import product_png
from ugen.catalog import find_persona
from ugen.providers.base import (
    ContentPolicyError,
    KeyframeRequest,
    KeyframeShot,
    PermanentProviderError,
    ScriptRequest,
    TransientProviderError,
)
from ugen.providers.gemini import GeminiKeyframeProvider, GeminiScriptAgent, GeminiVisionModel
from ugen.providers.gemini.keyframes import aspect_ratio
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import VendorAuthError

KEY = "AIzaFakeGeminiKey0123456789"


@dataclass
class Rig:
    fake: FakeGemini
    url: str
    tmp: Path
    product: Path

    def script_request(self, segments: int = 2) -> ScriptRequest:
        persona = find_persona("leo")
        assert persona is not None
        return ScriptRequest(
            product_name="Trail Bottle", product_image=self.product, persona=persona,
            segment_count=segments, segment_duration=6.0, language="en",
            interaction_mode="holdable", script_structure="standard_5phase",
            script_tone="energetic", seed=4)

    def keyframe_request(self, index: int, anchor: Path | None,
                         prompt: str = "smiling") -> KeyframeRequest:
        persona = find_persona("leo")
        assert persona is not None
        return KeyframeRequest(
            shot=KeyframeShot(index, "wide", "eye level", "confident", "pointing at label",
                              prompt),
            product_image=self.product, anchor=anchor, persona=persona, width=1080,
            height=1920, interaction_mode="holdable", environment_description="a trailhead",
            seed=1, out_path=self.tmp / f"kf_{index:02d}.png")


@pytest.fixture
def gem(tmp_path: Path) -> Iterator[Rig]:
    fake = FakeGemini(api_key=KEY)
    with LoopbackServer(fake.app) as server:
        yield Rig(fake, server.url, tmp_path, product_png(tmp_path / "product.png"))


def test_write_script_gemini_structured_output_fits(gem: Rig) -> None:
    agent = GeminiScriptAgent(api_key=SecretStr(KEY), base_url=gem.url, timeout_s=20)
    script = agent.write_script(gem.script_request(3))

    assert len(script.lines) == 3 and len(script.keyframes) == 4
    (sent,) = gem.fake.requests
    config = sent["body"]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert sent["model"] == "gemini-3.8-flash"
    assert any("inlineData" in p for p in sent["body"]["contents"][0]["parts"])
    assert agent.usage.take(gem.product)[0].units == 1000


def test_write_script_gemini_invalid_output_retried_then_fails(gem: Rig) -> None:
    gem.fake.bad_scripts = 1
    agent = GeminiScriptAgent(api_key=SecretStr(KEY), base_url=gem.url, attempts=2)
    assert len(agent.write_script(gem.script_request()).keyframes) == 3
    gem.fake.bad_scripts = 2
    with pytest.raises(PermanentProviderError, match="expected 3 keyframes, got 1"):
        agent.write_script(gem.script_request())


def test_generate_keyframe_gemini_references_and_aspect_ratio(gem: Rig) -> None:
    provider = GeminiKeyframeProvider(api_key=SecretStr(KEY), base_url=gem.url)
    anchor = provider.generate_keyframe(gem.keyframe_request(0, None))
    shot = provider.generate_keyframe(gem.keyframe_request(1, anchor))

    with Image.open(shot) as img:
        assert img.size == (1080, 1920)
    first, second = (r["body"] for r in gem.fake.requests)
    count = [sum("inlineData" in p for p in b["contents"][0]["parts"]) for b in (first, second)]
    assert count == [1, 2]
    assert second["generationConfig"]["imageConfig"]["aspectRatio"] == "9:16"
    assert second["generationConfig"]["responseModalities"] == ["IMAGE"]
    assert provider.usage.take(shot)[0].unit == "image"


def test_aspect_ratio_nearest_documented() -> None:
    assert aspect_ratio(1080, 1920) == "9:16"
    assert aspect_ratio(1080, 1350) == "4:5"
    assert aspect_ratio(1000, 1000) == "1:1"


def test_generate_keyframe_gemini_blocked_prompt_is_content_policy(gem: Rig) -> None:
    provider = GeminiKeyframeProvider(api_key=SecretStr(KEY), base_url=gem.url)
    with pytest.raises(ContentPolicyError, match="SAFETY"):
        provider.generate_keyframe(gem.keyframe_request(0, None, prompt="forbidden"))


def test_gemini_vision_model_answers_verdict(gem: Rig) -> None:
    model = GeminiVisionModel(api_key=SecretStr(KEY), base_url=gem.url)
    dark = gem.tmp / "dark.png"
    Image.new("RGB", (200, 300), (3, 3, 3)).save(dark)
    answer = model.assess([("keyframe", dark), ("product", gem.product)], "judge")
    assert answer.score < 0.5 and "CRITICAL_DEFECT" in answer.categories


def test_gemini_rate_limit_retry_delay_honoured(gem: Rig) -> None:
    gem.fake.faults.add(429, {"error": {
        "code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Resource has been exhausted",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                     "retryDelay": "9s"}]}})
    agent = GeminiScriptAgent(api_key=SecretStr(KEY), base_url=gem.url)
    sleeps: list[float] = []
    script = call_with_retries(lambda: agent.write_script(gem.script_request()),
                               sleep=sleeps.append, base_delay_s=0.01)
    assert len(script.lines) == 2 and len(sleeps) == 1 and sleeps[0] >= 9.0


def test_gemini_server_error_is_transient(gem: Rig) -> None:
    gem.fake.faults.add(503, {"error": {"code": 503, "status": "UNAVAILABLE",
                                        "message": "The model is overloaded."}})
    with pytest.raises(TransientProviderError, match="overloaded"):
        GeminiScriptAgent(api_key=SecretStr(KEY), base_url=gem.url).write_script(
            gem.script_request())


def test_gemini_bad_key_fails_at_once_and_is_never_shown(
        gem: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "AIzaWrongSecretKeyValue99"
    sleeps: list[float] = []
    with pytest.raises(VendorAuthError, match="API key not valid") as caught:
        call_with_retries(lambda: GeminiScriptAgent(
            api_key=SecretStr(wrong), base_url=gem.url).write_script(gem.script_request()),
            sleep=sleeps.append)
    assert sleeps == []
    chain = [caught.value, caught.value.__cause__]
    for text in [caplog.text, *(str(e) for e in chain), *(repr(e) for e in chain)]:
        assert wrong not in text


@pytest.mark.parametrize(("model", "temperature"), [
    ("gemini-3.8-flash", None), ("gemini-3.6-flash", None), ("gemini-2.5-flash-lite", 0)])
def test_gemini_vision_model_temperature_only_for_models_that_take_it(
        gem: Rig, model: str, temperature: int | None) -> None:
    GeminiVisionModel(api_key=SecretStr(KEY), base_url=gem.url, model=model).assess(
        [("keyframe", gem.product)], "judge")
    (sent,) = gem.fake.requests
    assert sent["model"] == model
    assert sent["body"]["generationConfig"].get("temperature") == temperature


def test_fake_gemini_refuses_temperature_where_the_model_does(gem: Rig) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"temperature": 0, "responseMimeType": "application/json",
                                 "responseSchema": {"type": "object"}}}
    with httpx.Client(base_url=gem.url, headers={"x-goog-api-key": KEY}) as http:
        answer = http.post("/v1beta/models/gemini-3.6-flash:generateContent", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "temperature" in answer.json()["error"]["message"]


def test_generate_keyframe_gemini_text_model_cannot_answer_an_image(gem: Rig) -> None:
    provider = GeminiKeyframeProvider(api_key=SecretStr(KEY), base_url=gem.url,
                                      model="gemini-3.8-flash")
    with pytest.raises(PermanentProviderError, match="response modalities"):
        provider.generate_keyframe(gem.keyframe_request(0, None))
