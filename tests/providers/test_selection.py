"""Which adapter serves each capability: vendors with keys, offline without or when asked."""

from __future__ import annotations

import pytest

from ugen.core.config import Settings, get_settings
from ugen.providers.elevenlabs.alignment import ElevenLabsAligner
from ugen.providers.elevenlabs.speech import ElevenLabsSpeechConverter
from ugen.providers.gemini.keyframes import GeminiKeyframeProvider
from ugen.providers.gemini.script_agent import GeminiScriptAgent
from ugen.providers.local.alignment import LocalWordAligner
from ugen.providers.local.keyframes import LocalKeyframeProvider
from ugen.providers.local.script_agent import LocalScriptAgent
from ugen.providers.openai.keyframes import OpenAIKeyframeProvider
from ugen.providers.openai.script_agent import OpenAIScriptAgent
from ugen.providers.registry import build_providers
from ugen.providers.vision_qa import VisionKeyframeJudge
from ugen.qa import PixelKeyframeJudge


def test_select_offline_providers_without_keys(settings: Settings) -> None:
    providers = build_providers(settings)
    assert isinstance(providers.script_agent, LocalScriptAgent)
    assert isinstance(providers.keyframes, LocalKeyframeProvider)
    assert isinstance(providers.aligner, LocalWordAligner)
    assert isinstance(providers.keyframe_judge, PixelKeyframeJudge)
    assert providers.speech_converter is None
    assert providers.speech_converter is None


def test_select_vendors_with_keys(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("UGEN_ELEVENLABS_API_KEY", "xi-test")
    providers = build_providers(get_settings())
    assert isinstance(providers.script_agent, OpenAIScriptAgent)
    assert isinstance(providers.keyframes, OpenAIKeyframeProvider)
    assert isinstance(providers.aligner, ElevenLabsAligner)
    assert isinstance(providers.speech_converter, ElevenLabsSpeechConverter)
    assert isinstance(providers.keyframe_judge, VisionKeyframeJudge)


def test_select_gemini_when_only_its_key(settings: Settings,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_GEMINI_API_KEY", "g-test")
    providers = build_providers(get_settings())
    assert isinstance(providers.script_agent, GeminiScriptAgent)
    assert isinstance(providers.keyframes, GeminiKeyframeProvider)


def test_select_offline_keeps_keys_unused(settings: Settings,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("UGEN_ELEVENLABS_API_KEY", "xi-test")
    monkeypatch.setenv("UGEN_VENDORS", "offline")
    providers = build_providers(get_settings())
    assert isinstance(providers.script_agent, LocalScriptAgent)
    assert isinstance(providers.aligner, LocalWordAligner)
    assert isinstance(providers.keyframe_judge, PixelKeyframeJudge)
    assert providers.speech_converter is None
