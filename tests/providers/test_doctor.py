"""``ugen doctor`` against the fake vendors: keys reported, never shown; keys checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.providers.fakes.elevenlabs import FakeElevenLabs
from tests.providers.fakes.gemini import FakeGemini
from tests.providers.fakes.openai import FakeOpenAI
from tests.providers.fakes.server import LoopbackServer
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.providers.veo_kit import API_KEY, VeoAdcRig, VeoRig
from ugen.cli import app
from ugen.core.config import Settings

runner = CliRunner()
OPENAI_KEY = "sk-proj-doctorListOpenAI0123456789"
GEMINI_KEY = "AIzaDoctorListGemini0123456789"
ELEVENLABS_KEY = "sk_doctor_list_elevenlabs_0123456789"


def doctor(*args: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    result = runner.invoke(app, ["doctor", "--json", *args])
    rows = json.loads(result.stdout)
    return result.exit_code, {r["capability"]: r for r in rows}, result.stdout


def test_doctor_without_keys_reports_offline_providers(settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY", "UGEN_VEO_API_KEY",
                 "UGEN_VEO_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    code, rows, _ = doctor("--check-network")
    assert code == 0
    assert rows["video (offline)"]["provider"] == "LocalVideoProvider"
    assert rows["video (kling)"]["keys"] == "missing"
    assert rows["video (kling)"]["enable"] == ["UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY"]
    assert rows["video (veo)"]["network"] == "skipped"
    assert {"script_agent", "keyframes", "voice", "music"} <= rows.keys()
    # the offline speech converter is the voice provider's own, named as such
    assert rows["speech_converter"]["provider"] == "LocalVoiceProvider"
    for vendor, key in (("openai", "UGEN_OPENAI_API_KEY"), ("gemini", "UGEN_GEMINI_API_KEY"),
                        ("elevenlabs", "UGEN_ELEVENLABS_API_KEY")):
        row = rows[f"vendor ({vendor})"]
        assert (row["keys"], row["network"], row["enable"]) == ("missing", "skipped", [key])
        assert row["detail"].startswith("would serve")


def test_doctor_check_network_accepts_good_keys(settings: Settings, kling: KlingRig,
                                                veo: VeoRig,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    monkeypatch.setenv("UGEN_VEO_API_KEY", API_KEY)
    monkeypatch.setenv("UGEN_VEO_BASE_URL", veo.url)
    code, rows, out = doctor("--check-network")
    assert code == 0, out
    for vendor in ("kling", "veo"):
        row = rows[f"video ({vendor})"]
        assert (row["keys"], row["network"]) == ("present", "ok"), row
        assert row["detail"].startswith("selected")
    assert kling.fake.submissions == 0 and veo.fake.submissions == 0
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY):
        assert secret not in out


def test_doctor_check_network_reports_refused_key(settings: Settings, kling: KlingRig,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", "sk-wrong-but-long-enough-for-hs256-0000")
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    monkeypatch.delenv("UGEN_VEO_API_KEY", raising=False)
    monkeypatch.delenv("UGEN_VEO_PROJECT", raising=False)
    code, rows, out = doctor("--check-network", "--timeout", "2")
    assert code == 1
    assert rows["video (kling)"]["network"] == "refused"
    assert "sk-wrong" not in out


def test_doctor_all_vendors_reports_each_selected_provider(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"UGEN_OPENAI_API_KEY": "sk-proj-doctorOpenAI0123456789",
            "UGEN_GEMINI_API_KEY": "AIzaDoctorGemini0123456789",
            "UGEN_ELEVENLABS_API_KEY": "sk_doctor_elevenlabs_0123456789",
            "UGEN_KLING_ACCESS_KEY": ACCESS_KEY, "UGEN_KLING_SECRET_KEY": SECRET_KEY,
            "UGEN_VEO_API_KEY": API_KEY}
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    code, rows, out = doctor()
    assert code == 0, out
    selected = {capability: (row["provider"], row["keys"], row["detail"])
                for capability, row in rows.items()}
    assert selected["script_agent"] == ("OpenAIScriptAgent", "present", "openai: gpt-6-luna")
    assert selected["keyframes"] == ("OpenAIKeyframeProvider", "present",
                                     "openai: gpt-image-2.6-sunburst")
    assert selected["aligner"][:2] == ("ElevenLabsAligner", "present")
    assert selected["speech_converter"] == ("ElevenLabsSpeechConverter", "present",
                                            "elevenlabs: eleven_multilingual_sts_v2")
    assert selected["keyframe_judge"] == (
        "VisionKeyframeJudge", "present",
        "pixel checks, then vision: openai:gpt-6-luna, then gemini:gemini-3.8-flash")
    assert selected["segment_judge"] == (
        "VisionSegmentJudge", "present",
        "pixel checks, then vision: gemini:gemini-3.8-flash, then openai:gpt-6-luna")
    assert selected["voice"][:2] == ("LocalVoiceProvider", "not needed")
    assert selected["music"][:2] == ("LocalMusicProvider", "not needed")
    assert rows["video (kling)"]["detail"].startswith("selected for kling3_4k")
    assert rows["video (veo)"]["detail"] == (
        "selected for veo3, veo3_fast; Vertex AI express mode (API key); videos: inline bytes; "
        "veo3 also needs UGEN_VEO_OUTPUT_GCS_URI (Vertex AI returns 4K videos only through "
        "Cloud Storage)")
    assert rows["vendor (openai)"]["detail"] == (
        "serves script_agent, keyframes, keyframe_judge, segment_judge")
    assert rows["vendor (gemini)"]["detail"] == "serves keyframe_judge, segment_judge"
    assert rows["vendor (elevenlabs)"]["detail"] == "serves aligner, speech_converter"
    for secret in keys.values():
        assert secret not in out


def test_doctor_check_network_veo_with_adc(settings: Settings, veo_adc: VeoAdcRig,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_VEO_PROJECT", veo_adc.fake.project)
    monkeypatch.setenv("UGEN_VEO_BASE_URL", veo_adc.url)
    monkeypatch.setenv("UGEN_VEO_OUTPUT_GCS_URI", "gs://ugen-test-bucket/veo/")
    code, rows, out = doctor("--check-network")
    assert code == 0, out
    row = rows["video (veo)"]
    assert (row["keys"], row["network"]) == ("present", "ok"), row
    assert "Application Default Credentials for project fake-project" in row["detail"]
    assert "videos: gs://ugen-test-bucket/veo/" in row["detail"]
    assert [r["scopes"] for r in veo_adc.google.requests if r["route"] == "token"] == [
        ["https://www.googleapis.com/auth/cloud-platform"]]
    assert veo_adc.fake.submissions == 0


def test_doctor_check_network_veo_without_adc_is_refused(
        settings: Settings, veo_adc: VeoAdcRig, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    monkeypatch.setenv("UGEN_VEO_PROJECT", veo_adc.fake.project)
    monkeypatch.setenv("UGEN_VEO_BASE_URL", veo_adc.url)
    code, rows, out = doctor("--check-network")
    assert code == 1, out
    row = rows["video (veo)"]
    assert row["network"] == "refused" and "GOOGLE_APPLICATION_CREDENTIALS" in row["detail"]


NAMES = ("LocalScriptAgent", "LocalKeyframeProvider", "LocalVoiceProvider",
         "LocalMusicProvider", "LocalWordAligner", "PixelKeyframeJudge", "PixelSegmentJudge",
         "LocalVideoProvider", "UGEN_OPENAI_API_KEY", "UGEN_GEMINI_API_KEY",
         "UGEN_ELEVENLABS_API_KEY", "UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY",
         "UGEN_VEO_API_KEY", "UGEN_VEO_PROJECT", "UGEN_VEO_OUTPUT_GCS_URI",
         "UGEN_OPENAI_IMAGE_MODEL", "UGEN_ELEVENLABS_STS_MODEL", "gpt-image-2.6-sunburst",
         "eleven_multilingual_sts_v2", "veo-3.1-fast-generate-001")


def test_doctor_text_at_80_columns_keeps_whole_names(settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY", "UGEN_VEO_API_KEY",
                 "UGEN_VEO_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [ln for ln in lines if len(ln) > 80]
    assert "…" not in result.stdout
    words = set(result.stdout.split())
    for name in NAMES:
        assert name in words or f"{name}," in words or f"({name}" in words, name
    vendors = [ln.split()[0] for ln in lines[lines.index("Vendors") + 1:]
               if ln.startswith("  ") and not ln.startswith("   ")]
    assert vendors == ["OpenAI", "Gemini", "ElevenLabs", "Kling", "Veo"]
    speech = next(ln for ln in lines if ln.strip().startswith("speech_converter"))
    assert speech.split() == ["speech_converter", "LocalVoiceProvider"]


def test_doctor_text_narrow_terminal_never_cuts_a_name(settings: Settings) -> None:
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "40"})
    assert result.exit_code == 0
    for name in NAMES:
        assert name in result.stdout, name


@dataclass
class KeyedFakes:
    openai: FakeOpenAI
    gemini: FakeGemini
    elevenlabs: FakeElevenLabs


@pytest.fixture
def keyed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyedFakes]:
    fakes = KeyedFakes(FakeOpenAI(OPENAI_KEY), FakeGemini(GEMINI_KEY, max_page_size=3),
                       FakeElevenLabs(ELEVENLABS_KEY))
    with ExitStack() as stack:
        urls = {n: stack.enter_context(LoopbackServer(getattr(fakes, n).app)).url
                for n in ("openai", "gemini", "elevenlabs")}
        for name, value in {
                "UGEN_OPENAI_API_KEY": OPENAI_KEY, "UGEN_OPENAI_BASE_URL": f"{urls['openai']}/v1",
                "UGEN_GEMINI_API_KEY": GEMINI_KEY, "UGEN_GEMINI_BASE_URL": urls["gemini"],
                "UGEN_ELEVENLABS_API_KEY": ELEVENLABS_KEY,
                "UGEN_ELEVENLABS_BASE_URL": urls["elevenlabs"]}.items():
            monkeypatch.setenv(name, value)
        yield fakes


def _models(row: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {m["setting"]: (m["model"], m["state"]) for m in row["models"]}


def test_doctor_check_network_lists_models_and_checks_the_configured_ones(
        keyed: KeyedFakes) -> None:
    code, rows, out = doctor("--check-network")
    assert code == 0, out
    for vendor in ("openai", "gemini", "elevenlabs"):
        row = rows[f"vendor ({vendor})"]
        assert (row["keys"], row["network"]) == ("present", "ok"), row
        assert {state for _, state in _models(row).values()} == {"offered"}, row
    listed = len(keyed.gemini.offered())
    assert f"key accepted ({listed} models listed)" in rows["vendor (gemini)"]["detail"]
    pages = [r["query"] for r in keyed.gemini.requests if r.get("route") == "models"]
    assert len(pages) == -(-listed // 3) and pages[1]["pageToken"] == "3"  # every page
    assert [r["route"] for r in keyed.openai.requests] == ["models"]  # nothing else called
    for secret in (OPENAI_KEY, GEMINI_KEY, ELEVENLABS_KEY):
        assert secret not in out


def test_doctor_check_network_flags_models_not_offered_or_shutting_down(
        keyed: KeyedFakes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_OPENAI_SCRIPT_MODEL", "gpt-4.1")  # shutdown announced
    monkeypatch.setenv("UGEN_OPENAI_IMAGE_MODEL", "gpt-image-1")  # shut down
    monkeypatch.setenv("UGEN_GEMINI_JUDGE_MODEL", "gemini-2.5-flash")  # retired
    monkeypatch.setenv("UGEN_ELEVENLABS_STS_MODEL", "eleven_multilingual_v2")  # not STS
    code, rows, out = doctor("--check-network")
    assert code == 1, out
    openai_models = {m["setting"]: m for m in rows["vendor (openai)"]["models"]}
    assert openai_models["UGEN_OPENAI_SCRIPT_MODEL"]["state"] == "shutdown announced"
    assert openai_models["UGEN_OPENAI_SCRIPT_MODEL"]["note"] == "shuts down on 2027-01-14"
    assert openai_models["UGEN_OPENAI_IMAGE_MODEL"]["state"] == "not offered"
    assert openai_models["UGEN_OPENAI_JUDGE_MODEL"]["state"] == "offered"
    assert _models(rows["vendor (gemini)"])["UGEN_GEMINI_JUDGE_MODEL"] == (
        "gemini-2.5-flash", "not offered")
    sts = rows["vendor (elevenlabs)"]["models"][0]
    assert (sts["state"], sts["note"]) == ("not offered",
                                           "listed, but not as a speech-to-speech model")
    text = runner.invoke(app, ["doctor", "--check-network"], env={"COLUMNS": "80"}).stdout
    assert "UGEN_OPENAI_IMAGE_MODEL = gpt-image-1: not offered" in text


def test_doctor_check_network_reports_a_refused_listing_key(
        keyed: KeyedFakes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_ELEVENLABS_API_KEY", "sk_wrong_elevenlabs_key_000000")
    code, rows, out = doctor("--check-network")
    assert code == 1
    row = rows["vendor (elevenlabs)"]
    assert row["network"] == "refused" and "the key was refused" in row["detail"]
    assert {m["state"] for m in row["models"]} == {"unchecked"}
    assert "sk_wrong_elevenlabs_key_000000" not in out


def test_doctor_check_network_kling_other_answer_is_unexpected_not_accepted(
        settings: Settings, kling: KlingRig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only Kling's documented "not found" (400, code 1201) proves the key; a policy
    answer to the probe is reported as it came."""
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    kling.fake.inject("platform_policy", method="GET")
    code, rows, _ = doctor("--check-network")
    assert code == 1
    row = rows["video (kling)"]
    assert row["network"] == "unexpected"
    assert "code 1300" in row["detail"] and "key accepted" not in row["detail"]
    kling.fake.inject("ip_whitelist", method="GET")
    code, rows, _ = doctor("--check-network")
    assert (code, rows["video (kling)"]["network"]) == (1, "refused")
    assert "IP whitelisting" in rows["video (kling)"]["detail"]


