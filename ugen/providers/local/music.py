"""Offline music beds: a small numpy synthesiser that writes original, loopable instrumentals.

Each mood is a style (tempo, key, mode, chord progressions, rhythm patterns, instruments) and
the seed picks the key, the progression and small variations. Everything is synthesised here
from wavetables, envelopes and seeded noise, so nothing is copyrighted.

The bed is a whole number of progressions long and every sound that rings past the end
(a pad's release, the reverb tail) is wrapped round to the start, so the file loops without a
click or a gap. Output: stereo 48 kHz 16-bit WAV, peak at -3 dBFS.
"""

from __future__ import annotations

import math
import os
import threading
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ugen.catalog import MUSIC_MOODS
from ugen.providers.base import PermanentProviderError
from ugen.providers.local.music_catalog import CatalogTrack
from ugen.store.artifacts import ArtifactKey, ArtifactStore

PROVIDER = "local-music"
SAMPLE_RATE = 48_000
PEAK_DBFS = -3.0
MAX_DURATION_S = 30 * 60.0

Audio = NDArray[np.float32]

_TABLE_SIZE = 8192
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True)
class MoodStyle:
    """How one mood sounds. Patterns are 16 steps per 4/4 bar: ``x`` loud, ``o`` soft."""

    bpm: float
    tonics: tuple[int, ...]  # pitch classes the seed picks the key from (0 = C)
    minor: bool
    progressions: tuple[tuple[int, ...], ...]  # scale degrees from 0, one chord per bar
    sevenths: bool
    swing: float  # delay of off-beat 8ths, as a fraction of a 16th
    pad: str  # timbre of the chord bed
    pad_level: float
    pluck: str  # timbre of the arpeggio/comping part
    pluck_patterns: tuple[str, ...]
    pluck_decay_s: float
    pluck_level: float
    bass: str
    bass_patterns: tuple[str, ...]
    bass_level: float
    kick: str
    hat: str
    snare: str
    shaker: str
    tom: str
    melody: bool
    sidechain: float  # how far the kick ducks the pads (0 = none)
    reverb_s: float
    reverb_mix: float


MOOD_STYLES: dict[str, MoodStyle] = {
    "upbeat": MoodStyle(
        bpm=118, tonics=(7, 2, 9, 0), minor=False,
        progressions=((0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4)), sevenths=False, swing=0.0,
        pad="warm", pad_level=0.16, pluck="bright", pluck_decay_s=0.18, pluck_level=0.22,
        pluck_patterns=("x..x..x.x.x..x.o", "x.ox.ox.x.ox.ox.", "x..x..x...x.x.o."),
        bass="round", bass_patterns=("x..x..x.x..x..x.", "x.x...x.x.x...x."), bass_level=0.5,
        kick="x...x...x...x...", hat="o.x.o.x.o.x.o.x.", snare="....x.......x...",
        shaker="", tom="", melody=True, sidechain=0.45, reverb_s=1.2, reverb_mix=0.18,
    ),
    "chill": MoodStyle(
        bpm=84, tonics=(2, 5, 10, 3), minor=False,
        progressions=((1, 4, 0, 5), (0, 5, 1, 4), (3, 2, 1, 0)), sevenths=True, swing=0.3,
        pad="soft", pad_level=0.2, pluck="keys", pluck_decay_s=0.6, pluck_level=0.2,
        pluck_patterns=("x.....x...x.....", "x..o..x.....o...", "..x...x...x..o.."),
        bass="sub", bass_patterns=("x.......x.....o.", "x.........x....."), bass_level=0.55,
        kick="x.......x.x.....", hat="o.o.o.o.o.o.o.o.", snare="....o.......o...",
        shaker="", tom="", melody=False, sidechain=0.15, reverb_s=2.0, reverb_mix=0.28,
    ),
    "inspiring": MoodStyle(
        bpm=100, tonics=(2, 7, 0, 4), minor=False,
        progressions=((5, 3, 0, 4), (0, 4, 5, 3), (3, 0, 4, 5)), sevenths=False, swing=0.0,
        pad="strings", pad_level=0.2, pluck="piano", pluck_decay_s=0.5, pluck_level=0.22,
        pluck_patterns=("x.x.x.x.x.x.x.x.", "x.xox.xox.xox.xo", "x.o.x.o.x.o.x.o."),
        bass="round", bass_patterns=("x.......x.......", "x.......x...o..."), bass_level=0.5,
        kick="x.......x.......", hat="..o...o...o...o.", snare="............o...",
        shaker="", tom="", melody=True, sidechain=0.1, reverb_s=2.5, reverb_mix=0.3,
    ),
    "dramatic": MoodStyle(
        bpm=80, tonics=(9, 4, 2, 7), minor=True,
        progressions=((0, 5, 2, 6), (0, 5, 3, 4), (0, 6, 5, 4)), sevenths=False, swing=0.0,
        pad="dark", pad_level=0.26, pluck="saw", pluck_decay_s=0.09, pluck_level=0.14,
        pluck_patterns=("xoxoxoxoxoxoxoxo", "xooxooxoxooxooxo"),
        bass="saw", bass_patterns=("x.o.x.o.x.o.x.o.", "x..ox..ox..ox.o."), bass_level=0.42,
        kick="", hat="", snare="", shaker="", tom="x.....x...x.....",
        melody=False, sidechain=0.0, reverb_s=3.0, reverb_mix=0.32,
    ),
    "playful": MoodStyle(
        bpm=124, tonics=(0, 5, 7, 10), minor=False,
        progressions=((0, 5, 3, 4), (0, 3, 4, 0), (0, 2, 3, 4)), sevenths=False, swing=0.15,
        pad="soft", pad_level=0.1, pluck="marimba", pluck_decay_s=0.12, pluck_level=0.28,
        pluck_patterns=("x.x..x.xx.x..x..", "x..xx.x.x..xx.x.", "xx.x..x.xx.x..x."),
        bass="pluck", bass_patterns=("x...x.x.x...x.x.", "x.x...x.x.x...x."), bass_level=0.5,
        kick="x.....x.x.......", hat="", snare="....x.......x...", shaker="oxooxooxoxooxoox",
        tom="", melody=True, sidechain=0.25, reverb_s=0.8, reverb_mix=0.14,
    ),
}


