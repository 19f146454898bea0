"""Build the providers :mod:`ugen.providers.choice` chose: one set per process and settings.

Nothing is decided here: each provider is built from its :class:`~ugen.providers.choice.Choice`
(the offline adapter, the simulated one, or a vendor's), and the set is kept until a setting
changes. Tests put a set of their own in place with :func:`set_override`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pydantic import SecretStr

from ugen.catalog import Voice
from ugen.core.config import Settings
from ugen.providers.base import (
    Alignment,
    KeyframeProvider,
    KeyframeRequest,
    MusicProvider,
    Script,
    ScriptAgent,
    ScriptRequest,
    SpeechConverter,
    VideoProvider,
    VoiceProvider,
    WordAligner,
)
from ugen.providers.choice import Adapter, Choice, decide
from ugen.providers.simulated import (
    FaultModel,
    LatencyModel,
    SimulatedKeyframeProvider,
    SimulatedVideoProvider,
)
from ugen.providers.vendor import MissingCredentialsError
from ugen.providers.video_router import route_video
from ugen.providers.vision_qa import (
    VisionAssessment,
    VisionKeyframeJudge,
    VisionModel,
    VisionSegmentJudge,
)
from ugen.qa import KeyframeJudge, PixelKeyframeJudge, PixelSegmentJudge, SegmentJudge


@dataclass(frozen=True)
class ProviderSet:
    name: str
    """``simulated`` when the offline keyframes or video are simulated, else ``local``: the
    provider recorded for a call whose adapter names no vendor."""
    script_agent: ScriptAgent
    keyframes: KeyframeProvider
    video: VideoProvider
    voice: VoiceProvider
    music: MusicProvider
    aligner: WordAligner
    keyframe_judge: KeyframeJudge
    segment_judge: SegmentJudge
    speech_converter: SpeechConverter | None = None
    """A vendor voice changer for the persona's speech (None: the voice provider's own
    offline converter changes it)."""


_lock = threading.Lock()
_cache: dict[str, ProviderSet] = {}
_override: ProviderSet | None = None


def build_providers(settings: Settings) -> ProviderSet:
    """The providers chosen for ``settings`` (built once per distinct settings)."""
    if _override is not None:
        return _override
    key = fingerprint(settings)
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _build(settings)
            _cache[key] = found
        return found


def set_override(providers: ProviderSet | None) -> None:
    """Use ``providers`` in this process instead of the chosen set (tests pass fakes)."""
    global _override
    _override = providers


def fingerprint(settings: Settings) -> str:
    """A digest of every setting (secrets enter the digest, never the key)."""
    digest = hashlib.sha256()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        digest.update(f"{name}={value!r}\x00".encode())
    return digest.hexdigest()


def _build(settings: Settings) -> ProviderSet:
    from ugen.providers.local.music import LocalMusicProvider
    from ugen.providers.local.segments import LocalVideoProvider
    from ugen.providers.local.voice import LocalVoiceProvider

    chosen = decide(settings)
    latency = LatencyModel(keyframe_s=settings.simulated_keyframe_s,
                           segment_s=settings.simulated_segment_s,
                           scale=settings.simulated_latency_scale)
    faults = FaultModel(transient_rate=settings.simulated_transient_rate,
                        permanent_rate=settings.simulated_permanent_rate,
                        policy_rate=settings.simulated_policy_rate)
    voice = LocalVoiceProvider()
    offline_video: VideoProvider = LocalVideoProvider(
        voice, settings.local_video_dir or settings.work_dir / "video-tasks")
    if chosen["video"].adapter == "simulated":
        offline_video = SimulatedVideoProvider(offline_video, latency, faults)
    keyframe_judge, segment_judge = _judges(settings, chosen["keyframe_judge"],
                                            chosen["segment_judge"])
    simulated = "simulated" in (chosen["keyframes"].adapter, chosen["video"].adapter)
    return ProviderSet(
        name="simulated" if simulated else "local",
        script_agent=_script_agent(settings, chosen["script_agent"]),
        keyframes=_keyframes(settings, chosen["keyframes"], latency, faults),
        video=route_video(settings, offline_video),
        voice=voice,
        music=LocalMusicProvider(),
        aligner=_aligner(settings, chosen["aligner"]),
        keyframe_judge=keyframe_judge,
        segment_judge=segment_judge,
        speech_converter=_speech_converter(settings, chosen["speech_converter"]),
    )


def _script_agent(settings: Settings, chosen: Choice) -> ScriptAgent:
    if chosen.missing:
        return Unconfigured(chosen)
    if chosen.adapter == "openai":
        from ugen.providers.openai.script_agent import OpenAIScriptAgent

        return OpenAIScriptAgent.from_settings(settings)
    if chosen.adapter == "gemini":
        from ugen.providers.gemini.script_agent import GeminiScriptAgent

        return GeminiScriptAgent.from_settings(settings)
    from ugen.providers.local.script_agent import LocalScriptAgent

    return LocalScriptAgent()


def _keyframes(settings: Settings, chosen: Choice, latency: LatencyModel,
               faults: FaultModel) -> KeyframeProvider:
    if chosen.missing:
        return Unconfigured(chosen)
    if chosen.adapter == "openai":
        from ugen.providers.openai.keyframes import OpenAIKeyframeProvider

        return OpenAIKeyframeProvider.from_settings(settings)
    if chosen.adapter == "gemini":
        from ugen.providers.gemini.keyframes import GeminiKeyframeProvider

        return GeminiKeyframeProvider.from_settings(settings)
    from ugen.providers.local.keyframes import LocalKeyframeProvider

    if chosen.adapter == "simulated":
        return SimulatedKeyframeProvider(LocalKeyframeProvider(), latency, faults)
    return LocalKeyframeProvider()


def _aligner(settings: Settings, chosen: Choice) -> WordAligner:
    if chosen.missing:
        return Unconfigured(chosen)
    if chosen.adapter == "elevenlabs":
        from ugen.providers.elevenlabs.alignment import ElevenLabsAligner

        return ElevenLabsAligner.from_settings(settings)
    from ugen.providers.local.alignment import LocalWordAligner

    return LocalWordAligner()


def _speech_converter(settings: Settings, chosen: Choice) -> SpeechConverter | None:
    """ElevenLabs speech-to-speech, or None: the voice provider converts offline."""
    if chosen.missing:
        return Unconfigured(chosen)
    if chosen.adapter == "elevenlabs":
        from ugen.providers.elevenlabs.speech import ElevenLabsSpeechConverter

        return ElevenLabsSpeechConverter.from_settings(settings)
    return None


def _judges(settings: Settings, keyframe: Choice,
            segment: Choice) -> tuple[KeyframeJudge, SegmentJudge]:
    """The pixel judges, joined by the chosen vision models in order (one instance of each
    model serves both judges)."""
    models: dict[Adapter, VisionModel] = {}

    def asked(chosen: Choice) -> list[VisionModel]:
        for adapter in chosen.adapters:
            if adapter not in models:
                models[adapter] = (Unconfigured(chosen) if chosen.missing
                                   else _vision_model(settings, adapter))
        return [models[adapter] for adapter in chosen.adapters]

    keyframe_judge: KeyframeJudge = (PixelKeyframeJudge() if keyframe.offline else
                                     VisionKeyframeJudge(PixelKeyframeJudge(), asked(keyframe)))
    segment_judge: SegmentJudge = (PixelSegmentJudge() if segment.offline else
                                   VisionSegmentJudge(PixelSegmentJudge(), asked(segment)))
    return keyframe_judge, segment_judge


def _vision_model(settings: Settings, adapter: Adapter) -> VisionModel:
    if adapter == "openai":
        from ugen.providers.openai.judge import OpenAIVisionModel

        return OpenAIVisionModel.from_settings(settings)
    if adapter == "gemini":
        from ugen.providers.gemini.judge import GeminiVisionModel

        return GeminiVisionModel.from_settings(settings)
    raise ValueError(f"{adapter} has no vision model")


class Unconfigured:
    """Stands in for a vendor named by its setting whose keys are missing.

    Every call fails with :class:`~ugen.providers.vendor.MissingCredentialsError` naming the
    setting and the keys, so a job fails at its first call of that capability (as a video
    vendor chosen without keys does), never silently offline; as a QA vision model its
    failure leaves the pixel checks to decide, as any failing vision model does.
    """

    def __init__(self, chosen: Choice) -> None:
        self.choice = chosen
        self.name = f"{chosen.adapter} (unconfigured)"

    def _fail(self) -> NoReturn:
        raise MissingCredentialsError(
            f"{self.choice.setting}={self.choice.adapter} needs {self.choice.missing}",
            provider=self.choice.adapter)

    def write_script(self, request: ScriptRequest) -> Script:
        self._fail()

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        self._fail()

    def align(self, audio: Path, lines: Sequence[Sequence[str]], *,
              language: str) -> Alignment:
        self._fail()

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        self._fail()

    def assess(self, images: Sequence[tuple[str, Path]], question: str) -> VisionAssessment:
        self._fail()