def test_doctor_says_why_each_provider_serves(settings: Settings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, rows, _ = doctor()
    assert code == 0
    script = rows["script_agent"]
    assert (script["setting"], script["reason"]) == (
        "UGEN_SCRIPT_PROVIDER",
        "UGEN_SCRIPT_PROVIDER=auto: neither UGEN_OPENAI_API_KEY nor UGEN_GEMINI_API_KEY set")
    assert rows["video (offline)"]["reason"] == (
        "UGEN_VIDEO_PROVIDER=auto: the offline set is UGEN_PROVIDERS=local")
    model = rows["video (kling3_pro)"]
    assert (model["provider"], model["keys"], model["reason"]) == (
        "LocalVideoProvider", "not needed", "kling3_pro → offline (local): Kling keys not "
                                            "configured")
    text = runner.invoke(app, ["doctor"], env={"COLUMNS": "120"}).stdout
    assert "UGEN_ALIGNMENT_PROVIDER=auto: no UGEN_ELEVENLABS_API_KEY set" in text
    assert "veo3_fast → offline (local): Veo keys not configured" in text

    monkeypatch.setenv("UGEN_OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("UGEN_VENDORS", "offline")
    monkeypatch.setenv("UGEN_QA_JUDGE", "openai")
    code, rows, out = doctor()
    assert code == 0, out
    assert rows["script_agent"]["reason"] == "UGEN_SCRIPT_PROVIDER=auto: UGEN_VENDORS=offline"
    assert rows["keyframe_judge"]["reason"] == "UGEN_QA_JUDGE=openai"
    assert rows["keyframe_judge"]["detail"] == "pixel checks, then vision: openai:gpt-6-luna"
    assert rows["vendor (openai)"]["detail"] == "serves keyframe_judge, segment_judge"
    assert OPENAI_KEY not in out


def test_doctor_video_model_rows_follow_the_keys_and_the_setting(
        settings: Settings, kling: KlingRig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    code, rows, out = doctor()
    assert code == 0, out
    model = rows["video (kling3_pro)"]
    assert (model["provider"], model["keys"], model["detail"], model["reason"]) == (
        "KlingVideoProvider", "present", "kling: kling-v3", "kling3_pro → Kling: keys configured")
    assert rows["video (veo3)"]["provider"] == "LocalVideoProvider"

    monkeypatch.setenv("UGEN_VIDEO_PROVIDER", "offline")
    code, rows, out = doctor()
    assert code == 0, out
    assert rows["video (kling3_pro)"]["reason"] == (
        "kling3_pro → offline (local): UGEN_VIDEO_PROVIDER=offline")
    assert rows["video (kling)"]["detail"] == "not selected for kling3_4k, kling3_pro, kling3_std"

    monkeypatch.setenv("UGEN_VIDEO_PROVIDER", "vendor")  # Veo has no keys: its jobs fail
    code, rows, out = doctor()
    assert code == 1, out
    veo = rows["video (veo3_fast)"]
    assert (veo["provider"], veo["keys"]) == ("veo", "missing")
    assert veo["reason"] == ("veo3_fast → Veo: UGEN_VIDEO_PROVIDER=vendor, but UGEN_VEO_API_KEY "
                             "or UGEN_VEO_PROJECT (with Google credentials) not configured")
    assert rows["video (kling3_std)"]["provider"] == "KlingVideoProvider"
    for secret in (ACCESS_KEY, SECRET_KEY):
        assert secret not in out


def test_doctor_fails_a_vendor_named_without_its_key(settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KEYFRAME_PROVIDER", "openai")
    code, rows, _ = doctor()
    assert code == 1
    row = rows["keyframes"]
    assert (row["provider"], row["keys"], row["setting"]) == (
        "openai", "missing", "UGEN_KEYFRAME_PROVIDER")
    assert row["reason"] == "UGEN_KEYFRAME_PROVIDER=openai, but UGEN_OPENAI_API_KEY is not set"
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "80"})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = lines.index(next(ln for ln in lines if ln.split()[:2] == ["keyframes", "openai"]))
    assert "needs UGEN_OPENAI_API_KEY: every call fails" in " ".join(lines[at:at + 4])
