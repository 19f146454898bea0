"""Voice tracks whose word starts are known: the local espeak voice, lines at segment offsets.

Like the ``audio`` stage's track: each line is spoken on its own and placed at the start of its
segment on a silent timeline. The voice's word timings come from espeak's own word events, so
they are the ground truth for alignment. For scripts written without spaces (Chinese,
Japanese) the caption words are spoken with spaces between them, so that a caption word always
starts at one of espeak's events, and the timings are gathered per caption word as the
``audio`` stage does.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ugen.captions.words import UNSPACED, retime, split_words
from ugen.catalog import voices
from ugen.providers.base import WordTiming
from ugen.providers.local.voice import SAMPLE_RATE, LocalVoiceProvider


@dataclass(frozen=True)
class SpokenTrack:
    """A voice track, its script as caption words per line, and each word's true timing."""

    path: Path
    lines: tuple[tuple[str, ...], ...]
    truth: tuple[WordTiming, ...]
    duration_s: float


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as fh:
        return np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2").astype(np.int32)


def spoken_track(lines: list[str], language: str, out: Path, *, voice_id: str = "sarah",
                 segment_s: float = 5.0, min_pause_s: float = 0.4) -> SpokenTrack:
    """Speak ``lines`` into a 48 kHz mono WAV at ``out``, one line per segment.

    Line ``i`` starts at the later of ``i * segment_s`` and the previous line's end plus
    ``min_pause_s`` (a long line pushes the next one, as an overrunning line would).
    """
    provider = LocalVoiceProvider()
    pieces: list[tuple[np.ndarray, float]] = []
    words: list[tuple[str, ...]] = []
    truth: list[WordTiming] = []
    end = -min_pause_s
    for i, line in enumerate(lines):
        units = tuple(split_words(line, language))
        spoken = " ".join(units) if language in UNSPACED else line
        speech = provider.synthesize(spoken, language=language, voice=voices()[voice_id],
                                     out_path=out.with_name(f"{out.stem}_line{i}.wav"))
        timed = retime(speech.words, units) if language in UNSPACED else list(speech.words)
        assert [w.text for w in timed] == list(units), (timed, units)
        offset = max(i * segment_s, end + min_pause_s)
        pieces.append((_read(speech.path), offset))
        words.append(units)
        truth += [WordTiming(w.text, round(w.start + offset, 4), round(w.end + offset, 4))
                  for w in timed]
        end = offset + speech.duration_s
    total = round((end + 0.5) * SAMPLE_RATE)
    track = np.zeros(total, dtype=np.int32)
    for samples, offset in pieces:
        at = round(offset * SAMPLE_RATE)
        track[at:at + len(samples)] += samples
    with wave.open(str(out), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(SAMPLE_RATE)
        fh.writeframes(np.clip(track, -32768, 32767).astype("<i2").tobytes())
    return SpokenTrack(out, tuple(words), tuple(truth), total / SAMPLE_RATE)
