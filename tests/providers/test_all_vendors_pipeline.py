"""One whole job with every vendor adapter selected at once, each against its fake.

The settings name the vendors the way an operator would (``UGEN_*`` keys and base URLs): the
OpenAI script agent (Responses, structured output) and GPT Image keyframe edits, the
vision QA judge (OpenAI for keyframes, Gemini for segments), Kling video, ElevenLabs
speech-to-speech and forced alignment. The job must complete, every fake must have seen the
authenticated calls the documentation asks for, and the job's usage must carry each vendor's
billable units.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.providers.fakes.elevenlabs import FakeElevenLabs
from tests.providers.fakes.gemini import FakeGemini
from tests.providers.fakes.kling import FakeKling
from tests.providers.fakes.openai import FakeOpenAI, data_url_image, pixel_digest
from tests.providers.fakes.server import LoopbackServer
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY
from tests.utils.jobs import output, submit, wait
from ugen import service
from ugen.core.config import Settings, get_settings
from ugen.media.probe import probe
from ugen.pipeline.outputs import CaptionsOutput, ConcatOutput, InitOutput
from ugen.pipeline.worker import start_worker
from ugen.providers import registry
from ugen.providers.elevenlabs import ElevenLabsAligner, ElevenLabsSpeechConverter
from ugen.providers.openai import OpenAIKeyframeProvider, OpenAIScriptAgent
from ugen.providers.video_router import VideoRouter
from ugen.providers.vision_qa import VisionKeyframeJudge, VisionSegmentJudge

pytestmark = pytest.mark.slow

OPENAI_KEY = "sk-proj-allVendorsOpenAI0123456789"
GEMINI_KEY = "AIzaAllVendorsGemini0123456789"
ELEVENLABS_KEY = "sk_allvendors_elevenlabs_0123456789"


@dataclass
class Vendors:
    openai: FakeOpenAI
    gemini: FakeGemini
    kling: FakeKling
    elevenlabs: FakeElevenLabs


@pytest.fixture
def vendors(tmp_path: Path, settings: Settings,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendors]:
    fakes = Vendors(
        openai=FakeOpenAI(OPENAI_KEY), gemini=FakeGemini(GEMINI_KEY),
        kling=FakeKling(tmp_path / "fake-kling", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                        processing_s=0.5),
        elevenlabs=FakeElevenLabs(ELEVENLABS_KEY))
    with ExitStack() as stack:
        urls = {name: stack.enter_context(LoopbackServer(getattr(fakes, name).app)).url
                for name in ("openai", "gemini", "kling", "elevenlabs")}
        env = {
            "UGEN_OPENAI_API_KEY": OPENAI_KEY, "UGEN_OPENAI_BASE_URL": f"{urls['openai']}/v1",
            "UGEN_GEMINI_API_KEY": GEMINI_KEY, "UGEN_GEMINI_BASE_URL": urls["gemini"],
            "UGEN_KLING_ACCESS_KEY": ACCESS_KEY, "UGEN_KLING_SECRET_KEY": SECRET_KEY,
            "UGEN_KLING_BASE_URL": urls["kling"],
            "UGEN_ELEVENLABS_API_KEY": ELEVENLABS_KEY,
            "UGEN_ELEVENLABS_BASE_URL": urls["elevenlabs"],
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fakes


def test_run_job_every_vendor_adapter_completes(settings: Settings, product_image: Path,
                                                vendors: Vendors) -> None:
    providers = registry.build_providers(get_settings())
    assert isinstance(providers.script_agent, OpenAIScriptAgent)
    assert isinstance(providers.keyframes, OpenAIKeyframeProvider)
    assert isinstance(providers.keyframe_judge, VisionKeyframeJudge)
    assert isinstance(providers.segment_judge, VisionSegmentJudge)
    assert isinstance(providers.video, VideoRouter) and "kling" in providers.video.vendors
    assert isinstance(providers.speech_converter, ElevenLabsSpeechConverter)
    assert isinstance(providers.aligner, ElevenLabsAligner)

    start_worker(settings)
    job_id = submit(settings, product_image, music_enabled=False, aspect_ratio="9:16")
    view = wait(settings, job_id, timeout=400)
    assert view["status"] == "completed", view["error_message"]
    segments = 2  # tests.utils.jobs.SMALL: two 3 s Kling segments

    # OpenAI: the script saw the product image; the anchor came from the product alone and
    # every later keyframe edit sent the anchor first and the product second.
    routes = [r["route"] for r in vendors.openai.requests]
    script = next(r["body"] for r in vendors.openai.requests if r["route"] == "responses")
    assert script["text"]["format"]["type"] == "json_schema"
    (image_part,) = [p for p in script["input"][0]["content"] if p["type"] == "input_image"]
    assert data_url_image(image_part["image_url"]).size[0] >= 256
    edits = [r for r in vendors.openai.requests if r["route"] == "edits"]
    assert len(edits) == segments + 1
    with Image.open(product_image) as img:
        product = pixel_digest(img)
    anchor_key = output(settings, job_id, InitOutput).anchor.artifact
    with Image.open(settings.artifacts_dir / anchor_key) as img:
        anchor = pixel_digest(img)
    # The anchor shot from the product image alone; every later shot from anchor + product.
    assert [e["digests"] for e in edits].count([product]) == 1
    later = [e for e in edits if e["digests"] != [product]]
    assert len(later) == segments
    assert all(e["digests"] == [anchor, product] for e in later)
    assert all("Image 1 is the first frame" in e["fields"]["prompt"] for e in later)
    assert {e["fields"]["size"] for e in edits} == {"1024x1536"}
    # Vision QA: OpenAI judged every keyframe, Gemini every segment.
    assert routes.count("chat") >= segments + 1
    assert len(vendors.gemini.requests) >= segments

    # Kling: one task per segment, authenticated (the fake checks the JWT on every call).
    assert vendors.kling.submissions == segments
    bodies = [t.body for t in vendors.kling.tasks.values()]
    assert {(b["model_name"], b["duration"], b["sound"]) for b in bodies} == {
        ("kling-v3", "3", "on")}
    # Each segment's prompt tells Kling the line to speak (its native audio is the speech).
    said = sorted(b["prompt"].rpartition("The creator says: ")[2] for b in bodies)
    assert said == [f'"Line {i + 1} Glow Serum."' for i in range(segments)], said

    # ElevenLabs: speech-to-speech at least once per segment (each has a spoken line) into
    # the job's mapped voice; forced alignment of the final voice track with the script.
    sts = [r for r in vendors.elevenlabs.requests if r["route"] == "sts"]
    assert len(sts) >= segments
    assert {r["fields"]["model_id"] for r in sts} == {"eleven_multilingual_sts_v2"}
    aligns = [r for r in vendors.elevenlabs.requests if r["route"] == "align"]
    assert aligns  # once, or again after a transient failure
    assert str(aligns[-1]["text"]).splitlines() == [s.strip('"') for s in said]
    captions = output(settings, job_id, CaptionsOutput)
    assert captions.alignment == "elevenlabs-forced-alignment" and captions.words

    # Cost truth: each capability's billable units, with the vendor that billed them.
    usage = service.job_usage(settings, job_id)
    expected = {"script": ("openai", "token"), "keyframe": ("openai", "image"),
                "video": ("kling", "second"), "voice_conversion": ("elevenlabs", "second"),
                "alignment": ("elevenlabs", "second")}
    for capability, (vendor, unit) in expected.items():
        row = usage[capability]
        assert (row["providers"], row["unit"]) == ([vendor], unit), (capability, row)
        assert row["units"] > 0 and row["calls"] >= 1, (capability, row)
    # The vision judges' tokens: OpenAI for the keyframes, Gemini for the segments.
    assert usage["qa"]["unit"] == "token" and usage["qa"]["units"] > 0
    assert sorted(usage["qa"]["providers"]) == ["gemini", "openai"]
    assert usage["qa"]["calls"] >= 2 * segments + 1
    assert usage["keyframe"]["units"] == segments + 1
    assert usage["video"]["units"] == 3.0 * segments
    assert usage["script"]["units"] == 1300  # the fake's total_tokens, one answer

    # The final video is a real MP4: H.264 + AAC, the concatenated timeline's length.
    info = probe(Path(view["final_video_path"]))
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.audio.codec) == ("h264", "aac")
    assert (info.video.width, info.video.height) == (1080, 1920)
    duration = output(settings, job_id, ConcatOutput).duration_s
    assert abs(info.duration - duration) <= 0.05 and duration > 5.5