def _harmonic_table(amps: list[float]) -> Audio:
    phase = np.arange(_TABLE_SIZE, dtype=np.float64) * (2 * math.pi / _TABLE_SIZE)
    wave_ = np.zeros(_TABLE_SIZE)
    for k, a in enumerate(amps, start=1):
        wave_ += a * np.sin(k * phase)
    out: Audio = (wave_ / np.max(np.abs(wave_))).astype(np.float32)
    return out


# Band-limited single-cycle waves: few harmonics, so nothing aliases and no filter is needed.
_TABLES: dict[str, Audio] = {
    "sine": _harmonic_table([1.0]),
    "warm": _harmonic_table([1 / k**1.3 for k in range(1, 9)]),
    "soft": _harmonic_table([1.0, 0.35, 0.18, 0.08, 0.04]),
    "strings": _harmonic_table([1 / k for k in range(1, 13)]),
    "dark": _harmonic_table([1 / k**1.6 for k in range(1, 8)]),
    "bright": _harmonic_table([1 / k for k in range(1, 17)]),
    "keys": _harmonic_table([1.0, 0.25, 0.06, 0.03]),
    "piano": _harmonic_table([1.0, 0.5, 0.3, 0.18, 0.1, 0.06, 0.04]),
    "saw": _harmonic_table([1 / k for k in range(1, 21)]),
    "marimba": _harmonic_table([1.0, 0.0, 0.0, 0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 0.12]),
    "round": _harmonic_table([1.0, 0.45, 0.15]),
    "sub": _harmonic_table([1.0, 0.2]),
    "pluck": _harmonic_table([1.0, 0.6, 0.3, 0.15, 0.08]),
    "bell": _harmonic_table([1.0, 0.0, 0.25, 0.0, 0.08]),
}


def _midi_hz(note: float) -> float:
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def _osc(table: str, freq: float, n: int, phase: float = 0.0) -> Audio:
    # Fixed-point phase (16 fractional bits): integer adds and a mask, no float modulo.
    inc = round(freq * _TABLE_SIZE / SAMPLE_RATE * 65536)
    start = int(phase * _TABLE_SIZE * 65536)
    acc = start + inc * np.arange(n, dtype=np.int64)
    out: Audio = _TABLES[table][(acc >> 16) & (_TABLE_SIZE - 1)]
    return out


