"""The Veo adapter (google-genai SDK, Vertex AI) against the fake Vertex AI server."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.providers.veo_kit import API_KEY, VeoRig
from tests.utils.video import poll_until_done
from ugen.core.config import Settings
from ugen.media.probe import probe
from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
)
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import (
    Timeouts,
    VendorAuthError,
    VendorTaskGoneError,
    load_vendor_models,
)
from ugen.providers.veo import VeoVideoProvider


def test_generate_segment_veo_returns_real_video(veo: VeoRig) -> None:
    adapter = veo.adapter()
    name = adapter.submit(veo.request())
    assert "/operations/" in name
    result = poll_until_done(adapter, name)
    assert result.state == "succeeded" and result.output is not None
    info = probe(result.output)
    assert info.video is not None and abs(info.duration - 8.0) < 0.2
    params = veo.fake.operations[name].parameters
    assert params["durationSeconds"] == 8 and params["aspectRatio"] == "9:16"
    assert params["resolution"] == "1080p" and params["generateAudio"] is True
    assert params["seed"] == 11 and params["sampleCount"] == 1
    assert params["personGeneration"] == "allow_adult" and params["negativePrompt"]
    assert veo.fake.operations[name].instance["lastFrame"]["mimeType"] == "image/png"
    # Veo's prompt guide: dialogue in quotes, so the native audio speaks the line.
    assert veo.fake.operations[name].instance["prompt"] == (
        'she lifts the bottle The creator says: "This serum changed my mornings."')
    assert info.audio is not None


def test_submit_segment_veo_twice_starts_one_operation(veo: VeoRig) -> None:
    request = veo.request()
    assert veo.adapter().submit(request) == veo.adapter().submit(request)
    assert veo.fake.submissions == 1


def test_submit_segment_veo_bad_key_fails_without_retry(veo: VeoRig) -> None:
    sleeps: list[float] = []
    adapter = veo.adapter(key="AIza-wrong")
    with pytest.raises(VendorAuthError, match="API key not valid"):
        call_with_retries(lambda: adapter.submit(veo.request()), sleep=sleeps.append)
    assert sleeps == [] and veo.fake.submissions == 0


def test_submit_segment_veo_rate_limited_is_retried(veo: VeoRig) -> None:
    veo.fake.inject("rate_limit", call="predictLongRunning")
    veo.fake.inject("server", call="predictLongRunning")
    sleeps: list[float] = []
    adapter = veo.adapter()
    name = call_with_retries(lambda: adapter.submit(veo.request()), sleep=sleeps.append,
                             base_delay_s=0.01)
    assert name in veo.fake.operations and len(sleeps) == 2 and sleeps[0] >= 2.0


def test_poll_segment_veo_safety_filter_is_content_policy(veo: VeoRig) -> None:
    veo.fake.filter_next_with = "The video could not be generated: it may depict a minor."
    adapter = veo.adapter()
    name = adapter.submit(veo.request())
    with pytest.raises(ContentPolicyError, match="depict a minor"):
        poll_until_done(adapter, name)


def test_submit_segment_veo_prompt_refused_is_content_policy(veo: VeoRig) -> None:
    veo.fake.inject("policy", call="predictLongRunning")
    with pytest.raises(ContentPolicyError, match="usage guidelines"):
        veo.adapter().submit(veo.request())


def test_poll_segment_veo_unknown_operation_is_gone(veo: VeoRig) -> None:
    name = ("projects/fake-project/locations/us-central1/publishers/google/models/"
            "veo-3.1-fast-generate-001/operations/nope")
    with pytest.raises(VendorTaskGoneError):
        veo.adapter().poll(name)


def test_submit_segment_veo_square_refused_before_any_call(veo: VeoRig) -> None:
    with pytest.raises(PermanentProviderError, match="square"):
        veo.adapter().submit(veo.request(size=(320, 320)))
    assert veo.fake.submissions == 0


def test_veo_key_never_in_errors_or_logs(veo: VeoRig,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = veo.adapter()
    texts = []
    for fault in ("auth", "policy", "server"):
        veo.fake.inject(fault)
        with pytest.raises(ProviderError) as err:
            adapter.submit(veo.request(seed=hash(fault) % 1000))
        texts.append(f"{err.value!s} {err.value!r}")
    for text in [caplog.text, *texts]:
        assert API_KEY not in text


def test_poll_segment_veo_large_video_without_bucket_says_what_to_set(veo: VeoRig) -> None:
    veo.fake.max_inline_bytes = 1_000_000  # smaller than Veo's 1080p video of 8 s
    adapter = veo.adapter()
    result = poll_until_done(adapter, adapter.submit(veo.request()))
    assert result.state == "failed" and result.error is not None
    assert "output storage uri is required" in result.error
    assert "UGEN_VEO_OUTPUT_GCS_URI" in result.error


def test_submit_segment_veo_4k_without_bucket_refused_before_any_call(veo: VeoRig) -> None:
    request = dataclasses.replace(veo.request(), model_id="veo3")  # 4k in video_vendors.toml
    with pytest.raises(PermanentProviderError, match="UGEN_VEO_OUTPUT_GCS_URI"):
        veo.adapter().submit(request)
    assert veo.fake.submissions == 0


def _predict(http: httpx.Client, model: str, resolution: str, frame: bytes) -> str:
    image = {"bytesBase64Encoded": base64.b64encode(frame).decode(), "mimeType": "image/png"}
    answer = http.post(f"/v1/publishers/google/models/{model}:predictLongRunning", json={
        "instances": [{"prompt": "she smiles", "image": image, "lastFrame": image}],
        "parameters": {"aspectRatio": "9:16", "durationSeconds": 8, "resolution": resolution,
                       "sampleCount": 1}})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["name"])


def _finished(http: httpx.Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    model_path = name.rpartition("/operations/")[0]  # as the SDK asks: the model's own path
    while time.monotonic() < deadline:
        op = http.post(f"/v1/{model_path}:fetchPredictOperation",
                       json={"operationName": name}).json()
        if op.get("done"):
            return dict(op)
        time.sleep(0.1)
    raise TimeoutError(name)


def test_fake_veo_enforces_vertex_inline_limit(veo: VeoRig) -> None:
    """Without storageUri, 1080p comes back inline and 4K ends in Vertex AI's error."""
    frame = veo.request().first_frame.read_bytes()
    model = "veo-3.1-generate-001"
    with httpx.Client(base_url=veo.url, headers={"x-goog-api-key": API_KEY}) as http:
        full_hd = _finished(http, _predict(http, model, "1080p", frame))
        four_k = _finished(http, _predict(http, model, "4k", frame))
    assert "bytesBase64Encoded" in full_hd["response"]["videos"][0]
    assert four_k["error"] == {"code": 3, "message": (
        "Generated video is large, an output storage uri is required.")}
    assert "response" not in four_k


def test_submit_segment_veo_retired_model_is_not_found(veo: VeoRig, tmp_path: Path) -> None:
    old = tmp_path / "vendors.toml"
    old.write_text('[models.veo3_fast]\nvendor = "veo"\nvendor_model = "veo-3.0-fast-generate-001"'
                   '\nresolution = "1080p"\nperson_generation = "allow_adult"\n')
    settings = Settings(data_dir=tmp_path / "d", veo_api_key=SecretStr(API_KEY),
                        veo_base_url=veo.url)
    adapter = VeoVideoProvider.from_settings(settings, models=load_vendor_models(old),
                                             work_dir=tmp_path / "out", timeouts=Timeouts())
    with pytest.raises(PermanentProviderError, match=r"veo-3\.0-fast-generate-001 is not found"):
        adapter.submit(veo.request())
    assert veo.fake.submissions == 0
