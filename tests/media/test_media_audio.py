"""Timeline placement, ducking, loudness normalisation and the measurements themselves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_kit import decode_audio

from ugen.media.audio import (
    cut_span,
    mean_volume_db,
    measure_loudness,
    mix_voice_and_music,
    place_on_timeline,
)
from ugen.media.errors import FFmpegError
from ugen.media.probe import probe
from ugen.media.runner import run_ffmpeg

RATE = 48000
# A voiced, syllable-like signal with no energy above 1 kHz, so the music's 11 kHz tone can
# be measured on its own under it with a high-pass filter.
VOICE = ("aevalsrc='0.3*(sin(2*PI*180*t)+0.5*sin(2*PI*360*t)+0.25*sin(2*PI*720*t))"
         "*(0.6+0.4*sin(2*PI*4*t))':s=22050:d={d}")


def _lavfi(out: Path, source: str, *extra: str) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", source, *extra, str(out)])
    return out


def _tone(out: Path, seconds: float, freq: int = 1000) -> Path:
    return _lavfi(out, f"sine=frequency={freq}:sample_rate=44100:duration={seconds}")


def _onsets(samples: np.ndarray, threshold: float = 0.05) -> list[tuple[float, float]]:
    """(start, end) seconds of the non-silent runs."""
    loud = np.abs(samples) > threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    runs = [(a / RATE, b / RATE) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[tuple[float, float]] = []
    for start, end in runs:  # join runs split by a sine's zero crossings
        if merged and start - merged[-1][1] < 0.005:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def test_place_on_timeline_clips_at_offsets_exact_length(tmp_path: Path) -> None:
    a, b = _tone(tmp_path / "a.wav", 0.5), _tone(tmp_path / "b.mp3", 0.4, 500)
    out = place_on_timeline([(a, 0.25), (b, 1.0), (a, 1.8), (b, 2.5)], duration_s=2.0,
                            out=tmp_path / "voice.wav")
    info = probe(out)
    assert info.audio is not None and info.audio.sample_rate == RATE
    samples = decode_audio(out)[:, 0]
    assert len(samples) == 2 * RATE
    runs = _onsets(samples)
    assert len(runs) == 3
    (s1, e1), (s2, e2), (s3, e3) = runs
    assert s1 == pytest.approx(0.25, abs=0.001) and e1 == pytest.approx(0.75, abs=0.002)
    assert s2 == pytest.approx(1.0, abs=0.03) and e2 == pytest.approx(1.4, abs=0.03)  # mp3 delay
    assert s3 == pytest.approx(1.8, abs=0.001) and e3 == pytest.approx(2.0, abs=0.001)  # cut at end


def test_cut_span_takes_the_span_sample_exact_and_pads_past_the_end(tmp_path: Path) -> None:
    timeline = place_on_timeline([(_tone(tmp_path / "t.wav", 0.5), 1.0)], duration_s=2.0,
                                 out=tmp_path / "timeline.wav")
    span = decode_audio(cut_span(timeline, start_s=0.75, end_s=1.6,
                                 out=tmp_path / "span.wav"))[:, 0]
    assert len(span) == round(0.85 * RATE)
    [(start, end)] = _onsets(span)
    assert start == pytest.approx(0.25, abs=0.001) and end == pytest.approx(0.75, abs=0.002)
    tail = decode_audio(cut_span(timeline, start_s=1.2, end_s=3.0, out=tmp_path / "tail.wav"))
    assert len(tail) == round(1.8 * RATE)  # silence where the source ended
    [(start, end)] = _onsets(tail[:, 0])
    assert start == pytest.approx(0.0, abs=0.001) and end == pytest.approx(0.3, abs=0.002)


def test_cut_span_refuses_bad_spans_and_sources_without_sound(tmp_path: Path) -> None:
    tone = _tone(tmp_path / "t.wav", 0.5)
    for start, end in ((-0.1, 0.2), (0.3, 0.3), (0.4, 0.1)):
        with pytest.raises(ValueError, match="bad span"):
            cut_span(tone, start_s=start, end_s=end, out=tmp_path / "x.wav")
    silent_video = _lavfi(tmp_path / "v.mp4", "color=size=64x64:duration=0.5", "-an")
    with pytest.raises(FFmpegError):
        cut_span(silent_video, start_s=0.0, end_s=0.4, out=tmp_path / "y.wav")
    assert not (tmp_path / "y.wav").exists()


@pytest.fixture
def voice_track(tmp_path: Path) -> Path:
    """8 s: speech 0.5–3.5 s and 5.0–7.0 s, silence elsewhere."""
    first = _lavfi(tmp_path / "v1.wav", VOICE.format(d=3.0))
    second = _lavfi(tmp_path / "v2.wav", VOICE.format(d=2.0), "-ac", "2")
    return place_on_timeline([(first, 0.5), (second, 5.0)], duration_s=8.0,
                             out=tmp_path / "voice.wav")


@pytest.fixture
def music_track(tmp_path: Path) -> Path:
    """3 s (so it must loop) of an 11 kHz tone over a 220 Hz one, mastered loud."""
    return _lavfi(tmp_path / "music.m4a",
                  "sine=frequency=11000:sample_rate=44100:duration=3,volume=2.0",
                  "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:duration=3",
                  "-filter_complex", "[0][1]amix=inputs=2:normalize=0", "-c:a", "aac")


def test_mix_voice_and_music_loudness_on_target(voice_track: Path, music_track: Path,
                                                tmp_path: Path) -> None:
    out = mix_voice_and_music(voice_track, music_track, duration_s=8.0,
                              out=tmp_path / "mix.wav").path
    loud = measure_loudness(out)
    assert loud.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert loud.true_peak_dbtp <= -1.0
    info = probe(out)
    assert info.audio is not None
    assert (info.audio.sample_rate, info.audio.channels) == (RATE, 2)
    assert len(decode_audio(out, channels=2)) == 8 * RATE
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left


def test_mix_voice_and_music_music_ducked_under_speech(voice_track: Path, music_track: Path,
                                                       tmp_path: Path) -> None:
    out = mix_voice_and_music(voice_track, music_track, duration_s=8.0,
                              out=tmp_path / "mix.wav").path
    music_only = tmp_path / "music_only.wav"  # the voice has nothing above 1 kHz
    run_ffmpeg(["-i", str(out), "-af", "highpass=f=8000,highpass=f=8000,highpass=f=8000",
                str(music_only)])
    during_speech = [mean_volume_db(music_only, 1.0, 3.0), mean_volume_db(music_only, 5.5, 6.8)]
    in_pause = mean_volume_db(music_only, 4.0, 4.8)
    assert in_pause > -60  # music really is there
    assert all(level <= in_pause - 6.0 for level in during_speech), (during_speech, in_pause)


def test_mix_voice_and_music_faded_music_loops_to_length(voice_track: Path, music_track: Path,
                                                         tmp_path: Path) -> None:
    out = mix_voice_and_music(voice_track, music_track, duration_s=8.0,
                              out=tmp_path / "mix.wav").path
    music_only = tmp_path / "music_only.wav"
    run_ffmpeg(["-i", str(out), "-af", "highpass=f=8000,highpass=f=8000", str(music_only)])
    # past the 3 s source, in the 3.5-5.0 s pause, music still plays (looped) ...
    assert mean_volume_db(music_only, 4.2, 4.8) > -60
    # ... and it fades in from silence and out to silence
    assert mean_volume_db(music_only, 0.0, 0.05) < mean_volume_db(music_only, 0.3, 0.45) - 10
    assert mean_volume_db(music_only, 7.95, 8.0) < mean_volume_db(music_only, 4.2, 4.8) - 10


def test_mix_voice_and_music_without_music_normalises_voice(voice_track: Path,
                                                            tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    run_ffmpeg(["-i", str(voice_track), "-af", "volume=-18dB", str(quiet)])
    assert measure_loudness(quiet).integrated_lufs < -25
    out = mix_voice_and_music(quiet, None, duration_s=7.5,
                              out=tmp_path / "voice_only.wav").path
    loud = measure_loudness(out)
    assert loud.integrated_lufs == pytest.approx(-14.0, abs=1.0)
    assert loud.true_peak_dbtp <= -1.0
    assert len(decode_audio(out, channels=2)) == int(7.5 * RATE)


def test_measure_loudness_reference_tone(tmp_path: Path) -> None:
    # EBU Tech 3341 case 1: a stereo 1 kHz sine at -20 dBFS measures -20 LUFS, peak -20 dBTP
    tone = _lavfi(tmp_path / "t.wav", "sine=frequency=1000:sample_rate=48000:duration=5",
                  "-af", "volume=0.8,pan=stereo|c0=c0|c1=c0")  # sine's default amplitude 1/8
    loud = measure_loudness(tone)
    assert loud.integrated_lufs == pytest.approx(-20.0, abs=0.2)
    assert loud.true_peak_dbtp == pytest.approx(-20.0, abs=0.2)
    assert loud.lra < 1.0


def test_mean_volume_db_window_separates_tone_and_silence(tmp_path: Path) -> None:
    tone = _tone(tmp_path / "t.wav", 1.0)
    track = place_on_timeline([(tone, 1.0)], duration_s=2.0, out=tmp_path / "track.wav")
    # sine amplitude 1/8: RMS = 1/8/sqrt(2) = -21.1 dBFS
    assert mean_volume_db(track, 1.2, 1.8) == pytest.approx(-21.1, abs=0.3)
    assert mean_volume_db(track, 0.1, 0.9) < -85


def test_mix_voice_and_music_peaky_voice_limited_and_still_on_target(tmp_path: Path) -> None:
    """Clicks far louder than their surroundings (a crest factor no gain alone can fit under
    −1 dBTP at −14 LUFS): the limiter holds the peaks and the gain makes up the loudness."""
    peaky = _lavfi(tmp_path / "peaky.wav",
                   "aevalsrc='0.02*sin(2*PI*300*t)+0.9*lt(mod(t,0.25),0.002)':s=48000:d=6")
    before = measure_loudness(peaky)
    assert before.true_peak_dbtp - before.integrated_lufs > 20  # peaks far above loudness
    out = mix_voice_and_music(peaky, None, duration_s=6.0, out=tmp_path / "mix.wav").path
    loud = measure_loudness(out)
    assert loud.integrated_lufs == pytest.approx(-14.0, abs=0.5)
    assert loud.true_peak_dbtp <= -1.0
    assert len(decode_audio(out, channels=2)) == 6 * RATE


def test_mix_voice_and_music_unlimited_mix_lands_exactly(voice_track: Path,
                                                         tmp_path: Path) -> None:
    """Where the gain alone keeps the peaks under the ceiling, no limiter runs: the mix is
    the measured gain, landing on the target to the meter's tenth."""
    gentle = tmp_path / "gentle.wav"
    run_ffmpeg(["-i", str(voice_track), "-af", "volume=-10dB", str(gentle)])
    out = mix_voice_and_music(gentle, None, duration_s=7.5, out=tmp_path / "mix.wav").path
    loud = measure_loudness(out)
    assert loud.integrated_lufs == pytest.approx(-14.0, abs=0.1)
    assert loud.true_peak_dbtp <= -1.0
