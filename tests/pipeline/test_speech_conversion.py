"""A configured voice changer (speech-to-speech) gets every spoken line, and its output is
what the voice track carries, still inside each line's segment."""

from __future__ import annotations

import dataclasses
import shutil
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from tests.utils.jobs import output, submit, wait
from ugen import service
from ugen.catalog import Voice
from ugen.core.config import Settings, get_settings
from ugen.media.loudness import mean_volume_db
from ugen.media.probe import probe
from ugen.pipeline.outputs import AudioOutput, ConcatOutput
from ugen.pipeline.worker import start_worker
from ugen.providers.base import SegmentRequest, VideoPoll, VideoProvider
from ugen.providers.local.alignment._audio import read_mono, speech_regions
from ugen.providers.registry import ProviderSet, build_providers, set_override
from ugen.store.artifacts import LocalArtifactStore
from ugen.store.db import session_scope
from ugen.store.models import JobEvent


class _QuietChanger:
    """Replaces the speech with a copy of itself ``gain`` times as loud (same length; 0 gives
    silence), and logs each call with a copy of what it was sent, kept under ``received``
    (the stage's own work files are gone once it completes, as a vendor's upload would be
    gone from the sender)."""

    def __init__(self, gain: float, received: Path) -> None:
        self.gain = gain
        self.received = received
        self.calls: list[tuple[Path, str]] = []

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        kept = self.received / f"{len(self.calls):02d}" / source.name
        kept.parent.mkdir(parents=True)
        shutil.copyfile(source, kept)
        self.calls.append((kept, voice.id))
        with wave.open(str(source), "rb") as src:
            params = src.getparams()
            frames = np.frombuffer(src.readframes(params.nframes), "<i2")
        with wave.open(str(out_path), "wb") as out:
            out.setparams(params)
            out.writeframes((frames * self.gain).astype("<i2").tobytes())
        return out_path


