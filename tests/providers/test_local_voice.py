"""The offline voice: espeak-ng speech whose word timings match the sound, shaped by a profile."""

from __future__ import annotations

import itertools
import threading
import wave
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from ugen.catalog import Voice, voices
from ugen.media.runner import run_ffmpeg
from ugen.providers.base import PermanentProviderError, SpeechResult, WordTiming
from ugen.providers.local._espeak import WordEvent
from ugen.providers.local.voice import LocalVoiceProvider, _align, _tokenize

FRAME_S = 0.005

# Every word is followed by punctuation, so espeak leaves a pause before each next word and the
# true start of every word's sound can be measured from the recording alone.
PAUSED_TEXT = "Apples, bananas, cherries. Melons, figs. Kiwis, lemons, plums. Peaches, oranges."


def read_wav(path: Path) -> tuple[NDArray[np.float64], int, int]:
    with wave.open(str(path), "rb") as fh:
        rate, channels = fh.getframerate(), fh.getnchannels()
        data = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
    return data.astype(np.float64) / 32768.0, rate, channels


def frame_db(x: NDArray[np.float64], rate: int) -> NDArray[np.float64]:
    hop = round(rate * FRAME_S)
    n = len(x) // hop
    frames = x[: n * hop].reshape(n, hop)
    return np.asarray(20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-9))


def sound_onsets(x: NDArray[np.float64], rate: int, min_gap_s: float = 0.06) -> list[float]:
    """Times where sound starts after at least ``min_gap_s`` of silence (or at the file start)."""
    db = frame_db(x, rate)
    loud = db > max(-50.0, db.max() - 40.0)
    onsets: list[float] = []
    previous = -(10**9)
    for i in np.flatnonzero(loud):
        if (i - previous - 1) * FRAME_S >= min_gap_s:
            onsets.append(float(i * FRAME_S))
        previous = int(i)
    return onsets


def f0_hz(x: NDArray[np.float64], rate: int) -> float:
    """Median fundamental frequency of the voiced frames (YIN's normalised difference)."""
    window, lo, hi = int(0.03 * rate), int(rate / 400), int(rate / 50)
    estimates = []
    for start in range(0, len(x) - window - hi, window // 2):
        seg = x[start : start + window + hi]
        if np.sqrt(np.mean(seg[:window] ** 2)) < 0.01:
            continue
        energy = np.concatenate([[0.0], np.cumsum(seg**2)])
        e = energy[window : window + hi] - energy[:hi]  # energy of seg[tau : tau + window]
        r = np.correlate(seg, seg[:window], mode="valid")[:hi]
        d = e[0] + e - 2 * r
        d[0] = 0.0
        cmndf = np.ones(hi)
        cmndf[1:] = d[1:] * np.arange(1, hi) / np.maximum(np.cumsum(d[1:]), 1e-12)
        candidates = np.flatnonzero(cmndf[lo:] < 0.15)
        if candidates.size == 0:
            continue
        tau = lo + int(candidates[0])
        while tau + 1 < hi and cmndf[tau + 1] < cmndf[tau]:
            tau += 1
        estimates.append(rate / tau)
    assert len(estimates) > 10, "too few voiced frames to measure pitch"
    return float(np.median(estimates))


def neutral(**changes: object) -> Voice:
    return voices()["liam"].model_copy(
        update={"pitch_semitones": 0.0, "formant_shift": 1.0, **changes}
    )


@pytest.fixture(scope="module")
def provider() -> LocalVoiceProvider:
    return LocalVoiceProvider()


def start_errors(words: tuple[WordTiming, ...], onsets: list[float]) -> list[float]:
    return [min(abs(w.start - t) for t in onsets) for w in words]


@pytest.mark.parametrize("voice_id", ["liam", "roger"])
def test_word_starts_are_where_the_sound_starts(
    provider: LocalVoiceProvider, tmp_path: Path, voice_id: str
) -> None:
    result = provider.synthesize(
        PAUSED_TEXT, language="en", voice=voices()[voice_id], out_path=tmp_path / "s.wav"
    )
    x, rate, channels = read_wav(result.path)
    assert (rate, channels) == (48_000, 1)
    assert abs(result.duration_s - len(x) / rate) < 1e-3

    words = result.words
    assert [w.text for w in words] == PAUSED_TEXT.split()
    assert all(w.start <= w.end for w in words)
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(words))
    assert words[-1].end <= result.duration_s + 1e-6

    onsets = sound_onsets(x, rate)
    # One pause-separated burst of sound per word, and each word starts at its own burst.
    assert len(onsets) == len(words)
    errors = start_errors(words, onsets)
    assert max(errors) <= 0.03, errors
    nearest = [int(np.argmin([abs(w.start - t) for t in onsets])) for w in words]
    assert nearest == list(range(len(words)))
    # Each word ends in the pause after it, well before the next word's sound.
    for w, nxt in zip(words, onsets[1:], strict=False):
        assert w.end <= nxt - 0.05
        assert w.end - w.start > 0.1

    # The check has teeth: timings spread evenly over the speech would fail it.
    span = (words[0].start, words[-1].end)
    step = (span[1] - span[0]) / len(words)
    even = tuple(
        WordTiming(w.text, span[0] + i * step, span[0] + (i + 1) * step)
        for i, w in enumerate(words)
    )
    assert max(start_errors(even, onsets)) > 0.05


