"""The offline music beds: format, length, level, loopability, mood character, determinism."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from ugen.catalog import MUSIC_MOODS
from ugen.providers.base import PermanentProviderError
from ugen.providers.local.music import MOOD_STYLES, LocalMusicProvider


def read_stereo(path: Path) -> tuple[NDArray[np.float64], int]:
    with wave.open(str(path), "rb") as fh:
        assert fh.getnchannels() == 2
        assert fh.getsampwidth() == 2
        rate = fh.getframerate()
        data = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
    return data.reshape(-1, 2).T.astype(np.float64) / 32768.0, rate


def onset_envelope(x: NDArray[np.float64], rate: int) -> tuple[NDArray[np.float64], float]:
    """Half-wave-rectified rise of the short-time energy: peaks where notes and hits start."""
    hop = 240
    n = x.size // hop
    energy = np.log(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-9)
    return np.maximum(np.diff(energy), 0.0), hop / rate


def tempo_bpm(x: NDArray[np.float64], rate: int) -> float:
    """The tempo between 70 and 150 BPM whose beat period best repeats the onset pattern."""
    env, frame_s = onset_envelope(x, rate)
    env = env - env.mean()
    ac = np.correlate(env, env, mode="full")[env.size - 1 :]

    def score(bpm: float) -> float:
        lag = 60.0 / bpm / frame_s
        return float(sum(np.interp(k * lag, np.arange(ac.size), ac) for k in (1, 2, 4)))

    candidates = np.arange(70.0, 150.0, 0.25)
    return float(candidates[int(np.argmax([score(b) for b in candidates]))])


def band_shares(x: NDArray[np.float64], rate: int, edges: list[float]) -> list[float]:
    """Share of the total power in each band between consecutive ``edges`` (Hz)."""
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    total = power.sum()
    return [float(power[(freqs >= lo) & (freqs < hi)].sum() / total)
            for lo, hi in itertools.pairwise(edges)]


def band_share(x: NDArray[np.float64], rate: int, lo: float, hi: float) -> float:
    return band_shares(x, rate, [lo, hi])[0]


@pytest.fixture(scope="module")
def beds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("music")
    provider = LocalMusicProvider()
    return {
        mood: provider.generate(mood=mood, duration_s=12.0, out_path=out / f"{mood}.wav", seed=1)
        for mood in MUSIC_MOODS
    }


@pytest.mark.parametrize("mood", MUSIC_MOODS)
def test_format_length_level(beds: dict[str, Path], mood: str) -> None:
    x, rate = read_stereo(beds[mood])
    assert rate == 48_000
    assert x.shape[1] / rate >= 12.0
    peak_db = 20 * np.log10(np.max(np.abs(x)))
    assert -3.5 < peak_db < -2.5
    rms_db = 20 * np.log10(np.sqrt(np.mean(x**2)))
    assert -24 < rms_db < -9  # a full bed, not a few clicks and not a brick-walled square
    # Stereo, not two copies of one channel.
    assert not np.allclose(x[0], x[1])
    corr = np.corrcoef(x[0], x[1])[0, 1]
    assert 0.3 < corr < 0.999
    # Non-silent throughout: every second carries sound.
    per_second = np.sqrt(np.mean(x[:, : (x.shape[1] // rate) * rate].reshape(2, -1, rate) ** 2,
                                 axis=(0, 2)))
    assert per_second.min() > 0.02
    # Mostly musical range: energy sits below 4 kHz, with some air but no hiss dominating.
    assert band_share(x[0], rate, 30, 4000) > 0.9
    assert band_share(x[0], rate, 8000, 24000) < 0.05


@pytest.mark.parametrize("mood", MUSIC_MOODS)
def test_loops_seamlessly(beds: dict[str, Path], mood: str) -> None:
    x, _ = read_stereo(beds[mood])
    steps = np.abs(np.diff(x, axis=1))
    jump = np.abs(x[:, 0] - x[:, -1])
    assert np.all(jump <= np.percentile(steps, 99.9, axis=1))


@pytest.mark.parametrize("mood", ["upbeat", "chill", "playful", "inspiring"])
def test_tempo_matches_the_mood(beds: dict[str, Path], mood: str) -> None:
    x, rate = read_stereo(beds[mood])
    measured = tempo_bpm(x.mean(axis=0), rate)
    assert abs(measured - MOOD_STYLES[mood].bpm) <= 0.03 * MOOD_STYLES[mood].bpm, measured


def test_moods_differ(beds: dict[str, Path]) -> None:
    bpms = {m: MOOD_STYLES[m].bpm for m in MUSIC_MOODS}
    assert len(set(bpms.values())) == len(bpms)
    x = {m: read_stereo(p)[0].mean(axis=0) for m, p in beds.items()}
    rate = 48_000
    assert abs(tempo_bpm(x["upbeat"], rate) - tempo_bpm(x["chill"], rate)) > 20
    # Spectral balance differs too: a bright, busy bed against a dark, low one.
    high = {m: band_share(v, rate, 2000, 8000) for m, v in x.items()}
    assert high["playful"] > 2 * high["dramatic"]
    edges = [float(f) for f in np.geomspace(40, 12000, 25)]
    spectra = {m: np.log(np.array(band_shares(v, rate, edges)) + 1e-12) for m, v in x.items()}
    for a in MUSIC_MOODS:
        for b in MUSIC_MOODS:
            if a < b:
                assert np.mean(np.abs(spectra[a] - spectra[b])) > 0.3, (a, b)


def test_deterministic_and_seeded(tmp_path: Path) -> None:
    provider = LocalMusicProvider()
    a = provider.generate(mood="chill", duration_s=6.0, out_path=tmp_path / "a.wav", seed=7)
    b = provider.generate(mood="chill", duration_s=6.0, out_path=tmp_path / "b.wav", seed=7)
    c = provider.generate(mood="chill", duration_s=6.0, out_path=tmp_path / "c.wav", seed=8)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_a_minute_is_long_enough(tmp_path: Path) -> None:
    provider = LocalMusicProvider()
    out = provider.generate(mood="upbeat", duration_s=60.0, out_path=tmp_path / "m.wav", seed=3)
    x, rate = read_stereo(out)
    assert 60.0 <= x.shape[1] / rate < 60.0 + 4 * 4 * 60 / MOOD_STYLES["upbeat"].bpm + 0.01


def test_rejects_unknown_mood_and_bad_duration(tmp_path: Path) -> None:
    provider = LocalMusicProvider()
    with pytest.raises(PermanentProviderError, match="unknown music mood 'sad'"):
        provider.generate(mood="sad", duration_s=5.0, out_path=tmp_path / "x.wav")
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(PermanentProviderError, match="duration"):
            provider.generate(mood="chill", duration_s=bad, out_path=tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()