@pytest.fixture
def fast(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Simulated providers with short latencies."""
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "0.05")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "0.2")
    return get_settings()


def _run_to_audio(settings: Settings, product_image: Path, *,
                  providers: ProviderSet | None = None, **job: Any) -> dict[str, Any]:
    """Run a small 1:1 job without music up to ``audio`` (with ``providers``, if given)."""
    if providers is not None:
        set_override(providers)
    start_worker(settings)
    job_id = submit(settings, product_image, aspect_ratio="1:1", stop_at_stage="audio",
                    music_enabled=False, **job)
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    return view


def _with_changer(settings: Settings, changer: _QuietChanger) -> ProviderSet:
    return dataclasses.replace(build_providers(settings), speech_converter=changer)


def test_speech_converter_receives_each_segments_speech_and_feeds_the_voice_track(
    fast: Settings, product_image: Path, tmp_path: Path
) -> None:
    changer = _QuietChanger(0.1, tmp_path / "received")
    view = _run_to_audio(fast, product_image, providers=_with_changer(fast, changer),
                         persona_id="zara")
    concat = output(fast, view["job_id"], ConcatOutput)
    audio = output(fast, view["job_id"], AudioOutput)
    assert audio.speech_sources == ("segment", "segment")
    assert len(changer.calls) == 2  # one per segment, each the segment's own span
    assert {voice for _, voice in changer.calls} == {"sarah"}
    spans = [*concat.plan.segment_offsets_s[1:], concat.duration_s]
    for (source, _), start, end in zip(changer.calls, concat.plan.segment_offsets_s, spans,
                                       strict=True):
        assert probe(source).duration == pytest.approx(end - start, abs=0.001)
    voice = LocalArtifactStore(fast.artifacts_dir).path(audio.voice)
    # What the changer gave back (each span's speech, 20 dB down) is what was placed.
    for (source, _), start, end in zip(changer.calls, concat.plan.segment_offsets_s, spans,
                                       strict=True):
        drop = mean_volume_db(source, 0.0, end - start) - mean_volume_db(voice, start, end)
        assert drop == pytest.approx(20.0, abs=0.5)
    usage = service.job_usage(fast, view["job_id"])["voice_conversion"]
    assert usage["calls"] == 2 and usage["unit"] == "second" and usage["units"] > 0


def test_conversion_without_speech_falls_back_to_the_spoken_line(
    fast: Settings, product_image: Path, tmp_path: Path
) -> None:
    """A conversion that comes back silent (the sound was not speech) gets the line spoken
    by the voice provider, converted in turn, with a warning on the job."""
    changer = _QuietChanger(0.0, tmp_path / "received")
    view = _run_to_audio(fast, product_image, providers=_with_changer(fast, changer),
                         persona_id="zara")
    sources = output(fast, view["job_id"], AudioOutput).speech_sources
    assert sources == ("synthesis", "synthesis")
    assert [src.name for src, _ in changer.calls] == [
        "segment_00.wav", "line_00.wav", "segment_01.wav", "line_01.wav"]
    with session_scope(fast) as s:
        warnings = [e.data["segment"] for e in s.scalars(
            select(JobEvent).where(JobEvent.job_id == view["job_id"]).order_by(JobEvent.id))
            if e.type == "warning" and "held no speech" in e.message]
    assert warnings == [0, 1]
    usage = service.job_usage(fast, view["job_id"])
    assert usage["voice"]["calls"] == 2 and usage["voice_conversion"]["calls"] == 4


def _f0_hz(samples: np.ndarray, rate: int = 16000) -> float:
    """Median fundamental frequency over the loud 40 ms frames (autocorrelation, 70-400 Hz)."""
    size = int(0.04 * rate)
    found = []
    for i in range(0, len(samples) - size, size):
        frame = samples[i:i + size] - samples[i:i + size].mean()
        if np.sqrt(np.mean(frame ** 2)) < 0.02:
            continue
        corr = np.correlate(frame, frame, "full")[size - 1:]
        lo, hi = rate // 400, rate // 70
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] > 0.4 * corr[0]:
            found.append(rate / lag)
    assert len(found) >= 10, "too few voiced frames to measure"
    return float(np.median(found))


def _regions(path: Path, start: float, end: float) -> list[tuple[float, float]]:
    samples = read_mono(path)
    rate = len(samples) / probe(path).duration
    window = samples[round(start * rate):round(end * rate)]
    return [(r.start, r.end) for r in speech_regions(window)]


def test_segments_own_speech_is_converted_to_the_selected_voice_in_sync(
    fast: Settings, product_image: Path
) -> None:
    """Offline: the persona speaks in each segment; the audio stage converts that speech (the
    local converter moves its pitch to the voice's) and keeps it where the lips move."""
    settings = fast
    view = _run_to_audio(settings, product_image, voice_settings={"voice_id": "roger"})
    job_id = view["job_id"]
    audio = output(settings, job_id, AudioOutput)
    concat = output(settings, job_id, ConcatOutput)
    assert audio.speech_sources == ("segment", "segment")
    store = LocalArtifactStore(settings.artifacts_dir)
    native, voice = store.path(concat.audio), store.path(audio.voice)
    ends = [*concat.plan.segment_offsets_s[1:], concat.duration_s]
    for start, end in zip(concat.plan.segment_offsets_s, ends, strict=True):
        spoken, placed = _regions(native, start, end), _regions(voice, start, end)
        assert spoken and len(spoken) == len(placed)
        for (s0, e0), (s1, e1) in zip(spoken, placed, strict=True):
            assert abs(s0 - s1) <= 0.03 and abs(e0 - e1) <= 0.05  # in sync with the picture
    # Roger is 2 semitones under the persona's on-camera voice.
    ratio = _f0_hz(read_mono(voice)) / _f0_hz(read_mono(native))
    assert ratio == pytest.approx(2 ** (-2 / 12), abs=0.03)
    usage = service.job_usage(settings, job_id)
    assert usage["voice_conversion"]["calls"] == 2 and "voice" not in usage


class _Mute:
    """A video provider whose segments carry no speech (their sound is silence)."""

    def __init__(self, inner: VideoProvider) -> None:
        self.inner = inner

    def submit(self, request: SegmentRequest) -> str:
        return self.inner.submit(dataclasses.replace(request, sound=False))

    def poll(self, task_id: str) -> VideoPoll:
        return self.inner.poll(task_id)


def test_segments_without_speech_get_the_line_spoken_by_the_voice(
    fast: Settings, product_image: Path
) -> None:
    settings = fast
    base = build_providers(settings)
    view = _run_to_audio(settings, product_image,
                         providers=dataclasses.replace(base, video=_Mute(base.video)))
    job_id = view["job_id"]
    audio = output(settings, job_id, AudioOutput)
    concat = output(settings, job_id, ConcatOutput)
    assert audio.speech_sources == ("synthesis", "synthesis")
    voice = LocalArtifactStore(settings.artifacts_dir).path(audio.voice)
    for start in concat.plan.segment_offsets_s:  # each line starts its own segment
        assert mean_volume_db(voice, start, start + 1.0) > -40
    usage = service.job_usage(settings, job_id)
    assert usage["voice"]["calls"] == 2 and usage["voice"]["unit"] == "character"
    assert "voice_conversion" not in usage  # no vendor voice changer configured


def test_speech_cut_off_by_its_segment_is_reported(
    fast: Settings, product_image: Path
) -> None:
    settings = fast
    script = ("This serum keeps my skin calm, bright and soft through long busy days at work "
              "and late nights. I carry the little bottle everywhere I go, from the office "
              "to the gym and back home again.")
    job_id = _run_to_audio(settings, product_image, custom_script=script)["job_id"]
    with session_scope(settings) as s:
        cut = [e.data["segment"] for e in s.scalars(
            select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id))
            if e.type == "warning" and "may be cut off" in e.message]
    assert cut == [0, 1]  # each line is longer than its 3 s segment
