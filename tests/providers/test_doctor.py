"""``ugen doctor`` against the fake vendors: keys reported, never shown; keys checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.providers.veo_kit import API_KEY, VeoAdcRig, VeoRig
from ugen.cli import app
from ugen.core.config import Settings

runner = CliRunner()


def doctor(*args: str) -> tuple[int, dict[str, dict[str, str]], str]:
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
    assert rows["video (veo)"]["network"] == "skipped"
    assert {"script_agent", "keyframes", "voice", "music"} <= rows.keys()


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
    assert selected["script_agent"] == ("OpenAIScriptAgent", "present", "openai: gpt-4.1")
    assert selected["keyframes"] == ("OpenAIKeyframeProvider", "present", "openai: gpt-image-1")
    assert selected["aligner"][:2] == ("ElevenLabsAligner", "present")
    assert selected["speech_converter"] == ("ElevenLabsSpeechConverter", "present",
                                            "elevenlabs: eleven_multilingual_sts_v2")
    assert selected["keyframe_judge"] == (
        "VisionKeyframeJudge", "present",
        "pixel checks, then vision: openai:gpt-4o-mini, then gemini:gemini-2.5-flash")
    assert selected["segment_judge"] == (
        "VisionSegmentJudge", "present",
        "pixel checks, then vision: gemini:gemini-2.5-flash, then openai:gpt-4o-mini")
    assert selected["voice"][:2] == ("LocalVoiceProvider", "not needed")
    assert selected["music"][:2] == ("LocalMusicProvider", "not needed")
    assert rows["video (kling)"]["detail"].startswith("selected for kling3_4k")
    assert rows["video (veo)"]["detail"] == (
        "selected for veo3, veo3_fast; Vertex AI express mode (API key); videos: inline bytes")
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
