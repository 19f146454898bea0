"""The soundtrack: speech clips on a timeline, music ducked under them, loudness-normalised.

Mixing is measured gain in two passes over the mix. First a float pre-mix: the voice is
brought to the target loudness, the music (looped or trimmed, faded) to ``music_volume``
relative to it and compressed by a sidechain keyed on the voice; ``ebur128`` meters the pre-mix
as it is written (integrated loudness and 4× oversampled true peak). Second, one linear gain
lands it on the target loudness, and only where that gain would lift the true peak over the
ceiling does a 4× oversampled look-ahead limiter hold the peaks under it. This is what
loudnorm's linear mode does, without its own two passes at 192 kHz. Every output is 48 kHz WAV
cut to an exact number of samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ugen.media.encode import AUDIO_RATE, aac_args, pcm_args
from ugen.media.files import atomic_output, temp_sibling
from ugen.media.filters import chain
from ugen.media.loudness import (
    SILENCE_LUFS,
    Loudness,
    mean_volume_db,
    measure_loudness,
    parse_ebur128_summary,
)
from ugen.media.runner import run_ffmpeg

__all__ = [
    "Loudness",
    "cut_span",
    "decode_check",
    "fit_music",
    "mean_volume_db",
    "measure_loudness",
    "mix_voice_and_music",
    "place_on_timeline",
    "preview_clip",
]

DUCK_THRESHOLD = 0.02
"""Sidechain threshold (linear, about −34 dBFS): speech at the target loudness exceeds it by
15–20 dB, so with :data:`DUCK_RATIO` the music drops by 12 dB or more while someone speaks."""
DUCK_RATIO = 8.0
DUCK_ATTACK_MS = 15.0
DUCK_RELEASE_MS = 350.0
LIMITER_MARGIN_DB = 0.5
"""The limiter sits this far under the true-peak ceiling: resampling back to 48 kHz and
16-bit rounding can lift a limited peak a little."""


LOUDNESS_TOLERANCE_LU = 0.5
"""How far limiting may leave the mix under its target before the gain is raised once more
(half the ±1 LU the deliverable allows; ``ebur128`` reports tenths)."""


def _samples(seconds: float) -> int:
    return round(seconds * AUDIO_RATE)


def _exact(n: int) -> list[str]:
    return [f"apad=whole_len={n}", f"atrim=end_sample={n}"]


def _fmt(layout: str, sample_fmt: str = "fltp") -> str:
    return f"aformat=sample_fmts={sample_fmt}:sample_rates={AUDIO_RATE}:channel_layouts={layout}"


def timeline_args(clips: list[tuple[Path, float]], *, duration_s: float, out: Path) -> list[str]:
    """ffmpeg args placing ``clips`` (path, start seconds) on a mono timeline of ``duration_s``.

    Clips starting at or after the end are left out; the rest are delayed sample-exactly and
    summed (not averaged) over silence, then the whole is cut to length.

    Raises:
        ValueError: a negative start or a non-positive duration.
    """
    if duration_s <= 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    if any(start < 0 for _, start in clips):
        raise ValueError("clip start offsets must not be negative")
    n = _samples(duration_s)
    kept = [(path, start) for path, start in clips if _samples(start) < n]
    inputs: list[str] = []
    graph = [f"anullsrc=r={AUDIO_RATE}:cl=mono,{_fmt('mono')},atrim=end_sample={n}[base]"]
    for i, (path, start) in enumerate(kept):
        inputs += ["-i", str(path)]
        graph.append(f"[{i}:a:0]" + chain([
            "asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", _fmt("mono"),
            f"adelay=delays={_samples(start)}S:all=1",
        ]) + f"[c{i}]")
    labels = "[base]" + "".join(f"[c{i}]" for i in range(len(kept)))
    graph.append(f"{labels}amix=inputs={len(kept) + 1}:duration=first:normalize=0,"
                 f"atrim=end_sample={n}[out]")
    return [*inputs, "-filter_complex", ";".join(graph), "-map", "[out]",
            *pcm_args(channels=1), "-f", "wav", str(out)]


def place_on_timeline(clips: list[tuple[Path, float]], *, duration_s: float, out: Path) -> Path:
    """Put speech clips at their start offsets on a silent 48 kHz mono WAV of ``duration_s``.

    A clip is only cut where it runs past the end. Overlapping clips are summed.
    """
    with atomic_output(out) as tmp:
        run_ffmpeg(timeline_args(clips, duration_s=duration_s, out=tmp))
    return out


def cut_span(source: Path, *, start_s: float, end_s: float, out: Path) -> Path:
    """Write ``source``'s audio from ``start_s`` to ``end_s`` as a 48 kHz mono WAV of exactly
    that many samples (silence where the source ends first).

    Raises:
        ValueError: a negative start or an empty span.
        FFmpegError: ``source`` has no readable audio.
    """
    if start_s < 0 or end_s <= start_s:
        raise ValueError(f"bad span {start_s:.3f}-{end_s:.3f} s")
    first, n = _samples(start_s), _samples(end_s) - _samples(start_s)
    af = chain([f"aresample={AUDIO_RATE}", _fmt("mono"), f"atrim=start_sample={first}",
                "asetpts=PTS-STARTPTS", *_exact(n)])
    with atomic_output(out) as tmp:
        run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-af", af, *pcm_args(channels=1),
                    "-f", "wav", str(tmp)])
    return out


def _gain_db(measured: Loudness, target_lufs: float) -> float:
    if measured.integrated_lufs <= SILENCE_LUFS:
        return 0.0
    return target_lufs - measured.integrated_lufs


def premix_args(voice: Path, music: Path | None, *, duration_s: float, out: Path,
                voice_gain_db: float, music_gain_db: float) -> list[str]:
    """ffmpeg args for the float pre-mix (voice gain, ducked faded music), metered on the way.

    The run logs ``ebur128``'s summary of the pre-mix (see :func:`parse_ebur128_summary`).

    Args:
        voice_gain_db: brings the voice to the target loudness.
        music_gain_db: brings the music to the target loudness plus ``music_volume``.
    """
    n = _samples(duration_s)
    voice_chain = ["asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", _fmt("stereo"),
                   f"volume={voice_gain_db:.2f}dB", *_exact(n)]
    meter = "ebur128=peak=true:framelog=verbose"
    inputs = ["-i", str(voice)]
    if music is None:
        graph = [f"[0:a:0]{chain([*voice_chain, meter])}[mix]"]
    else:
        fade_in, fade_out = min(0.5, duration_s / 4), min(1.5, duration_s / 4)
        inputs += ["-stream_loop", "-1", "-i", str(music)]
        graph = [
            f"[0:a:0]{chain([*voice_chain, 'asplit=2'])}[voice][key]",
            "[1:a:0]" + chain([
                "asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", _fmt("stereo"),
                f"atrim=end_sample={n}", f"volume={music_gain_db:.2f}dB", *_exact(n),
                f"afade=t=in:d={fade_in:.3f}",
                f"afade=t=out:st={duration_s - fade_out:.3f}:d={fade_out:.3f}",
            ]) + "[music]",
            f"[music][key]sidechaincompress=threshold={DUCK_THRESHOLD}:ratio={DUCK_RATIO}"
            f":attack={DUCK_ATTACK_MS}:release={DUCK_RELEASE_MS}[ducked]",
            f"[voice][ducked]amix=inputs=2:duration=first:normalize=0,{meter}[mix]",
        ]
    return [*inputs, "-filter_complex", ";".join(graph), "-map", "[mix]",
            *pcm_args(codec="pcm_f32le"), "-f", "wav", str(out)]


def finish_args(src: Path, out: Path, *, duration_s: float, gain_db: float,
                peak_ceiling_db: float | None) -> list[str]:
    """ffmpeg args applying ``gain_db`` to the pre-mix, then (with a ``peak_ceiling_db``) a 4×
    oversampled limiter at that ceiling, to 16-bit 48 kHz stereo of exact length; the result
    is metered on the way (``ebur128``'s summary in the log)."""
    n = _samples(duration_s)
    limiter: list[str] = []
    if peak_ceiling_db is not None:
        limit = 10 ** (peak_ceiling_db / 20)
        limiter = [f"aresample={4 * AUDIO_RATE}",
                   f"alimiter=limit={limit:.4f}:attack=5:release=80:level=0:latency=1",
                   f"aresample={AUDIO_RATE}"]
    af = chain([f"volume={gain_db:.3f}dB", *limiter, *_exact(n),
                "ebur128=peak=true:framelog=verbose", _fmt("stereo", "s16")])
    return ["-i", str(src), "-af", af, *pcm_args(), "-f", "wav", str(out)]


FINISH_PASSES = 6
"""Passes of the limited mix at most: peaks far above the loudness (clicks, effects) make the
limiter take loudness back as the gain rises, so the gain is searched for. One pass is the
rule: speech loses a few tenths of a LU to the limiter at most."""


@dataclass(frozen=True)
class Mix:
    """A written soundtrack and its loudness as measured while it was written."""

    path: Path
    loudness: Loudness


def search_limited_gain(finish: Callable[[float], float], gain: float, shortfall: float) -> None:
    """Search the gain of a limited mix until ``finish`` lands within the tolerance.

    Loudness rises with the gain, more slowly the more the limiter works. Until a pass lands
    above the target the gain steps by the shortfall over the last slope seen; from then on
    it interpolates between the closest passes under and over the target (regula falsi).
    """
    under: tuple[float, float] | None = None  # the latest pass under the target
    over: tuple[float, float] | None = None  # the latest pass over it
    slope, passes = 1.0, 1
    while abs(shortfall) > LOUDNESS_TOLERANCE_LU + 1e-6 and passes < FINISH_PASSES:
        if shortfall > 0:
            under = (gain, shortfall)
        else:
            over = (gain, shortfall)
        if under is not None and over is not None:
            (g0, s0), (g1, s1) = under, over
            nxt = g0 + s0 * (g1 - g0) / (s0 - s1)
        else:
            nxt = gain + max(-20.0, min(20.0, shortfall / slope))
        after = finish(nxt)
        slope = max(0.05, (shortfall - after) / (nxt - gain)) if nxt != gain else slope
        gain, shortfall, passes = nxt, after, passes + 1


def mix_voice_and_music(
    voice: Path,
    music: Path | None,
    *,
    duration_s: float,
    out: Path,
    music_volume: float = 0.15,
    target_lufs: float = -14.0,
    true_peak_db: float = -1.0,
) -> Mix:
    """Mix the voice timeline with background music into the final soundtrack.

    Args:
        voice: the voice timeline (see :func:`place_on_timeline`).
        music: background music, looped or trimmed to ``duration_s``; None for voice only.
        duration_s: exact output length.
        out: destination WAV (48 kHz stereo 16-bit), written atomically.
        music_volume: music level relative to the voice, as an amplitude factor (0.15 ≈ −16.5 dB),
            before ducking.
        target_lufs: integrated loudness of the result.
        true_peak_db: true-peak ceiling of the result (dBTP).

    Returns:
        ``out`` with the loudness measured as it was written.
    """
    if duration_s <= 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    if not 0 < music_volume <= 1:
        raise ValueError(f"music_volume must be in (0, 1], got {music_volume}")
    sources = [voice] if music is None else [voice, music]
    with ThreadPoolExecutor(len(sources)) as pool:  # each meter is one ffmpeg of its own
        loudness = list(pool.map(measure_loudness, sources))
    voice_gain = _gain_db(loudness[0], target_lufs)
    music_gain = 0.0
    if music is not None:
        music_gain = _gain_db(loudness[1], target_lufs) + 20 * math.log10(music_volume)
    premix = temp_sibling(out.with_suffix(".wav"))
    try:
        log = run_ffmpeg(premix_args(voice, music, duration_s=duration_s, out=premix,
                                     voice_gain_db=voice_gain, music_gain_db=music_gain),
                         loglevel="info")
        measured = parse_ebur128_summary(log, source="pre-mix")
        gain = _gain_db(measured, target_lufs)
        ceiling = true_peak_db - LIMITER_MARGIN_DB
        limit = ceiling if measured.true_peak_dbtp + gain > ceiling else None
        written: list[Loudness] = []
        with atomic_output(out) as tmp:
            def finish(gain_db: float) -> float:
                """Write the mix at ``gain_db``; how far its loudness is from the target."""
                log = run_ffmpeg(finish_args(premix, tmp, duration_s=duration_s,
                                             gain_db=gain_db, peak_ceiling_db=limit),
                                 loglevel="info")
                written.append(parse_ebur128_summary(log, source="mix"))
                return _gain_db(written[-1], target_lufs)

            shortfall = finish(gain)
            if limit is not None:
                search_limited_gain(finish, gain, shortfall)
    finally:
        premix.unlink(missing_ok=True)
    return Mix(out, written[-1])


LOOP_EDGE_FADE_S = 0.02
"""A track that is looped (and not made to loop) fades in and out this fast at each
repetition, so its seam never clicks."""


def fit_music_args(source: Path, *, duration_s: float, out: Path,
                   loop_source: bool) -> list[str]:
    """ffmpeg args writing ``source`` as exactly ``duration_s`` of 48 kHz stereo float WAV:
    trimmed (only that much is read), or, with ``loop_source``, looped from the start."""
    n = _samples(duration_s)
    base = ["asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", _fmt("stereo")]
    head = ["-stream_loop", "-1"] if loop_source else ["-t", f"{duration_s + 0.1:.3f}"]
    return [*head, "-i", str(source), "-map", "0:a:0", "-af", chain([*base, *_exact(n)]),
            *pcm_args(codec="pcm_f32le"), "-f", "wav", str(out)]


def fit_music(source: Path, *, duration_s: float, source_s: float, out: Path,
              seamless: bool = False) -> Path:
    """Fit a music track to the ad: trimmed when it is longer, looped when it is shorter.

    Args:
        source: any audio FFmpeg decodes (its first audio stream).
        source_s: the track's length (ffprobe's), which decides between trim and loop.
        seamless: the track is made to loop (a catalog bed); otherwise a looped track gets
            :data:`LOOP_EDGE_FADE_S` fades at each repetition.

    The fades of the whole ad (in and out) are the mix's (:func:`premix_args`).
    """
    if duration_s <= 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    loop = source_s < duration_s
    unit = source
    edged = temp_sibling(out.with_suffix(".wav"))
    try:
        if loop and not seamless:
            d = LOOP_EDGE_FADE_S
            edges = chain(["asetpts=PTS-STARTPTS", f"aresample={AUDIO_RATE}", _fmt("stereo"),
                           f"afade=t=in:d={d}", "areverse", f"afade=t=in:d={d}", "areverse"])
            run_ffmpeg(["-i", str(source), "-map", "0:a:0", "-af", edges,
                        *pcm_args(codec="pcm_f32le"), "-f", "wav", str(edged)])
            unit = edged
        with atomic_output(out) as tmp:
            run_ffmpeg(fit_music_args(unit, duration_s=duration_s, out=tmp, loop_source=loop))
    finally:
        edged.unlink(missing_ok=True)
    return out


def decode_check(path: Path, *, timeout_s: float = 120.0) -> None:
    """Decode ``path``'s first audio stream to the end; a damaged file fails.

    Raises:
        FFmpegError: the audio does not decode.
    """
    run_ffmpeg(["-xerror", "-i", str(path), "-map", "0:a:0", "-f", "null", "-"],
               timeout=timeout_s)


def preview_clip(source: Path, *, seconds: float, out: Path) -> Path:
    """A short AAC (M4A) preview of ``source``: its first ``seconds``, faded in and out."""
    fade = min(1.0, seconds / 4)
    af = chain([f"atrim=end={seconds:.3f}", "asetpts=PTS-STARTPTS", "afade=t=in:d=0.05",
                f"afade=t=out:st={seconds - fade:.3f}:d={fade:.3f}"])
    with atomic_output(out) as tmp:
        run_ffmpeg(["-t", f"{seconds:.3f}", "-i", str(source), "-map", "0:a:0", "-af", af,
                    *aac_args(), "-movflags", "+faststart", "-f", "mp4", str(tmp)])
    return out
