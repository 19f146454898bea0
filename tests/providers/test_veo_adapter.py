"""The Veo adapter (google-genai SDK, Vertex AI) against the fake Vertex AI server."""

from __future__ import annotations

import logging

import pytest

from tests.providers.veo_kit import API_KEY, VeoRig
from tests.utils.video import poll_until_done
from ugen.media.probe import probe
from ugen.providers.base import (
    ContentPolicyError,
    PermanentProviderError,
    ProviderError,
)
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import VendorAuthError, VendorTaskGoneError


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
    veo.fake.fail_next_with = "Generated video is large, an output storage uri is required."
    adapter = veo.adapter()
    result = poll_until_done(adapter, adapter.submit(veo.request()))
    assert result.state == "failed" and result.error is not None
    assert "output storage uri is required" in result.error
    assert "UGEN_VEO_OUTPUT_GCS_URI" in result.error