class _Bus:
    """A stereo buffer of the bed's exact length; sounds past the end wrap round to the start."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.data = np.zeros((2, n), dtype=np.float32)

    def add(self, start: int, sound: Audio, pan: float = 0.0, gain: float = 1.0) -> None:
        # Constant-power pan; pan in [-1, 1].
        angle = (pan + 1.0) * math.pi / 4.0
        left, right = math.cos(angle) * gain, math.sin(angle) * gain
        pos = start % self.n
        remaining = sound
        while remaining.size:
            take = min(remaining.size, self.n - pos)
            self.data[0, pos : pos + take] += left * remaining[:take]
            self.data[1, pos : pos + take] += right * remaining[:take]
            remaining = remaining[take:]
            pos = 0


def _envelope(n: int, attack: int, release_from: int, release: int) -> Audio:
    """Linear attack, hold, then an exponential-ish release over ``release`` samples."""
    env = np.ones(n, dtype=np.float32)
    if attack > 0:
        a = min(attack, n)
        env[:a] = np.linspace(0.0, 1.0, a, endpoint=False, dtype=np.float32)
    if release_from < n:
        tail = n - release_from
        t = np.arange(tail, dtype=np.float32) / max(1, release)
        env[release_from:] *= np.exp(-5.0 * t) * np.clip(1.0 - t, 0.0, 1.0)
    return env


def _decay(n: int, tau_s: float, attack_s: float = 0.003) -> Audio:
    t = np.arange(n, dtype=np.float32) / SAMPLE_RATE
    env = np.exp(-t / tau_s).astype(np.float32)
    a = max(1, int(attack_s * SAMPLE_RATE))
    env[:a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    return env


def _chord(scale: tuple[int, ...], tonic: int, degree: int, sevenths: bool) -> list[int]:
    """Pitch classes (with octave offsets) of the diatonic chord on ``degree``."""
    steps = (0, 2, 4, 6) if sevenths else (0, 2, 4)
    out = []
    for s in steps:
        d = degree + s
        out.append(tonic + scale[d % 7] + 12 * (d // 7))
    return out


def _voice(chord: list[int], centre: int) -> list[int]:
    """Each chord tone in the octave nearest ``centre``: close, smooth voicings."""
    voiced = []
    for note in chord:
        pc = note % 12
        cands = [pc + 12 * o for o in range(2, 9)]
        voiced.append(min(cands, key=lambda c: (abs(c - centre), c)))
    return sorted(voiced)


class _Drums:
    """Drum one-shots, made once per bed from seeded noise."""

    def __init__(self, rng: np.random.Generator) -> None:
        sr = SAMPLE_RATE
        noise = rng.standard_normal(sr).astype(np.float32)
        bright = np.diff(np.diff(noise, prepend=0.0), prepend=0.0).astype(np.float32) / 4.0
        mid = np.diff(noise, prepend=0.0).astype(np.float32) / 2.0

        n = int(0.4 * sr)
        t = np.arange(n, dtype=np.float64) / sr
        freq = 48.0 + 110.0 * np.exp(-t / 0.035)
        body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.22)
        click = np.zeros(n)
        click[: int(0.003 * sr)] = noise[: int(0.003 * sr)] * 0.3
        self.kick = (body + click).astype(np.float32)

        nh = int(0.09 * sr)
        self.hat = bright[:nh] * _decay(nh, 0.025, 0.001)

        ns = int(0.25 * sr)
        ts = np.arange(ns, dtype=np.float64) / sr
        tone = (np.sin(2 * np.pi * 185.0 * ts) * np.exp(-ts / 0.05)).astype(np.float32)
        self.snare = 0.55 * mid[:ns] * _decay(ns, 0.07, 0.001) + 0.5 * tone

        nsh = int(0.08 * sr)
        self.shaker = bright[sr // 2 : sr // 2 + nsh] * _decay(nsh, 0.03, 0.012)

        nt = int(0.9 * sr)
        tt = np.arange(nt, dtype=np.float64) / sr
        tfreq = 62.0 + 40.0 * np.exp(-tt / 0.06)
        self.tom = (np.sin(2 * np.pi * np.cumsum(tfreq) / sr) * np.exp(-tt / 0.35)).astype(
            np.float32
        ) + 0.25 * mid[:nt] * _decay(nt, 0.03, 0.001)


def _fast_length(target: int) -> int:
    """The smallest 2^a * 3^b * 5^c >= target: sizes pocketfft transforms quickly."""
    best = 1 << math.ceil(math.log2(max(target, 1)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35 << max(0, math.ceil(math.log2(target / p35)))
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def _reverb(dry: Audio, seconds: float, rng: np.random.Generator) -> Audio:
    """Circular convolution with a decaying-noise impulse: a smooth room whose tail wraps."""
    n = dry.shape[1]
    length = min(int(seconds * SAMPLE_RATE), n)
    t = np.arange(length, dtype=np.float64) / SAMPLE_RATE
    size = _fast_length(n + length)
    out = np.empty_like(dry)
    for ch in range(2):
        # Each channel gets its own noise, so the tail is wide; a short box filter darkens it.
        ir = rng.standard_normal(length) * np.exp(-6.9 * t / max(seconds, 1e-3))
        ir = np.convolve(ir, np.ones(6) / 6.0, mode="same")
        ir /= np.sqrt(np.sum(ir**2)) + 1e-12
        wet = np.fft.irfft(np.fft.rfft(dry[ch], size) * np.fft.rfft(ir, size), size)
        # Fold what rang past the end back onto the start (circular = seamless loop).
        folded = wet[:n].copy()
        tail = wet[n : n + length]
        folded[: tail.size] += tail
        out[ch] = folded.astype(np.float32)
    return out


def _pattern_hits(pattern: str) -> list[tuple[int, float]]:
    return [(i, 1.0 if c == "x" else 0.55) for i, c in enumerate(pattern) if c in "xo"]


def _grid(bpm: float, duration_s: float) -> tuple[int, int, int]:
    """A 16th note and a bar (in whole samples), and the bars of a bed of at least
    ``duration_s``: whole four-chord progressions."""
    step = round(SAMPLE_RATE * 60.0 / bpm / 4.0)
    bar = 16 * step
    return step, bar, max(4, math.ceil(duration_s * SAMPLE_RATE / bar / 4) * 4)


def render(mood: str, duration_s: float, seed: int = 0, *,
           bpm: float | None = None) -> tuple[Audio, float]:
    """Synthesise the bed as float32 stereo (2, n) at 48 kHz; also return its tempo (BPM).

    ``bpm`` replaces the mood's own tempo (a catalog track's).
    """
    style = MOOD_STYLES[mood]
    if bpm is not None:
        style = replace(style, bpm=bpm)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(mood.encode())])
    step, bar, bars = _grid(style.bpm, duration_s)
    bpm = SAMPLE_RATE * 60.0 / (step * 4.0)
    prog = style.progressions[int(rng.integers(len(style.progressions)))]
    n = bars * bar
    tonic = style.tonics[int(rng.integers(len(style.tonics)))]
    scale = _MINOR if style.minor else _MAJOR
    pluck_pat = style.pluck_patterns[int(rng.integers(len(style.pluck_patterns)))]
    bass_pat = style.bass_patterns[int(rng.integers(len(style.bass_patterns)))]
    arp_order = rng.permutation(4 if style.sevenths else 3)
    swing = int(style.swing * step)

    def at(bar_ix: int, s: int) -> int:
        # Swing: every off-beat 8th is played a little late.
        return bar_ix * bar + s * step + (swing if s % 4 == 2 else 0)

    pads, plucks, bass, drums = _Bus(n), _Bus(n), _Bus(n), _Bus(n)
    kit = _Drums(rng)
    kick_env = np.zeros(n, dtype=np.float32)

    chords = [_chord(scale, tonic, prog[b % len(prog)], style.sevenths) for b in range(bars)]
    # The progression repeats, so each distinct sound is made once and reused.
    pad_cache: dict[int, tuple[Audio, Audio]] = {}
    tone_cache: dict[tuple[str, int, int, float], Audio] = {}

    def tone(table: str, note: int, n_samples: int, tau_s: float) -> Audio:
        key = (table, note, n_samples, tau_s)
        if key not in tone_cache:
            tone_cache[key] = _osc(table, _midi_hz(note), n_samples) * _decay(n_samples, tau_s)
        return tone_cache[key]

    pad_len = bar + int(0.9 * SAMPLE_RATE)
    pad_env = _envelope(pad_len, int(0.25 * SAMPLE_RATE), bar, int(0.9 * SAMPLE_RATE))
    for b, chord in enumerate(chords):
        # Pads: the chord held for the bar, two slightly detuned voices panned apart.
        degree = prog[b % len(prog)]
        if degree not in pad_cache:
            voicing = _voice(chord, 62)
            sides = []
            for detune in (-0.07, 0.07):
                mix = np.zeros(pad_len, dtype=np.float32)
                for note in voicing:
                    mix += _osc(style.pad, _midi_hz(note + detune), pad_len, float(rng.random()))
                sides.append(mix * pad_env * (style.pad_level / len(voicing)))
            pad_cache[degree] = (sides[0], sides[1])
        left, right = pad_cache[degree]
        pads.add(b * bar, left, -0.6)
        pads.add(b * bar, right, 0.6)

        # Arpeggio / comping: chord tones one or two octaves up, in a seeded order.
        arp = _voice(chord, 72)
        for k, (s, vel) in enumerate(_pattern_hits(pluck_pat)):
            note = arp[int(arp_order[k % len(arp_order)]) % len(arp)]
            if style.pluck == "saw":
                # Dramatic: a low root-fifth string ostinato instead of an arpeggio.
                note = 48 + (tonic + scale[prog[b % len(prog)] % 7]) % 12 + (7 if k % 2 else 0)
            dur = int(min(6 * style.pluck_decay_s, 1.5) * SAMPLE_RATE)
            vel *= float(0.85 + 0.3 * rng.random())
            jitter = int(rng.integers(-60, 61))  # a human player is never exactly on the grid
            plucks.add(at(b, s) + jitter, tone(style.pluck, note, dur, style.pluck_decay_s),
                       0.35 if k % 2 else -0.35, style.pluck_level * vel)

        # Bass: the root, with an octave jump on soft hits.
        root = tonic + scale[prog[b % len(prog)] % 7]
        root = 36 + (root - 36) % 12
        hits = _pattern_hits(bass_pat)
        for k, (s, vel) in enumerate(hits):
            nxt = hits[k + 1][0] if k + 1 < len(hits) else 16
            dur = max(step, (nxt - s) * step)
            note = root + (12 if vel < 1.0 else 0)
            key = ("bass", note, dur, 0.0)
            if key not in tone_cache:
                release = int(0.05 * SAMPLE_RATE)
                env = _envelope(dur + release, int(0.004 * SAMPLE_RATE), dur, release)
                env *= _decay(env.size, 0.5 if style.bass != "pluck" else 0.18, 0.001)
                tone_cache[key] = _osc(style.bass, _midi_hz(note), env.size) * env
            bass.add(at(b, s), tone_cache[key], 0.0, style.bass_level * vel)

        # Drums; the last bar of every four gets a small fill.
        fill = b % 4 == 3
        for pattern, sound, pan, gain in (
            (style.kick, kit.kick, 0.0, 0.9),
            (style.hat, kit.hat, 0.25, 0.2),
            (style.snare, kit.snare, -0.05, 0.5),
            (style.shaker, kit.shaker, -0.3, 0.16),
            (style.tom, kit.tom, 0.0, 0.9),
        ):
            if not pattern:
                continue
            if fill and sound is kit.snare:
                pattern = pattern[:12] + "x.ox"
            for s, vel in _pattern_hits(pattern):
                vel *= float(0.9 + 0.2 * rng.random())
                drums.add(at(b, s), sound, pan, gain * vel)
                if sound is kit.kick or sound is kit.tom:
                    kick_env[at(b, s) % n] = 1.0

    melody = _Bus(n)
    if style.melody:
        _write_melody(melody, rng, chords, scale, tonic, bar, step, at)

    # Sidechain: the pads dip under each kick, the pumping feel of modern pop beds.
    if style.sidechain > 0:
        duck_len = int(0.25 * SAMPLE_RATE)
        shape = np.exp(-np.arange(duck_len, dtype=np.float32) / (0.07 * SAMPLE_RATE))
        duck = np.zeros(n, dtype=np.float32)
        for h in np.flatnonzero(kick_env):
            idx = (h + np.arange(duck_len)) % n
            duck[idx] = np.maximum(duck[idx], shape)
        pads.data *= 1.0 - style.sidechain * duck

    send = pads.data + plucks.data + 0.6 * melody.data + 0.15 * drums.data
    wet = _reverb(send, style.reverb_s, rng)
    mix = pads.data + plucks.data + melody.data + bass.data + drums.data
    mix = mix + style.reverb_mix * wet * (np.max(np.abs(mix)) / (np.max(np.abs(wet)) + 1e-9))
    mix -= mix.mean(axis=1, keepdims=True)
    # Gentle saturation tames drum peaks so the normalised level is not set by one transient.
    peak = float(np.max(np.abs(mix))) + 1e-9
    mix = np.tanh(1.5 * mix / peak).astype(np.float32)
    mix *= (10.0 ** (PEAK_DBFS / 20.0)) / (float(np.max(np.abs(mix))) + 1e-9)
    return mix.astype(np.float32), bpm


def _write_melody(
    bus: _Bus,
    rng: np.random.Generator,
    chords: list[list[int]],
    scale: tuple[int, ...],
    tonic: int,
    bar: int,
    step: int,
    at: Callable[[int, int], int],
) -> None:
    """A sparse bell motif: a seeded two-bar phrase, repeated with its ending varied."""
    penta = [p for i, p in enumerate(scale) if i in (0, 1, 2, 4, 5)]
    notes = sorted({74 + (tonic + p - 74) % 12 + o for p in penta for o in (-12, 0, 12)})
    notes = [x for x in notes if 67 <= x <= 86]
    rhythm = sorted(int(s) for s in rng.choice(np.arange(0, 32, 2), size=6, replace=False))
    contour = [int(rng.integers(len(notes))) for _ in rhythm]
    for b0 in range(0, len(chords), 2):
        if (b0 // 2) % 4 == 3:
            continue  # a rest every fourth phrase keeps the motif from nagging
        for k, s in enumerate(rhythm):
            b = b0 + s // 16
            if b >= len(chords):
                break
            note = notes[contour[k]]
            if k == len(rhythm) - 1 and (b0 // 2) % 2 == 1:
                note = notes[(contour[k] + 2) % len(notes)]
            if s % 8 == 0:
                # On strong beats snap to a chord tone, so the motif fits every chord.
                tones = [c % 12 for c in chords[b]]
                note = min((x for x in notes if x % 12 in tones), key=lambda x: abs(x - note),
                           default=note)
            dur = int(0.7 * SAMPLE_RATE)
            tone = _osc("bell", _midi_hz(note), dur) * _decay(dur, 0.25, 0.004)
            bus.add(at(b, s % 16), tone, float(rng.uniform(-0.2, 0.2)), 0.12)


def _write_wav(path: Path, audio: Audio) -> None:
    pcm = np.clip(np.round(audio.T * 32767.0), -32768, 32767).astype("<i2")
    # Written beside the target and renamed, so a crash never leaves half a WAV.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        with wave.open(str(partial), "wb") as fh:
            fh.setnchannels(2)
            fh.setsampwidth(2)
            fh.setframerate(SAMPLE_RATE)
            fh.writeframes(pcm.tobytes())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class LocalMusicProvider:
    """Offline :class:`~ugen.providers.base.MusicProvider`: synthesised, loopable beds."""

    def generate(self, *, mood: str, duration_s: float, out_path: Path, seed: int = 0) -> Path:
        """Write a stereo 48 kHz 16-bit WAV of at least ``duration_s`` in ``mood``.

        The length is rounded up to whole chord progressions so the bed loops seamlessly.

        Raises:
            PermanentProviderError: unknown mood or an unusable duration.
        """
        if mood not in MOOD_STYLES or mood not in MUSIC_MOODS:
            raise PermanentProviderError(
                f"unknown music mood {mood!r} (choose one of: {', '.join(MUSIC_MOODS)})",
                provider=PROVIDER,
            )
        if not (math.isfinite(duration_s) and 0 < duration_s <= MAX_DURATION_S):
            raise PermanentProviderError(
                f"music duration must be between 0 and {MAX_DURATION_S:.0f} s, got {duration_s}",
                provider=PROVIDER,
            )
        audio, _ = render(mood, duration_s, seed)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        _write_wav(out_path, audio)
        return out_path


CATALOG_PREFIX = "music/catalog/"
"""Where rendered catalog tracks are cached in the artifact store."""


def catalog_track_key(store: ArtifactStore, track: CatalogTrack) -> ArtifactKey:
    """The catalog track's WAV in the artifact store, rendered the first time it is asked for.

    Its key carries :attr:`CatalogTrack.version`, so a changed definition renders anew.
    """
    key = ArtifactKey(f"{CATALOG_PREFIX}{track.id}.{track.version}.wav")
    if not store.exists(key):
        audio, _ = render(track.mood, track.length_s, track.seed, bpm=track.bpm)
        with store.writing(key) as tmp:
            _write_wav(tmp, audio)
    return key
