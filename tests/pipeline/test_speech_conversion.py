"""A configured voice changer (speech-to-speech) gets every spoken line, and its output is
what the voice track carries, still inside each line's segment."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import pytest

from tests.utils.jobs import stage, submit, wait
from ugen import service
from ugen.catalog import Voice
from ugen.core.config import Settings, get_settings
from ugen.media.loudness import mean_volume_db
from ugen.pipeline.worker import start_worker
from ugen.providers.registry import build_providers, set_override
from ugen.store.artifacts import LocalArtifactStore


class _ToneChanger:
    """Replaces the speech with a quiet copy of itself (same length), and logs each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, str]] = []

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        self.calls.append((source, voice.id))
        with wave.open(str(source), "rb") as src:
            params = src.getparams()
            frames = src.readframes(params.nframes)
        with wave.open(str(out_path), "wb") as out:
            out.setparams(params)
            out.writeframes(bytes(len(frames)))  # silence of the same length
        return out_path


def test_speech_converter_receives_each_line_and_feeds_the_voice_track(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "0.05")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "0.2")
    settings = get_settings()
    changer = _ToneChanger()
    set_override(dataclasses.replace(build_providers(settings), speech_converter=changer))
    start_worker(settings)
    job_id = submit(settings, product_image, aspect_ratio="1:1", stop_at_stage="audio",
                    music_enabled=False, persona_id="zara")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    assert len(changer.calls) == 2  # one line per segment
    assert {voice for _, voice in changer.calls} == {"sarah"}
    assert all(src.suffix == ".wav" for src, _ in changer.calls)
    voice = LocalArtifactStore(settings.artifacts_dir).path(stage(view, "audio")["outputs"]
                                                            ["voice"])
    duration = float(stage(view, "concat")["outputs"]["duration_s"])
    # The offline voice would be around -25 dBFS; the changer's silence is what was placed.
    assert mean_volume_db(voice, 0.0, duration) < -80
    usage = service.job_usage(settings, job_id)["voice_conversion"]
    assert usage["calls"] == 2 and usage["unit"] == "second" and usage["units"] > 0
