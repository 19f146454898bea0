"""A job's music: a custom track looped or trimmed to the ad, or a catalog track, mixed at
the loudness target."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.music.conftest import make_audio
from tests.utils.jobs import output, path_of, submit, wait
from ugen import service
from ugen.core.config import Settings
from ugen.media.audio import LOUDNESS_TOLERANCE_LU, fit_music
from ugen.media.loudness import mean_volume_db, measure_loudness
from ugen.media.probe import probe
from ugen.pipeline.audio import run_audio
from ugen.pipeline.outputs import AudioOutput, ConcatOutput
from ugen.pipeline.worker import start_worker
from ugen.service.music import save_custom_music
from ugen.store import jobs as job_store
from ugen.store.artifacts import artifact_store
from ugen.store.db import session_scope

TARGET_LUFS = -14.0


def _custom(settings: Settings, folder: Path, fmt: str, seconds: float) -> str:
    account = service.ensure_default_account(settings)
    data = make_audio(folder, fmt, seconds, name=f"t{seconds}").read_bytes()
    return save_custom_music(settings, account, title=f"{seconds} s", data=data).id


def wait_stopped(settings: Settings, job_id: str) -> str:
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    return job_id


def _check_file(mix: Path, duration: float) -> None:
    info = probe(mix)
    assert info.audio is not None and info.audio.sample_rate == 48_000
    assert info.duration == pytest.approx(duration, abs=0.01)
    loud = measure_loudness(mix)
    assert abs(loud.integrated_lufs - TARGET_LUFS) <= 2 * LOUDNESS_TOLERANCE_LU
    assert loud.true_peak_dbtp <= -1.0 + 0.1


def _check_mix(settings: Settings, job_id: str) -> float:
    """The job's mix is the ad's length at the loudness target; returns the ad's length."""
    duration = output(settings, job_id, ConcatOutput).duration_s
    _check_file(path_of(settings, output(settings, job_id, AudioOutput).mix), duration)
    return duration


@pytest.mark.slow
def test_job_mixes_short_long_and_catalog_tracks(settings: Settings, product_image: Path,
                                                 tmp_path: Path) -> None:
    """One job made to its mix with a 2 s custom track (looped); its audio stage then run
    again with a 40 s custom track (trimmed) and with a catalog track in its params."""
    start_worker(settings)
    short = _custom(settings, tmp_path, "m4a", 2.0)
    long = _custom(settings, tmp_path, "mp3", 40.0)
    job_id = submit(settings, product_image, custom_music_id=short, stop_at_stage="audio",
                    segment_count=1)
    assert _check_mix(settings, wait_stopped(settings, job_id)) > 2.5  # the track looped
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        assert job is not None
        params, run = dict(job.params), job.run_number
    calls = service.job_report(settings, job_id).provider_calls
    assert not [k for k in calls if k.startswith("music:")]  # nothing was generated
    for choice in ({"custom_music_id": long}, {"music_track_id": "playful-bubble-pop"}):
        with session_scope(settings) as s:
            job_store.set_job_fields(s, job_id, only_if_active=False,
                                     params={**params, "custom_music_id": None, **choice})
        audio = run_audio(job_id, run)
        _check_file(path_of(settings, audio.mix),
                    output(settings, job_id, ConcatOutput).duration_s)
    cached = [o.key for o in artifact_store(settings).iter_keys("music/catalog/")]
    assert any(k.startswith("music/catalog/playful-bubble-pop.") for k in cached)


def test_fit_music_loops_short_and_trims_long(tmp_path: Path) -> None:
    short = make_audio(tmp_path, "ogg", 2.0, name="short")
    looped = fit_music(short, duration_s=6.5, source_s=2.0, out=tmp_path / "looped.wav")
    assert probe(looped).duration == pytest.approx(6.5, abs=0.002)
    level = mean_volume_db(short, 0.2, 1.8)
    for start in (2.2, 4.2, 5.0):  # each repetition sounds like the first
        assert mean_volume_db(looped, start, start + 1.0) == pytest.approx(level, abs=1.5)
    long = make_audio(tmp_path, "wav", 30.0, name="long")
    trimmed = fit_music(long, duration_s=6.0, source_s=30.0, out=tmp_path / "trimmed.wav")
    assert probe(trimmed).duration == pytest.approx(6.0, abs=0.002)
    assert mean_volume_db(trimmed, 5.0, 6.0) == pytest.approx(mean_volume_db(long, 5.0, 6.0),
                                                              abs=0.5)
