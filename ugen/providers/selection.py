"""Which adapter serves each capability besides video: a vendor whose key is configured, or
the offline provider.

``UGEN_VENDORS=auto`` (the default) picks, per capability, the first vendor with a key:
script agent OpenAI then Gemini, keyframes OpenAI then Gemini, word timings and
speech-to-speech ElevenLabs, QA judge OpenAI/Gemini around the pixel checks. ``offline``
keeps every capability on this machine whatever keys are set. Video has its own choice
(``UGEN_VIDEO_PROVIDER``), made per job by the model.
"""

from __future__ import annotations

import hashlib

from ugen.core.config import Settings
from ugen.providers.base import KeyframeProvider, ScriptAgent, SpeechConverter, WordAligner
from ugen.qa import KeyframeJudge, SegmentJudge


def _use_vendors(settings: Settings) -> bool:
    return settings.vendors == "auto"


def _image_vendor(settings: Settings) -> str | None:
    """The vendor of the script agent and keyframes: OpenAI, then Gemini, by their keys."""
    if not _use_vendors(settings):
        return None
    if settings.openai_api_key is not None:
        return "openai"
    return "gemini" if settings.gemini_api_key is not None else None


def script_agent(settings: Settings, offline: ScriptAgent) -> ScriptAgent:
    vendor = _image_vendor(settings)
    if vendor == "openai":
        from ugen.providers.openai.script_agent import OpenAIScriptAgent

        return OpenAIScriptAgent.from_settings(settings)
    if vendor == "gemini":
        from ugen.providers.gemini.script_agent import GeminiScriptAgent

        return GeminiScriptAgent.from_settings(settings)
    return offline


def keyframes(settings: Settings, offline: KeyframeProvider) -> KeyframeProvider:
    vendor = _image_vendor(settings)
    if vendor == "openai":
        from ugen.providers.openai.keyframes import OpenAIKeyframeProvider

        return OpenAIKeyframeProvider.from_settings(settings)
    if vendor == "gemini":
        from ugen.providers.gemini.keyframes import GeminiKeyframeProvider

        return GeminiKeyframeProvider.from_settings(settings)
    return offline


def aligner(settings: Settings, offline: WordAligner) -> WordAligner:
    if _use_vendors(settings) and settings.elevenlabs_api_key is not None:
        from ugen.providers.elevenlabs.alignment import ElevenLabsAligner

        return ElevenLabsAligner.from_settings(settings)
    return offline


def speech_converter(settings: Settings) -> SpeechConverter | None:
    """ElevenLabs speech-to-speech when its key is set; offline speech needs no converter."""
    if _use_vendors(settings) and settings.elevenlabs_api_key is not None:
        from ugen.providers.elevenlabs.speech import ElevenLabsSpeechConverter

        return ElevenLabsSpeechConverter.from_settings(settings)
    return None


def judges(settings: Settings, keyframe_pixel: KeyframeJudge,
           segment_pixel: SegmentJudge) -> tuple[KeyframeJudge, SegmentJudge]:
    if not _use_vendors(settings):
        return keyframe_pixel, segment_pixel
    from ugen.providers.vision_qa import build_vision_judges

    return build_vision_judges(settings, keyframe_pixel=keyframe_pixel,
                               segment_pixel=segment_pixel)


def fingerprint(settings: Settings) -> str:
    """A digest of the settings that change the selection (secrets hashed, never kept)."""
    secrets = (settings.openai_api_key, settings.gemini_api_key, settings.elevenlabs_api_key)
    parts = [settings.vendors, str(settings.openai_base_url), str(settings.gemini_base_url),
             str(settings.elevenlabs_base_url)]
    parts += [s.get_secret_value() if s is not None else "" for s in secrets]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()
