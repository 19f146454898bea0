"""Offline voice: espeak-ng speech with known word timings, shaped by ffmpeg ``rubberband``.

``synthesize`` speaks the whole text in one libespeak-ng call (natural sentence prosody) and
takes the word timings from the library's own WORD events, so they are exact rather than
estimated. ``convert`` applies a voice's pitch and formant profile to any speech recording.

The profile never changes timing: rubberband pitch-shifts at tempo 1, and the result is padded
or trimmed to the input's exact sample count, so word timings stay valid after shaping.

espeak runs in a fresh worker process for every call (see ``_espeak``): the library carries
state from one utterance to the next, so only a fresh process gives byte-identical audio for
the same inputs, and threads never share the library (no lock needed, calls run in parallel).
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import re
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ugen.catalog import Language, Voice, languages
from ugen.media.errors import FFmpegError
from ugen.media.runner import run_ffmpeg
from ugen.providers.base import PermanentProviderError, SpeechResult, WordTiming
from ugen.providers.local import _espeak

PROVIDER = "local-voice"
SAMPLE_RATE = 48_000

# Scripts written without spaces between words: one whitespace token is a whole phrase, so it is
# cut into the runs espeak reports (one per character for Chinese).
_NO_SPACE_SCRIPT = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f"
    "\u1780-\u17ff\uff66-\uff9f]"
)
_TOKEN = re.compile(r"\S+")

_FRAME_S = 0.005
# A word's sound may start a little after espeak's event (a stop's closure, the end of a pause);
# look this far for it, never further, so a quiet word is not pushed into the next one.
_ONSET_SEARCH_S = 0.15


@dataclass(frozen=True)
class _Unit:
    text: str
    char_start: int
    char_end: int


def resolve_language(language: str) -> Language:
    """The catalog language for a code such as ``en``, ``pt-BR`` or ``zh_CN``."""
    table = languages()
    key = language.strip()
    for candidate in (key, key.lower(), re.split(r"[-_]", key.lower())[0]):
        if candidate in table:
            return table[candidate]
    raise PermanentProviderError(
        f"language {language!r} is not supported by the local voice "
        f"(supported: {', '.join(sorted(table))})",
        provider=PROVIDER,
    )


def espeak_voice_name(lang: Language, voice: Voice) -> str:
    """espeak's name for the language voice with the persona's variant, e.g. ``en-us+f3``."""
    variant = voice.espeak_variant.strip()
    return f"{lang.espeak}+{variant}" if variant else lang.espeak


def profile_filter(voice: Voice) -> list[str]:
    """ffmpeg filters that give speech ``voice``'s pitch and formant character, at tempo 1.

    Pitch and formants are moved independently: a first rubberband pass with formants
    *shifted* moves both by ``formant_shift``; a second with formants *preserved* moves the pitch
    alone by the rest, so the result has pitch x 2^(st/12) and formants x formant_shift.
    """
    pitch = 2.0 ** (voice.pitch_semitones / 12.0)
    formant = voice.formant_shift if voice.formant_shift > 0 else 1.0
    filters = []
    if abs(formant - 1.0) > 1e-3:
        filters.append(f"rubberband=pitch={formant:.6f}:formant=shifted:pitchq=quality")
    rest = pitch / formant
    if abs(rest - 1.0) > 1e-3:
        filters.append(f"rubberband=pitch={rest:.6f}:formant=preserved:pitchq=quality")
    return filters


def _exact_length(samples: int) -> list[str]:
    # Pad, then cut: the output has exactly ``samples`` samples whatever the filters did.
    return [f"apad=whole_len={samples}", f"atrim=end_sample={samples}"]


def _wav_args(out: Path) -> list[str]:
    # bitexact: no encoder-version tag, so the same input gives a byte-identical file.
    return ["-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", "-fflags", "+bitexact",
            "-flags:a", "+bitexact", "-f", "wav", str(out)]


def _write_pcm16(path: Path, samples: NDArray[np.int16], rate: int) -> None:
    with wave.open(str(path), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes(samples.astype("<i2").tobytes())


def _frames(path: Path) -> int:
    with wave.open(str(path), "rb") as fh:
        return fh.getnframes()


def _tokenize(text: str) -> list[_Unit]:
    return [_Unit(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _frame_db(samples: NDArray[np.int16], rate: int) -> tuple[NDArray[np.float64], float]:
    """Level in dBFS of consecutive short frames, and the exact frame length in seconds."""
    hop = max(1, round(rate * _FRAME_S))
    n = len(samples) // hop
    if n == 0:
        return np.full(1, -120.0), hop / rate
    x = samples[: n * hop].astype(np.float64).reshape(n, hop) / 32768.0
    rms = np.sqrt(np.mean(x * x, axis=1))
    return np.asarray(20.0 * np.log10(rms + 1e-9), dtype=np.float64), hop / rate


def word_timings(
    text: str, events: tuple[_espeak.WordEvent, ...], samples: NDArray[np.int16], rate: int
) -> tuple[WordTiming, ...]:
    """Map espeak WORD events onto the whitespace tokens of ``text``.

    Every token is returned once, in order, with its punctuation. A token in a script without
    spaces is cut at the character positions where espeak starts a new word, so Chinese comes
    back as characters and Japanese as espeak's runs; the pieces join back to the token.
    Starts come from the events (refined to the first audible frame just after them); ends are
    the last audible frame before the next unit starts.
    """
    tokens = _tokenize(text)
    if not tokens:
        return ()
    per_token = _align(tokens, events)

    units: list[_Unit] = []
    starts: list[float | None] = []
    for token, evs in zip(tokens, per_token, strict=True):
        if evs and _NO_SPACE_SCRIPT.search(token.text):
            first: dict[int, float] = {}
            for p, t in evs:
                if token.char_start < p < token.char_end and p not in first:
                    first[p] = t
            cuts = sorted(first)
            bounds = [token.char_start, *cuts, token.char_end]
            times = [evs[0][1]] + [first[p] for p in cuts]
            for (a, b), t in zip(itertools.pairwise(bounds), times, strict=True):
                units.append(_Unit(text[a:b], a, b))
                starts.append(t)
        else:
            units.append(token)
            starts.append(evs[0][1] if evs else None)

    duration = len(samples) / rate
    # Frame length from the hop in samples: 110 samples at 22050 Hz is not quite 5 ms.
    db, frame_s = _frame_db(samples, rate)
    loud = db > max(-50.0, float(db.max()) - 40.0)
    audible = np.flatnonzero(loud)
    speech_end = (audible[-1] + 1) * frame_s if audible.size else duration

    _estimate_unheard(units, starts, speech_end)

    # Starts never go backwards; units with nothing to say (a lone dash, an ellipsis) get no
    # length and sit where the previous unit ended.
    voiced = [i for i, s in enumerate(starts) if s is not None]
    resolved: dict[int, float] = {}
    last = 0.0
    for i in voiced:
        last = min(max(float(starts[i] or 0.0), last), duration)
        resolved[i] = last

    following = dict(itertools.pairwise(voiced))
    out: list[WordTiming] = []
    prev_end = 0.0
    for i, unit in enumerate(units):
        if i not in resolved:
            out.append(WordTiming(unit.text, round(prev_end, 4), round(prev_end, 4)))
            continue
        start = resolved[i]
        last_unit = i not in following
        nxt = max(speech_end, start) if last_unit else resolved[following[i]]
        f0 = int(start / frame_s)
        # Frames wholly before the next unit: its first frame may already be loud.
        f1 = max(f0, min(len(loud), int(nxt / frame_s)))
        window = np.flatnonzero(loud[f0:f1])
        end = nxt
        if window.size:
            onset = float((f0 + window[0]) * frame_s)
            if onset - start <= _ONSET_SEARCH_S:
                start = max(start, onset)
            end = float((f0 + window[-1] + 1) * frame_s)
        end = min(max(end, start), duration if last_unit else nxt)
        out.append(WordTiming(unit.text, round(start, 4), round(end, 4)))
        prev_end = end
    return tuple(out)


# Alignment costs, in characters of position error: espeak's reported positions drift by a few
# characters after a word it spells out or expands (a lone letter, "3:45"), so each event goes
# to the token that best explains the whole sequence, not blindly to the one it points into.
_SKIP_COST = 6.0  # a word with letters or digits that gets no event of its own
_EXTRA_COST = 1.0  # a further event inside the same token (numbers are read as several words)
_BAND = 8  # tokens either side of the reported position an event may move to
_SPEAKABLE = re.compile(r"\w")


def _align(
    tokens: list[_Unit], events: tuple[_espeak.WordEvent, ...]
) -> list[list[tuple[int, float]]]:
    """Assign espeak's WORD events (in the order spoken) to tokens, monotonically.

    Dynamic programme over (event, token): the cost is how far each event's reported position
    lies from its token, plus a penalty for a speakable token left without an event and a small
    one for an extra event in the same token. Returns each token's (position, time) events.
    """
    n = len(tokens)
    out: list[list[tuple[int, float]]] = [[] for _ in tokens]
    # A zero-length event is no word: espeak emits one at the very end of some utterances.
    events = tuple(ev for ev in events if ev.char_length > 0)
    if not events or not n:
        return out
    ends = [t.char_end for t in tokens]
    skip_prefix = [0.0]
    for t in tokens:
        skip_prefix.append(skip_prefix[-1] + (_SKIP_COST if _SPEAKABLE.search(t.text) else 0.0))

    def dist(pos: int, i: int) -> float:
        t = tokens[i]
        if pos < t.char_start:
            return float(t.char_start - pos)
        return 0.0 if pos < t.char_end else float(pos - t.char_end + 1)

    def skipped(a: int, b: int) -> float:  # speakable tokens strictly between a and b
        return skip_prefix[b] - skip_prefix[a + 1] if b > a + 1 else 0.0

    layers: list[dict[int, tuple[float, int]]] = []
    prev: dict[int, tuple[float, int]] = {}
    for j, ev in enumerate(events):
        home = min(bisect.bisect_right(ends, ev.char_index), n - 1)
        options = set(range(max(0, home - _BAND), min(n, home + _BAND + 1))) | set(prev)
        cur: dict[int, tuple[float, int]] = {}
        for i in sorted(options):
            if j == 0:
                cur[i] = (skip_prefix[i] + dist(ev.char_index, i), -1)
                continue
            best, arg = math.inf, -1
            for i0, (c0, _) in prev.items():
                if i0 > i:
                    continue
                c = c0 + (_EXTRA_COST if i0 == i else skipped(i0, i))
                if c < best:
                    best, arg = c, i0
            if arg >= 0:
                cur[i] = (best + dist(ev.char_index, i), arg)
        layers.append(cur)
        prev = cur
    last = min(prev, key=lambda i: prev[i][0] + skip_prefix[n] - skip_prefix[i + 1])
    for j in range(len(events) - 1, -1, -1):
        out[last].append((events[j].char_index, events[j].time_s))
        last = layers[j][last][1]
    for evs in out:
        evs.reverse()
    return out


def _estimate_unheard(units: list[_Unit], starts: list[float | None], speech_end: float) -> None:
    """Give words espeak spoke without an event of their own a share of their neighbour's time.

    espeak sometimes reads two words as one (``this one``); the pair's span is split between
    them in proportion to their lengths in characters.
    """
    i = 0
    while i < len(units):
        if starts[i] is not None or not _SPEAKABLE.search(units[i].text):
            i += 1
            continue
        run_end = i
        while run_end < len(units) and starts[run_end] is None:
            run_end += 1
        before = next((k for k in range(i - 1, -1, -1) if starts[k] is not None), None)
        t0 = starts[before] if before is not None else 0.0
        t1 = starts[run_end] if run_end < len(units) else speech_end
        assert t0 is not None and t1 is not None
        first = before if before is not None else i
        group = [k for k in range(first, run_end)
                 if k == before or _SPEAKABLE.search(units[k].text)]
        weights = [len(units[k].text) for k in group]
        total = sum(weights)
        acc = 0
        for k, w in zip(group, weights, strict=True):
            if k != before:
                starts[k] = t0 + (t1 - t0) * acc / total
            acc += w
        i = run_end


class LocalVoiceProvider:
    """Offline :class:`~ugen.providers.base.VoiceProvider` on espeak-ng and ffmpeg."""

    def synthesize(
        self, text: str, *, language: str, voice: Voice, out_path: Path, seed: int = 0
    ) -> SpeechResult:
        """Speak ``text``; write a mono 48 kHz WAV to ``out_path`` with exact word timings.

        ``seed`` is accepted for the interface; espeak is deterministic, so the same inputs give
        a byte-identical file.

        Raises:
            PermanentProviderError: empty text, an unsupported language, or no espeak voice.
        """
        if not text or not text.strip():
            raise PermanentProviderError("cannot synthesise empty text", provider=PROVIDER)
        lang = resolve_language(language)
        name = espeak_voice_name(lang, voice)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="ugen-voice-") as tmp:
            try:
                synth = _espeak.synthesize(text, name, voice.rate_wpm, workdir=Path(tmp))
            except _espeak.EspeakVoiceError as err:
                raise PermanentProviderError(
                    f"espeak-ng has no voice for {lang.name} ({name})", provider=PROVIDER
                ) from err
            except _espeak.EspeakUnavailable as err:
                raise PermanentProviderError(
                    f"espeak-ng is not usable here: {err}", provider=PROVIDER
                ) from err
            pcm = np.frombuffer(synth.pcm, dtype="<i2").astype(np.int16)
            if pcm.size == 0:
                # Nothing speakable (only symbols espeak skips): a short silence keeps a valid file.
                pcm = np.zeros(synth.sample_rate // 10, dtype=np.int16)
            total = round(len(pcm) * SAMPLE_RATE / synth.sample_rate)
            limit = math.floor(total / SAMPLE_RATE * 1e4) / 1e4
            # Clamp to the resampled file's length, which may be a fraction of a sample shorter.
            words = tuple(
                WordTiming(w.text, min(w.start, limit), min(w.end, limit))
                for w in word_timings(text, synth.words, pcm, synth.sample_rate)
            )
            raw = Path(tmp) / "espeak.wav"
            _write_pcm16(raw, pcm, synth.sample_rate)
            filters = [f"aresample={SAMPLE_RATE}", *profile_filter(voice), *_exact_length(total)]
            _render(raw, filters, out_path)
        return SpeechResult(path=out_path, duration_s=total / SAMPLE_RATE, words=words)

    def convert(self, source: Path, *, voice: Voice, out_path: Path) -> Path:
        """Give the speech in ``source`` ``voice``'s pitch and formants; same duration.

        Writes a mono 48 kHz WAV. Any audio ffmpeg reads is accepted (a video's sound too).

        Raises:
            PermanentProviderError: ``source`` is missing or has no readable audio.
        """
        source = Path(source)
        if not source.is_file():
            raise PermanentProviderError(f"no audio at {source}", provider=PROVIDER)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="ugen-voice-") as tmp:
            decoded = Path(tmp) / "source.wav"
            try:
                run_ffmpeg(["-i", str(source), "-vn", "-map", "0:a:0", *_wav_args(decoded)])
            except FFmpegError as err:
                raise PermanentProviderError(
                    f"{source.name} has no readable audio: {err}", provider=PROVIDER
                ) from err
            total = _frames(decoded)
            _render(decoded, [*profile_filter(voice), *_exact_length(total)], out_path)
        return out_path


def _render(source: Path, filters: list[str], out_path: Path) -> None:
    # Write beside the target and rename, so a crash never leaves a half-written WAV behind.
    partial = out_path.with_name(
        f".{out_path.name}.{os.getpid()}.{threading.get_ident()}.partial.wav"
    )
    try:
        run_ffmpeg(["-i", str(source), "-af", ",".join(filters), *_wav_args(partial)])
        os.replace(partial, out_path)
    finally:
        partial.unlink(missing_ok=True)
