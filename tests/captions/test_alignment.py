"""Forced alignment of the script to the voice track: word starts against known ones.

The tracks are spoken by the local espeak voice, whose word events give each word's true
start (see ``tests/utils/speech.py``); the aligners see only the audio and the script.
"""

from __future__ import annotations

import itertools
import logging
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.utils.speech import SpokenTrack, spoken_track
from ugen.providers.base import Alignment, PermanentProviderError, WordAligner, WordTiming
from ugen.providers.local.alignment import (
    LocalWordAligner,
    PocketsphinxAligner,
    SpeechActivityAligner,
)
from ugen.providers.local.alignment._pronounce import letter_phones, pronounce, spoken_tokens
from ugen.providers.local.alignment._weights import syllables

ENGLISH = [
    "Meet GlowBerry's new serum, made for busy mornings.",
    "Two drops, and it sinks in within 30 seconds.",
    "Get yours today with 20% off!",
]
FALLBACK = {
    "de": ["Kennst du das Gefühl, morgens müde auszusehen?",
           "Dieses Serum zieht in Sekunden ein und duftet herrlich."],
    "zh": ["你是不是每天早上都觉得皮肤很暗淡？", "这款精华只要两滴，马上就能吸收。"],
}
ARPABET = frozenset({
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
})


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> SpokenTrack:
    return spoken_track(ENGLISH, "en", tmp_path_factory.mktemp("en") / "en.wav",
                        segment_s=3.5)


def start_errors(found: Sequence[WordTiming], truth: Sequence[WordTiming]) -> np.ndarray:
    assert [w.text for w in found] == [w.text for w in truth]
    return np.array([abs(a.start - b.start) for a, b in zip(found, truth, strict=True)])


def assert_well_formed(words: Sequence[WordTiming], duration: float) -> None:
    assert all(0.0 <= w.start <= w.end <= duration for w in words)
    assert all(a.end <= b.start for a, b in itertools.pairwise(words))


def write_silence(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(48_000)
        fh.writeframes(bytes(2 * round(48_000 * seconds)))
    return path


def test_align_english_word_starts_match_the_speech(english: SpokenTrack) -> None:
    found = PocketsphinxAligner().align(english.path, english.lines, language="en")
    assert found.method == "pocketsphinx"
    errors = start_errors(found.words, english.truth)
    assert np.median(errors) <= 0.05, errors
    assert errors.max() <= 0.15, errors
    assert_well_formed(found.words, english.duration_s)


@pytest.mark.parametrize("language", sorted(FALLBACK))
def test_align_fallback_word_starts_match_the_speech(language: str, tmp_path: Path) -> None:
    track = spoken_track(FALLBACK[language], language, tmp_path / "t.wav", segment_s=4.0)
    found = LocalWordAligner().align(track.path, track.lines, language=language)
    assert found.method == "speech-activity"
    errors = start_errors(found.words, track.truth)
    assert np.median(errors) <= 0.15, errors
    assert np.percentile(errors, 90) <= 0.35, errors
    # Every line's first word starts where its line's speech starts.
    firsts = np.cumsum([0] + [len(line) for line in track.lines[:-1]])
    assert errors[firsts].max() <= 0.03, errors[firsts]
    assert_well_formed(found.words, track.duration_s)


def test_align_fallback_beats_spreading_words_evenly(english: SpokenTrack) -> None:
    found = SpeechActivityAligner().align(english.path, english.lines, language="en")
    first, last = english.truth[0].start, english.truth[-1].end
    step = (last - first) / len(english.truth)
    even = [WordTiming(w.text, first + i * step, first + (i + 1) * step)
            for i, w in enumerate(english.truth)]
    assert np.median(start_errors(found.words, english.truth)) <= 0.15
    assert (np.median(start_errors(found.words, english.truth))
            < 0.5 * np.median(start_errors(even, english.truth)))


def test_align_unknown_and_unspoken_words_does_not_crash(english: SpokenTrack) -> None:
    # An emoji has nothing to say: it takes no time, where it falls, and the rest still align.
    lines = [[*english.lines[0], "🙂"], *english.lines[1:]]
    found = LocalWordAligner().align(english.path, lines, language="en")
    assert found.method == "pocketsphinx"
    assert [w.text for w in found.words] == [w for line in lines for w in line]
    emoji = found.words[len(english.lines[0])]
    assert emoji.start == emoji.end
    assert_well_formed(found.words, english.duration_s)


@pytest.mark.parametrize("word", ["GlowBerry's", "XJ-9000", "$49.99", "21st", "Zyrtexa",
                                  "café", "K-Beauty", "1,299", "—", "🙂", "Ωmega"])
def test_pronounce_any_written_word(word: str) -> None:
    known = {"glow": "G L OW", "berry": "B EH R IY", "beauty": "B Y UW T IY"}
    for token in spoken_tokens(word):
        phones = pronounce(token, known.get).split()
        assert phones and set(phones) <= ARPABET, (token, phones)


def test_spoken_tokens_read_numbers_and_symbols() -> None:
    assert spoken_tokens("20%") == ["twenty", "percent"]
    assert spoken_tokens("$5") == ["five", "dollars"]
    assert spoken_tokens("2025,") == ["two", "thousand", "twenty", "five"]
    assert spoken_tokens("21st") == ["twenty", "first"]
    assert spoken_tokens("3.5") == ["three", "point", "five"]
    assert spoken_tokens("—") == []
    assert pronounce("glowberry", {"glow": "G L OW", "berry": "B EH R IY"}.get) == \
        "G L OW B EH R IY"
    assert letter_phones("zyrtex") == "Z IH R T EH K S"


def test_word_weights_follow_syllables_across_scripts() -> None:
    assert syllables("serum") > syllables("skin")
    assert syllables("Gefühl") > syllables("du")
    assert syllables("精华") == 2 * syllables("精")
    assert syllables("сыворотки") > syllables("две")
    assert syllables("—") == 0


def test_align_nothing_gives_no_timings(english: SpokenTrack) -> None:
    for aligner in (PocketsphinxAligner(), SpeechActivityAligner(), LocalWordAligner()):
        found = aligner.align(english.path, [[], []], language="en")
        assert found.words == ()


@pytest.mark.parametrize("language", ["en", "de"])
def test_align_silence_raises_no_speech(language: str, tmp_path: Path) -> None:
    silence = write_silence(tmp_path / "silence.wav", 2.0)
    with pytest.raises(PermanentProviderError, match="no speech"):
        LocalWordAligner().align(silence, [["Hello", "there"]], language=language)


def test_align_missing_audio_raises(tmp_path: Path) -> None:
    with pytest.raises(PermanentProviderError, match="no audio"):
        LocalWordAligner().align(tmp_path / "missing.wav", [["Hi"]], language="en")


class _Refusing:
    def align(self, audio: Path, lines: Sequence[Sequence[str]], *,
              language: str) -> Alignment:
        raise PermanentProviderError("no alignment", provider="test")


def test_english_falls_back_to_speech_activity_with_a_warning(
    english: SpokenTrack, caplog: pytest.LogCaptureFixture
) -> None:
    aligner: WordAligner = LocalWordAligner(english=_Refusing())
    with caplog.at_level(logging.WARNING):
        found = aligner.align(english.path, english.lines, language="en")
    assert found.method == "speech-activity"
    assert "using speech activity" in caplog.text
    assert np.median(start_errors(found.words, english.truth)) <= 0.15
