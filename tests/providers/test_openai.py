"""OpenAI adapters (script agent, keyframe image edits) against the fake OpenAI API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr

from tests.providers.fakes.openai import FakeOpenAI
from tests.providers.fakes.server import LoopbackServer
from tests.utils.images import product_png
from ugen.catalog import find_persona
from ugen.core.config import Settings
from ugen.providers.base import (
    ContentPolicyError,
    KeyframeRequest,
    KeyframeShot,
    PermanentProviderError,
    ScriptRequest,
)
from ugen.providers.openai import OpenAIKeyframeProvider, OpenAIScriptAgent
from ugen.providers.openai.keyframes import edit_size
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import MissingCredentialsError, VendorAuthError, VendorQuotaError

KEY = "sk-proj-fakeOpenAIkey0123456789"


@dataclass
class Rig:
    fake: FakeOpenAI
    url: str
    tmp: Path
    product: Path

    def agent(self, key: str = KEY) -> OpenAIScriptAgent:
        return OpenAIScriptAgent(api_key=SecretStr(key), base_url=f"{self.url}/v1",
                                 timeout_s=20, attempts=3)

    def images(self, key: str = KEY, model: str | None = None) -> OpenAIKeyframeProvider:
        return OpenAIKeyframeProvider(
            api_key=SecretStr(key), base_url=f"{self.url}/v1", timeout_s=20,
            model=model or Settings(openai_api_key=None).openai_image_model)

    def script_request(self, **changes: object) -> ScriptRequest:
        persona = find_persona("maya")
        assert persona is not None
        base = ScriptRequest(
            product_name="GlowDrop Serum", product_image=self.product, persona=persona,
            segment_count=3, segment_duration=8.0, language="en", interaction_mode="holdable",
            script_structure="standard_5phase", script_tone="conversational",
            key_selling_points=("24-hour hydration",), cta_text="Shop now.", seed=1)
        return replace(base, **changes)  # type: ignore[arg-type]

    def keyframe_request(self, index: int, anchor: Path | None, *,
                         size: tuple[int, int] = (360, 640), prompt: str = "smiling") -> (
            KeyframeRequest):
        persona = find_persona("maya")
        assert persona is not None
        return KeyframeRequest(
            shot=KeyframeShot(index, "medium close-up", "eye level", "delighted",
                              "holding product up", prompt),
            product_image=self.product, anchor=anchor, persona=persona, width=size[0],
            height=size[1], interaction_mode="holdable", environment_description=None, seed=1,
            out_path=self.tmp / f"kf_{index:02d}.png")


@pytest.fixture
def oai(tmp_path: Path) -> Iterator[Rig]:
    fake = FakeOpenAI(api_key=KEY)
    product = product_png(tmp_path / "product.png")
    with LoopbackServer(fake.app) as server:
        yield Rig(fake, server.url, tmp_path, product)


def test_write_script_openai_fits_request_and_sends_image(oai: Rig) -> None:
    agent = oai.agent()
    script = agent.write_script(oai.script_request())

    assert [line.segment_index for line in script.lines] == [0, 1, 2]
    assert len(script.keyframes) == 4 and len(script.segment_prompts) == 3
    assert all("GlowDrop Serum" in line.text for line in script.lines)
    (sent,) = oai.fake.requests
    assert sent["body"]["text"]["format"]["strict"] is True
    parts = [p["type"] for p in sent["body"]["input"][0]["content"]]
    assert parts == ["input_text", "input_image"]
    (usage,) = agent.usage.take(oai.product)
    assert (usage.units, usage.unit) == (1300, "token")


def test_write_script_openai_invalid_output_retried_with_reason(oai: Rig) -> None:
    oai.fake.bad_scripts = 1
    script = oai.agent().write_script(oai.script_request())

    assert len(script.lines) == 3
    assert len(oai.fake.requests) == 2
    second = oai.fake.requests[1]["body"]["input"][0]["content"][0]["text"]
    assert "expected 3 lines, got 2" in second


def test_write_script_openai_output_out_of_schema_retried(oai: Rig) -> None:
    oai.fake.garbled_scripts = 1
    assert len(oai.agent().write_script(oai.script_request()).lines) == 3
    second = oai.fake.requests[1]["body"]["input"][0]["content"][0]["text"]
    assert "does not match the schema" in second


def test_from_settings_openai_without_key_is_missing_credentials() -> None:
    with pytest.raises(MissingCredentialsError, match="UGEN_OPENAI_API_KEY"):
        OpenAIScriptAgent.from_settings(Settings(openai_api_key=None))


def test_write_script_openai_invalid_output_exhausted_fails_with_reason(oai: Rig) -> None:
    oai.fake.bad_scripts = 5
    with pytest.raises(PermanentProviderError, match="invalid 3 times: expected 3 lines"):
        oai.agent().write_script(oai.script_request())
    assert len(oai.fake.requests) == 3


def test_write_script_openai_custom_script_kept_word_for_word(oai: Rig) -> None:
    custom = "This serum changed my mornings. It sinks in fast. Grab yours today."
    script = oai.agent().write_script(oai.script_request(custom_script=custom))
    assert " ".join(line.text for line in script.lines).split() == custom.split()


def test_write_script_openai_refusal_is_content_policy(oai: Rig) -> None:
    oai.fake.refuse = True
    with pytest.raises(ContentPolicyError, match="refused"):
        oai.agent().write_script(oai.script_request())


def test_write_script_openai_quota_fails_at_once(oai: Rig) -> None:
    oai.fake.faults.add(429, {"error": {"message": "You exceeded your current quota.",
                                        "type": "insufficient_quota",
                                        "code": "insufficient_quota"}})
    sleeps: list[float] = []
    with pytest.raises(VendorQuotaError, match="exceeded your current quota"):
        call_with_retries(lambda: oai.agent().write_script(oai.script_request()),
                          sleep=sleeps.append)
    assert sleeps == []


def test_generate_keyframe_openai_anchor_then_shot_uses_references(oai: Rig) -> None:
    provider = oai.images()
    anchor = provider.generate_keyframe(oai.keyframe_request(0, None))
    shot = provider.generate_keyframe(oai.keyframe_request(1, anchor))

    for path in (anchor, shot):
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == (360, 640)
    first, second = oai.fake.requests
    assert first["images"] == 1 and second["images"] == 2
    assert second["fields"]["size"] == "1024x1536"
    assert second["fields"]["model"] == "gpt-image-2.6-sunburst"
    assert "input_fidelity" not in second["fields"]  # GPT Image 2 models take none
    assert "establishes the person" in first["fields"]["prompt"]
    assert "Image 2 is the product" in second["fields"]["prompt"]
    assert [u.unit for u in provider.usage.take(shot)] == ["image"]


def test_edit_size_by_aspect_ratio() -> None:
    assert edit_size(1080, 1920) == "1024x1536"
    assert edit_size(1920, 1080) == "1536x1024"
    assert edit_size(1080, 1080) == "1024x1024"
    assert edit_size(1080, 1350) == "1024x1024"


def test_generate_keyframe_openai_moderation_is_content_policy(oai: Rig) -> None:
    with pytest.raises(ContentPolicyError, match="safety system"):
        oai.images().generate_keyframe(oai.keyframe_request(0, None, prompt="forbidden"))


def test_generate_keyframe_openai_rate_limit_honours_retry_after(oai: Rig) -> None:
    oai.fake.faults.add(429, {"error": {"message": "Rate limit reached", "type": "requests",
                                        "code": "rate_limit_exceeded"}},
                        headers={"Retry-After": "4"})
    sleeps: list[float] = []
    out = call_with_retries(lambda: oai.images().generate_keyframe(
        oai.keyframe_request(0, None)), sleep=sleeps.append, base_delay_s=0.01)
    assert out.is_file() and len(sleeps) == 1 and sleeps[0] >= 4.0


def test_openai_bad_key_fails_at_once_and_is_never_shown(
        oai: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sk-wrong-secret-key-value-77"
    sleeps: list[float] = []
    with pytest.raises(VendorAuthError) as caught:
        call_with_retries(lambda: oai.images(wrong).generate_keyframe(
            oai.keyframe_request(0, None)), sleep=sleeps.append)
    assert sleeps == []
    chain = [caught.value, caught.value.__cause__]
    for text in [caplog.text, *(str(e) for e in chain), *(repr(e) for e in chain)]:
        assert wrong not in text and KEY not in text


@pytest.mark.parametrize(("model", "sent"), [
    ("gpt-image-1.5", "high"),  # takes high and low
    ("gpt-image-1-mini", None),  # low only: the field is left out, not sent as "high"
    ("gpt-image-2.5-sunburst", None),
])
def test_generate_keyframe_openai_input_fidelity_only_where_the_model_takes_it(
        oai: Rig, model: str, sent: str | None) -> None:
    oai.fake.retired_models = ()  # as on a day both 1.x models were still served
    oai.images(model=model).generate_keyframe(oai.keyframe_request(0, None))
    (request,) = oai.fake.requests
    assert (request["fields"]["model"], request["fields"].get("input_fidelity")) == (model, sent)


def test_fake_openai_refuses_input_fidelity_the_model_does_not_take(oai: Rig) -> None:
    """The fake answers as OpenAI does, so an adapter that sent the field would fail."""
    with httpx.Client(base_url=oai.url) as http:
        answer = http.post("/v1/images/edits", headers={"Authorization": f"Bearer {KEY}"},
                           files={"image[]": ("p.png", oai.product.read_bytes(), "image/png")},
                           data={"model": "gpt-image-2.6-sunburst", "prompt": "hold it",
                                 "size": "1024x1024", "quality": "high",
                                 "output_format": "png", "input_fidelity": "high"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unsupported_parameter"
    assert "input_fidelity" in answer.json()["error"]["message"]