def test_continuous_speech_timings_are_monotonic_and_cover_the_text(
    provider: LocalVoiceProvider, tmp_path: Path
) -> None:
    text = "Okay so — I've used this serum for 2 weeks now, and my skin has never looked better!"
    result = provider.synthesize(text, language="en", voice=voices()["sarah"],
                                 out_path=tmp_path / "c.wav")
    assert [w.text for w in result.words] == text.split()
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    spoken = [w for w in result.words if w.text != "—"]
    assert all(w.end > w.start for w in spoken)
    # Speech fills the file: the last word ends near its end, the first starts near zero.
    assert result.words[0].start < 0.1
    assert result.duration_s - 0.4 < result.words[-1].end <= result.duration_s


def test_espeak_position_drift_is_absorbed() -> None:
    # espeak reports "much" at position 11 (inside "so") after reading "ü" as a letter name.
    text = "Love it ü so much!"
    tokens = _tokenize(text)
    events = tuple(WordEvent(p, n, t) for p, n, t in [
        (0, 4, 0.0), (5, 2, 0.22), (8, 1, 0.37), (10, 2, 0.88), (11, 2, 1.18),
    ])
    aligned = _align(tokens, events)
    assert [[t for _, t in evs] for evs in aligned] == [[0.0], [0.22], [0.37], [0.88], [1.18]]
    # Several events inside one token (a number read as words) stay with it.
    text = "It's 3:45 and fine."
    events = tuple(WordEvent(p, n, t) for p, n, t in [
        (0, 2, 0.0), (5, 1, 0.24), (7, 2, 0.48), (8, 2, 0.82), (10, 3, 1.3), (14, 4, 1.5),
    ])
    starts = [evs[0][1] if evs else None for evs in _align(_tokenize(text), events)]
    assert starts == [0.0, 0.24, 1.3, 1.5]


def test_awkward_tokens_get_their_own_time(provider: LocalVoiceProvider, tmp_path: Path) -> None:
    for text in ("Love it ü so much!", "e.g. this one works.", "Love it 😍 so much!\nReally.",
                 "Price: $19.99 — 50% off (today only)"):
        result = provider.synthesize(text, language="en", voice=neutral(),
                                     out_path=tmp_path / "w.wav")
        assert [w.text for w in result.words] == text.split()
        for w in result.words:
            if any(ch.isalnum() for ch in w.text):
                assert w.end - w.start > 0.05, (text, w)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ar", "هذا المنتج رائع جدا، أستخدمه كل يوم."),
        ("zh", "这个产品真的很好用，我每天都用它。"),
        ("ja", "この商品は本当にいいです。毎日使っています。"),
        ("ru", "Этот продукт просто супер, я пользуюсь им каждый день."),
        ("hi", "यह उत्पाद बहुत अच्छा है, मैं इसे रोज़ इस्तेमाल करती हूँ।"),
        ("he", "המוצר הזה פשוט מעולה."),
        ("es", "¡Este producto es increíble! Lo uso todos los días."),
        ("de", "Ich benutze es jeden Tag – wirklich großartig."),
    ],
    ids=lambda v: v if len(v) <= 3 else "",
)
def test_languages(provider: LocalVoiceProvider, tmp_path: Path, language: str, text: str) -> None:
    # A persona's espeak variant in every language; shaping is left out (tested elsewhere).
    voice = voices()["aria"].model_copy(update={"pitch_semitones": 0.0, "formant_shift": 1.0})
    result = provider.synthesize(text, language=language, voice=voice,
                                 out_path=tmp_path / f"{language}.wav")
    x, rate, _ = read_wav(result.path)
    assert rate == 48_000 and result.duration_s > 0.5
    assert np.sqrt(np.mean(x**2)) > 0.01
    # Every character of the text is in some unit, in order, with nothing added.
    assert "".join(w.text for w in result.words) == "".join(text.split())
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    if language in ("zh", "ja"):
        assert len(result.words) >= 2  # a space-less script still comes back in pieces
        if language == "zh":
            assert len(result.words) >= 10
    else:
        assert [w.text for w in result.words] == text.split()


