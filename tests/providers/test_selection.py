"""Which adapter serves each capability, and why: one setting per capability (``auto`` by
default), the switches from before as aliases, vendors with keys, offline without."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ugen import catalog
from ugen.core.config import Settings, get_settings
from ugen.providers import choice
from ugen.providers.base import ScriptRequest
from ugen.providers.elevenlabs.alignment import ElevenLabsAligner
from ugen.providers.elevenlabs.speech import ElevenLabsSpeechConverter
from ugen.providers.gemini.keyframes import GeminiKeyframeProvider
from ugen.providers.gemini.script_agent import GeminiScriptAgent
from ugen.providers.local.alignment import LocalWordAligner
from ugen.providers.local.keyframes import LocalKeyframeProvider
from ugen.providers.local.script_agent import LocalScriptAgent
from ugen.providers.local.segments import LocalVideoProvider
from ugen.providers.openai.keyframes import OpenAIKeyframeProvider
from ugen.providers.openai.script_agent import OpenAIScriptAgent
from ugen.providers.registry import Unconfigured, build_providers
from ugen.providers.simulated import SimulatedKeyframeProvider, SimulatedVideoProvider
from ugen.providers.vendor import MissingCredentialsError
from ugen.providers.vision_qa import VisionKeyframeJudge, VisionSegmentJudge
from ugen.qa import PixelKeyframeJudge, PixelSegmentJudge

OPENAI_KEY = "sk-proj-selectionOpenAI0123456789"
GEMINI_KEY = "AIzaSelectionGemini0123456789"
ELEVENLABS_KEY = "sk_selection_elevenlabs_0123456789"


def _env(monkeypatch: pytest.MonkeyPatch, **values: str) -> Settings:
    for name, value in values.items():
        monkeypatch.setenv(f"UGEN_{name}", value)
    return get_settings()


def test_select_offline_providers_without_keys(settings: Settings) -> None:
    providers = build_providers(settings)
    assert isinstance(providers.script_agent, LocalScriptAgent)
    assert isinstance(providers.keyframes, LocalKeyframeProvider)
    assert isinstance(providers.aligner, LocalWordAligner)
    assert isinstance(providers.keyframe_judge, PixelKeyframeJudge)
    assert isinstance(providers.segment_judge, PixelSegmentJudge)
    assert isinstance(providers.video, LocalVideoProvider)
    assert providers.speech_converter is None
    assert providers.name == "local"
    reasons = {role: c.reason for role, c in choice.decide(settings).items()}
    assert reasons["script_agent"] == ("UGEN_SCRIPT_PROVIDER=auto: neither UGEN_OPENAI_API_KEY "
                                       "nor UGEN_GEMINI_API_KEY set")
    assert reasons["aligner"] == "UGEN_ALIGNMENT_PROVIDER=auto: no UGEN_ELEVENLABS_API_KEY set"
    assert reasons["music"] == "UGEN_MUSIC_PROVIDER=auto: the only adapter"
    assert reasons["video"] == "UGEN_VIDEO_PROVIDER=auto: the offline set is UGEN_PROVIDERS=local"


def test_select_vendors_with_keys(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY, ELEVENLABS_API_KEY=ELEVENLABS_KEY)
    providers = build_providers(s)
    assert isinstance(providers.script_agent, OpenAIScriptAgent)
    assert isinstance(providers.keyframes, OpenAIKeyframeProvider)
    assert isinstance(providers.aligner, ElevenLabsAligner)
    assert isinstance(providers.speech_converter, ElevenLabsSpeechConverter)
    assert isinstance(providers.keyframe_judge, VisionKeyframeJudge)
    chosen = choice.decide(s)
    assert chosen["script_agent"].reason == "UGEN_SCRIPT_PROVIDER=auto: UGEN_OPENAI_API_KEY set"
    assert chosen["speech_converter"].reason == (
        "UGEN_VOICE_PROVIDER=auto: UGEN_ELEVENLABS_API_KEY set")
    for found in chosen.values():
        assert OPENAI_KEY not in found.reason and ELEVENLABS_KEY not in found.reason


def test_select_gemini_when_only_its_key(settings: Settings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, GEMINI_API_KEY=GEMINI_KEY)
    providers = build_providers(s)
    assert isinstance(providers.script_agent, GeminiScriptAgent)
    assert isinstance(providers.keyframes, GeminiKeyframeProvider)
    assert choice.choose(s, "keyframes").reason == (
        "UGEN_KEYFRAME_PROVIDER=auto: UGEN_GEMINI_API_KEY set, no UGEN_OPENAI_API_KEY")


def test_select_offline_keeps_keys_unused(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY, ELEVENLABS_API_KEY=ELEVENLABS_KEY,
             VENDORS="offline")
    providers = build_providers(s)
    assert isinstance(providers.script_agent, LocalScriptAgent)
    assert isinstance(providers.aligner, LocalWordAligner)
    assert isinstance(providers.keyframe_judge, PixelKeyframeJudge)
    assert providers.speech_converter is None
    assert choice.choose(s, "keyframe_judge").reason == "UGEN_QA_JUDGE=auto: UGEN_VENDORS=offline"


def test_auto_judges_ask_every_keyed_model_in_order(settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY, GEMINI_API_KEY=GEMINI_KEY)
    providers = build_providers(s)
    keyframe, segment = providers.keyframe_judge, providers.segment_judge
    assert isinstance(keyframe, VisionKeyframeJudge)
    assert isinstance(segment, VisionSegmentJudge)
    assert [m.name for m in keyframe.models] == ["openai:gpt-6-luna", "gemini:gemini-3.8-flash"]
    assert [m.name for m in segment.models] == ["gemini:gemini-3.8-flash", "openai:gpt-6-luna"]
    assert keyframe.models[0] is segment.models[1]  # one client per vendor
    assert choice.choose(s, "segment_judge").adapters == ("gemini", "openai")
    assert choice.choose(s, "keyframe_judge").reason == (
        "UGEN_QA_JUDGE=auto: UGEN_OPENAI_API_KEY and UGEN_GEMINI_API_KEY set")


def test_each_capability_is_chosen_by_its_own_setting(settings: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY, GEMINI_API_KEY=GEMINI_KEY,
             ELEVENLABS_API_KEY=ELEVENLABS_KEY, SCRIPT_PROVIDER="local",
             KEYFRAME_PROVIDER="gemini", QA_JUDGE="gemini", VOICE_PROVIDER="local")
    providers = build_providers(s)
    assert isinstance(providers.script_agent, LocalScriptAgent)
    assert isinstance(providers.keyframes, GeminiKeyframeProvider)
    assert isinstance(providers.keyframe_judge, VisionKeyframeJudge)
    assert [m.name for m in providers.keyframe_judge.models] == ["gemini:gemini-3.8-flash"]
    assert providers.speech_converter is None  # the voice converts offline...
    assert isinstance(providers.aligner, ElevenLabsAligner)  # ...word timings stay ElevenLabs
    chosen = choice.decide(s)
    assert chosen["script_agent"].reason == "UGEN_SCRIPT_PROVIDER=local"
    assert chosen["keyframes"].reason == "UGEN_KEYFRAME_PROVIDER=gemini"
    assert chosen["speech_converter"].reason == (
        "UGEN_VOICE_PROVIDER=local: the voice provider converts offline")

    s = _env(monkeypatch, QA_JUDGE="local", ALIGNMENT_PROVIDER="local")
    providers = build_providers(s)
    assert isinstance(providers.keyframe_judge, PixelKeyframeJudge)
    assert isinstance(providers.segment_judge, PixelSegmentJudge)
    assert isinstance(providers.aligner, LocalWordAligner)


def test_a_setting_beats_the_older_switch(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY, VENDORS="offline",
             SCRIPT_PROVIDER="openai")
    providers = build_providers(s)
    assert isinstance(providers.script_agent, OpenAIScriptAgent)
    assert isinstance(providers.keyframes, LocalKeyframeProvider)  # auto: UGEN_VENDORS


def test_simulated_alias_and_per_capability(settings: Settings,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, PROVIDERS="simulated")
    providers = build_providers(s)
    assert isinstance(providers.keyframes, SimulatedKeyframeProvider)
    assert isinstance(providers.video, SimulatedVideoProvider)
    assert providers.name == "simulated"
    assert choice.choose(s, "keyframes").reason == (
        "UGEN_KEYFRAME_PROVIDER=auto: neither UGEN_OPENAI_API_KEY nor UGEN_GEMINI_API_KEY set; "
        "UGEN_PROVIDERS=simulated")

    s = _env(monkeypatch, KEYFRAME_PROVIDER="local")  # the setting names the real one
    providers = build_providers(s)
    assert isinstance(providers.keyframes, LocalKeyframeProvider)
    assert isinstance(providers.video, SimulatedVideoProvider)

    monkeypatch.delenv("UGEN_PROVIDERS")
    s = _env(monkeypatch, KEYFRAME_PROVIDER="simulated", VIDEO_PROVIDER="local")
    providers = build_providers(s)
    assert isinstance(providers.keyframes, SimulatedKeyframeProvider)
    assert isinstance(providers.video, LocalVideoProvider)
    assert choice.choose(s, "video").reason == "UGEN_VIDEO_PROVIDER=local"


def test_named_vendor_without_its_key_fails_every_call(settings: Settings, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    s = _env(monkeypatch, SCRIPT_PROVIDER="openai", ALIGNMENT_PROVIDER="elevenlabs",
             QA_JUDGE="gemini")
    found = choice.choose(s, "script_agent")
    assert (found.adapter, found.missing) == ("openai", "UGEN_OPENAI_API_KEY")
    assert found.reason == "UGEN_SCRIPT_PROVIDER=openai, but UGEN_OPENAI_API_KEY is not set"
    providers = build_providers(s)
    assert isinstance(providers.script_agent, Unconfigured)
    request = ScriptRequest(product_name="Glow", product_image=tmp_path / "p.png",
                            persona=next(iter(catalog.personas().values())),
                            segment_count=1, segment_duration=5.0, language="en",
                            interaction_mode="holdable", script_structure="standard_5phase",
                            script_tone="playful")
    with pytest.raises(MissingCredentialsError,
                       match="UGEN_SCRIPT_PROVIDER=openai needs UGEN_OPENAI_API_KEY"):
        providers.script_agent.write_script(request)
    with pytest.raises(MissingCredentialsError, match="UGEN_ALIGNMENT_PROVIDER=elevenlabs"):
        providers.aligner.align(tmp_path / "voice.wav", [["hello"]], language="en")
    assert isinstance(providers.keyframe_judge, VisionKeyframeJudge)
    assert [m.name for m in providers.keyframe_judge.models] == ["gemini (unconfigured)"]


def test_unknown_names_are_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_SCRIPT_PROVIDER", "kling")
    with pytest.raises(ValidationError, match="script_provider"):
        get_settings()
    monkeypatch.delenv("UGEN_SCRIPT_PROVIDER")
    with pytest.raises(ValueError, match="unknown UGEN_PROVIDERS 'fast'"):
        build_providers(_env(monkeypatch, PROVIDERS="fast"))


def test_providers_are_built_once_per_settings(settings: Settings,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = build_providers(settings)
    assert build_providers(get_settings()) is first
    s = _env(monkeypatch, OPENAI_API_KEY=OPENAI_KEY)
    second = build_providers(s)
    assert second is not first and isinstance(second.script_agent, OpenAIScriptAgent)
    s = _env(monkeypatch, OPENAI_API_KEY="sk-proj-anotherKey0123456789")
    assert build_providers(s) is not second  # another key, another client
