"""Choose the provider of each capability from settings (one set per process)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ugen.core.config import Settings
from ugen.providers import selection
from ugen.providers.base import (
    KeyframeProvider,
    MusicProvider,
    ScriptAgent,
    SpeechConverter,
    VideoProvider,
    VoiceProvider,
    WordAligner,
)
from ugen.providers.video_router import route_video, settings_fingerprint
from ugen.qa import KeyframeJudge, PixelKeyframeJudge, PixelSegmentJudge, SegmentJudge


@dataclass(frozen=True)
class ProviderSet:
    name: str
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
_cache: dict[tuple[str | float, ...], ProviderSet] = {}


def build_providers(settings: Settings) -> ProviderSet:
    """The configured providers: ``local`` or ``simulated`` (local behind a latency model)."""
    if _override is not None:
        return _override
    key = (settings.providers, str(settings.data_dir), settings.simulated_latency_scale,
           settings.simulated_transient_rate, settings.simulated_permanent_rate,
           settings.simulated_policy_rate, settings_fingerprint(settings),
           selection.fingerprint(settings))
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _build(settings)
            _cache[key] = found
        return found


def _build(settings: Settings) -> ProviderSet:
    from ugen.providers.local.alignment import LocalWordAligner
    from ugen.providers.local.keyframes import LocalKeyframeProvider
    from ugen.providers.local.music import LocalMusicProvider
    from ugen.providers.local.script_agent import LocalScriptAgent
    from ugen.providers.local.segments import LocalVideoProvider
    from ugen.providers.local.voice import LocalVoiceProvider

    voice = LocalVoiceProvider()
    keyframes: KeyframeProvider = LocalKeyframeProvider()
    video: VideoProvider = LocalVideoProvider(voice, settings.work_dir / "video-tasks")
    if settings.providers == "simulated":
        from ugen.providers.simulated import (
            FaultModel,
            LatencyModel,
            SimulatedKeyframeProvider,
            SimulatedVideoProvider,
        )

        latency = LatencyModel(
            keyframe_s=settings.simulated_keyframe_s,
            segment_s=settings.simulated_segment_s,
            scale=settings.simulated_latency_scale,
        )
        faults = FaultModel(
            transient_rate=settings.simulated_transient_rate,
            permanent_rate=settings.simulated_permanent_rate,
            policy_rate=settings.simulated_policy_rate,
        )
        keyframes = SimulatedKeyframeProvider(keyframes, latency, faults)
        video = SimulatedVideoProvider(video, latency, faults)
    elif settings.providers != "local":
        raise ValueError(f"unknown UGEN_PROVIDERS {settings.providers!r} (local, simulated)")
    video = route_video(settings, video)
    keyframe_judge, segment_judge = selection.judges(settings, PixelKeyframeJudge(),
                                                     PixelSegmentJudge())
    return ProviderSet(
        name=settings.providers,
        script_agent=selection.script_agent(settings, LocalScriptAgent()),
        keyframes=selection.keyframes(settings, keyframes),
        video=video,
        voice=voice,
        music=LocalMusicProvider(),
        aligner=selection.aligner(settings, LocalWordAligner()),
        keyframe_judge=keyframe_judge,
        segment_judge=segment_judge,
        speech_converter=selection.speech_converter(settings),
    )


_override: ProviderSet | None = None


def set_override(providers: ProviderSet | None) -> None:
    """Use ``providers`` in this process instead of the configured set (tests pass fakes)."""
    global _override
    _override = providers