def test_deterministic_and_thread_safe(provider: LocalVoiceProvider, tmp_path: Path) -> None:
    texts = ["The first sentence is short.", "The second one is a little bit longer than that."]
    first = provider.synthesize(texts[0], language="en", voice=voices()["aria"],
                                out_path=tmp_path / "first.wav")
    again = provider.synthesize(texts[0], language="en", voice=voices()["aria"],
                                out_path=tmp_path / "again.wav")
    assert again.path.read_bytes() == first.path.read_bytes()
    assert again.words == first.words

    # Threads interleaving two texts get exactly what one thread alone gets.
    plain = neutral()
    expected = [
        provider.synthesize(t, language="en", voice=plain, out_path=tmp_path / f"{i}.wav")
        for i, t in enumerate(texts)
    ]
    results: dict[int, SpeechResult] = {}

    def work(k: int) -> None:
        results[k] = provider.synthesize(
            texts[k % 2], language="en", voice=plain, out_path=tmp_path / f"t{k}.wav"
        )

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1, 2, 3]
    for k, res in results.items():
        exp = expected[k % 2]
        assert res.words == exp.words
        assert res.path.read_bytes() == exp.path.read_bytes()


def test_empty_text_and_unknown_language_fail_clearly(
    provider: LocalVoiceProvider, tmp_path: Path
) -> None:
    with pytest.raises(PermanentProviderError, match="empty text"):
        provider.synthesize("   \n", language="en", voice=voices()["aria"],
                            out_path=tmp_path / "e.wav")
    with pytest.raises(PermanentProviderError, match="not supported"):
        provider.synthesize("Hello", language="tlh", voice=voices()["aria"],
                            out_path=tmp_path / "k.wav")
    assert not (tmp_path / "e.wav").exists()
    # Regional codes fall back to their language.
    result = provider.synthesize("Olá, tudo bem?", language="pt-BR", voice=voices()["aria"],
                                 out_path=tmp_path / "pt.wav")
    assert [w.text for w in result.words] == ["Olá,", "tudo", "bem?"]


@pytest.mark.parametrize(("semitones", "formant"), [(3.0, 1.06), (-3.0, 0.95), (2.0, 1.0)])
def test_convert_keeps_duration_and_moves_pitch(
    provider: LocalVoiceProvider, tmp_path: Path, semitones: float, formant: float
) -> None:
    source = provider.synthesize(
        "This is how I sound before the conversion, a plain and steady voice.",
        language="en", voice=neutral(), out_path=tmp_path / "src.wav",
    )
    target = neutral(pitch_semitones=semitones, formant_shift=formant)
    out = provider.convert(source.path, voice=target, out_path=tmp_path / "out.wav")
    x0, rate0, _ = read_wav(source.path)
    x1, rate1, ch1 = read_wav(out)
    assert (rate1, ch1) == (48_000, 1)
    assert abs(len(x1) / rate1 - len(x0) / rate0) <= 0.01

    ratio = f0_hz(x1, rate1) / f0_hz(x0, rate0)
    expected = 2 ** (semitones / 12)
    assert np.sign(np.log(ratio)) == np.sign(semitones)
    assert abs(ratio - expected) < 0.05 * expected, (ratio, expected)

    # Timing is untouched: the sound starts after pauses stay where they were.
    on0, on1 = sound_onsets(x0, rate0), sound_onsets(x1, rate1)
    assert len(on0) == len(on1)
    assert max(abs(a - b) for a, b in zip(on0, on1, strict=True)) <= 0.02


def test_convert_accepts_other_formats_and_rejects_non_audio(
    provider: LocalVoiceProvider, tmp_path: Path
) -> None:
    source = provider.synthesize("A short stereo clip.", language="en", voice=neutral(),
                                 out_path=tmp_path / "src.wav")
    stereo = tmp_path / "stereo.wav"
    run_ffmpeg(["-i", str(source.path), "-ac", "2", "-ar", "44100", str(stereo)])
    out = provider.convert(stereo, voice=voices()["roger"], out_path=tmp_path / "out.wav")
    x, rate, channels = read_wav(out)
    assert (rate, channels) == (48_000, 1)
    assert abs(len(x) / rate - source.duration_s) <= 0.01
    assert provider.convert(stereo, voice=voices()["roger"], out_path=tmp_path / "b.wav"
                            ).read_bytes() == out.read_bytes()

    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(PermanentProviderError, match="no readable audio"):
        provider.convert(junk, voice=voices()["roger"], out_path=tmp_path / "j.wav")
    with pytest.raises(PermanentProviderError, match="no audio"):
        provider.convert(tmp_path / "missing.wav", voice=voices()["roger"],
                         out_path=tmp_path / "m.wav")
