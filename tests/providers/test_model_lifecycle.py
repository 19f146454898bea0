"""Vendor models as they are today: the defaults are served, retired ids fail clearly, and a
job whose videos Vertex AI would not return inline is refused at ``prepare``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.providers.fakes import elevenlabs as fake_elevenlabs
from tests.providers.fakes import gemini as fake_gemini
from tests.providers.fakes import kling as fake_kling
from tests.providers.fakes import openai as fake_openai
from tests.providers.fakes import veo as fake_veo
from tests.providers.fakes.elevenlabs import FakeElevenLabs
from tests.providers.fakes.gemini import FakeGemini
from tests.providers.fakes.openai import FakeOpenAI
from tests.providers.fakes.retired_models import (
    CHECKED_ON,
    RETIRED,
    RetiredModel,
    VendorName,
    announced,
    retired,
)
from tests.providers.fakes.server import LoopbackServer
from tests.utils.jobs import submit, wait
from tests.utils.speech import spoken_track
from ugen import catalog, service
from ugen.core.config import Settings
from ugen.pipeline.prepare import JobValidationError
from ugen.pipeline.worker import start_worker
from ugen.providers.base import (
    KeyframeRequest,
    KeyframeShot,
    PermanentProviderError,
    ScriptRequest,
)
from ugen.providers.elevenlabs import ElevenLabsSpeechConverter
from ugen.providers.gemini import GeminiScriptAgent
from ugen.providers.openai import OpenAIKeyframeProvider
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import load_vendor_models
from ugen.store import ledger
from ugen.store.db import session_scope

OPENAI_KEY = "sk-proj-lifecycleOpenAI0123456789"
GEMINI_KEY = "AIzaLifecycleGemini0123456789"
ELEVENLABS_KEY = "sk_lifecycle_elevenlabs_0123456789"
VEO_KEY = "AIza-lifecycle-VEO-KEY-0c1d9f"

DEFAULTS: list[tuple[VendorName, str]] = [
    ("openai", "openai_script_model"), ("openai", "openai_image_model"),
    ("openai", "openai_judge_model"), ("gemini", "gemini_script_model"),
    ("gemini", "gemini_image_model"), ("gemini", "gemini_judge_model"),
    ("elevenlabs", "elevenlabs_sts_model"),
]
SERVED: dict[VendorName, tuple[str, ...]] = {
    "openai": fake_openai.LIVE_MODELS, "gemini": fake_gemini.LIVE_MODELS,
    "elevenlabs": fake_elevenlabs.STS_MODELS, "kling": fake_kling.MODELS,
    "veo": tuple(fake_veo.MODELS),
}


@pytest.mark.parametrize(("vendor", "field"), DEFAULTS)
def test_default_models_are_live(vendor: VendorName, field: str) -> None:
    """Served by the vendor, not retired and no shutdown announced: a default that goes
    into the retired table fails here (and in every test that calls its fake)."""
    model = str(Settings.model_fields[field].default)
    assert model in SERVED[vendor], f"{field}={model}: not among {vendor}'s models"
    row = announced(vendor, model)
    assert row is None, f"{field}={model}: {vendor} shuts it down on {row and row.shutdown}"


def test_video_vendor_models_are_live() -> None:
    for model_id, model in load_vendor_models().items():
        assert model.vendor_model in SERVED[model.vendor], model_id
        assert announced(model.vendor, model.vendor_model) is None, model_id


def test_retired_table_rows_are_dated_sourced_and_unique() -> None:
    keys = [(r.vendor, r.model) for r in RETIRED]
    assert len(keys) == len(set(keys))
    for row in RETIRED:
        assert row.source.startswith("https://") or "openai-python" in row.source, row
        assert dt.date(2024, 1, 1) <= row.shutdown <= dt.date(2028, 12, 31), row
    # the facts, as of the day the table was checked
    assert retired("openai", "gpt-image-1", on=CHECKED_ON) is not None
    assert retired("gemini", "gemini-2.5-flash", on=CHECKED_ON) is not None
    for model in ("gpt-4.1", "gpt-4o-mini"):
        found = announced("openai", model)
        assert found is not None and found.shutdown == dt.date(2027, 1, 14)
        assert retired("openai", model, on=CHECKED_ON) is None
        assert retired("openai", model, on=dt.date(2027, 1, 14)) is not None


# --- a retired id is refused as the vendor refuses it ---------------------------------------

@pytest.fixture
def openai_url() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(OPENAI_KEY)
    with LoopbackServer(fake.app) as server:
        yield fake, f"{server.url}/v1"


def _keyframe_request(tmp_path: Path, product: Path) -> KeyframeRequest:
    persona = catalog.find_persona("maya")
    assert persona is not None
    return KeyframeRequest(
        shot=KeyframeShot(0, "medium", "eye level", "happy", "holding product up", "smile"),
        product_image=product, anchor=None, persona=persona, width=360, height=640,
        interaction_mode="holdable", environment_description=None, seed=1,
        out_path=tmp_path / "kf_00.png")


def test_openai_retired_image_model_fails_clearly_without_retry(
        openai_url: tuple[FakeOpenAI, str], tmp_path: Path, product_image: Path) -> None:
    fake, url = openai_url
    provider = OpenAIKeyframeProvider(api_key=SecretStr(OPENAI_KEY), base_url=url,
                                      model="gpt-image-1")
    sleeps: list[float] = []
    with pytest.raises(PermanentProviderError) as err:
        call_with_retries(lambda: provider.generate_keyframe(
            _keyframe_request(tmp_path, product_image)), sleep=sleeps.append)
    assert "HTTP 404 model_not_found" in str(err.value) and "gpt-image-1" in str(err.value)
    assert sleeps == []
    assert [r["fields"]["model"] for r in fake.requests] == ["gpt-image-1"]


def test_gemini_retired_model_is_not_found(tmp_path: Path, product_image: Path) -> None:
    fake = FakeGemini(GEMINI_KEY)
    persona = catalog.find_persona("leo")
    assert persona is not None
    request = ScriptRequest(
        product_name="Trail Bottle", product_image=product_image, persona=persona,
        segment_count=2, segment_duration=6.0, language="en", interaction_mode="holdable",
        script_structure="standard_5phase", script_tone="energetic", seed=4)
    with LoopbackServer(fake.app) as server:
        agent = GeminiScriptAgent(api_key=SecretStr(GEMINI_KEY), base_url=server.url,
                                  model="gemini-2.5-flash")
        with pytest.raises(PermanentProviderError, match=r"404 NOT_FOUND.*gemini-2\.5-flash"):
            agent.write_script(request)


def test_elevenlabs_fake_refuses_a_retired_sts_model(tmp_path: Path) -> None:
    """ElevenLabs documents no retired speech-to-speech model: a row made for the test
    shows the fake consults the table."""
    fake = FakeElevenLabs(ELEVENLABS_KEY, retired_models=(RetiredModel(
        "elevenlabs", "eleven_english_sts_v2", dt.date(2026, 1, 1), "test row"),))
    source = spoken_track(["Glow serum is great."], "en", tmp_path / "speech.wav").path
    voice = next(iter(catalog.voices().values()))
    with LoopbackServer(fake.app) as server:
        converter = ElevenLabsSpeechConverter(
            api_key=SecretStr(ELEVENLABS_KEY), base_url=server.url,
            voice_ids={voice.id: "9BWtsMINqrJLrRacOk9x"}, model_id="eleven_english_sts_v2")
        with pytest.raises(PermanentProviderError, match="model_not_found"):
            converter.convert(source, voice=voice, out_path=tmp_path / "out.wav")


# --- Veo at 4K: refused at prepare without a bucket -------------------------------------------

def _balance(settings: Settings, account: str) -> tuple[int, int]:
    with session_scope(settings) as s:
        found = ledger.balance(s, account)
    return found.credit_balance, found.credit_reserved


def test_prepare_veo_4k_job_without_bucket_is_refused(
        settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_VEO_API_KEY", VEO_KEY)
    from ugen.core.config import get_settings

    live = get_settings()
    account = service.ensure_default_account(live)
    before = _balance(live, account)
    with pytest.raises(JobValidationError) as err:
        submit(live, product_image, video_model="veo3", segment_duration=8, segment_count=1,
               aspect_ratio="9:16")
    assert err.value.field == "video_model"
    assert "UGEN_VEO_OUTPUT_GCS_URI" in err.value.message and "4k" in err.value.message
    assert _balance(live, account) == before  # nothing reserved, no job
    assert service.list_job_views(live, account)[1] == 0


@pytest.mark.parametrize("env", [
    {"UGEN_VEO_API_KEY": VEO_KEY, "UGEN_VEO_OUTPUT_GCS_URI": "gs://bucket/veo/"},
    {},  # no Veo keys: rendered offline at any resolution
    {"UGEN_VEO_API_KEY": VEO_KEY, "UGEN_VIDEO_PROVIDER": "offline"},
])
def test_prepare_veo_4k_job_accepted_when_it_can_be_made(
        settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch,
        env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from ugen.core.config import get_settings

    job_id = submit(get_settings(), product_image, video_model="veo3", segment_duration=8,
                    segment_count=1, aspect_ratio="9:16")
    assert service.job_view(get_settings(), job_id).status == "queued"


# --- a retired default makes a job fail, saying which model -----------------------------------

@pytest.mark.slow
def test_run_job_with_retired_image_model_fails_naming_it(
        settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch,
        openai_url: tuple[FakeOpenAI, str]) -> None:
    fake, url = openai_url
    for name, value in {"UGEN_OPENAI_API_KEY": OPENAI_KEY, "UGEN_OPENAI_BASE_URL": url,
                        "UGEN_OPENAI_IMAGE_MODEL": "gpt-image-1"}.items():
        monkeypatch.setenv(name, value)
    from ugen.core.config import get_settings

    live = get_settings()
    start_worker(live)
    job_id = submit(live, product_image, music_enabled=False)
    view = wait(live, job_id, timeout=180)
    assert view["status"] == "failed"
    assert view["current_stage"] == "init"
    message = view["error_message"] or ""
    assert "gpt-image-1" in message and "model_not_found" in message, message
    edits = [r for r in fake.requests if r["route"] == "edits"]
    assert len(edits) == 1  # a permanent error: not retried
