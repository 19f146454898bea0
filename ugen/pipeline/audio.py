"""Stage 5, ``audio``: the persona's speech in the selected voice, on the video timeline.

Where the video model made sound and a segment's own sound holds speech, that speech (its
slice of the joined segment audio from ``concat``) is converted by speech-to-speech to the
selected voice: it keeps its timing, so the lips stay in sync and every segment sounds like
the same person. Where a segment has no speech of its own, its script line is spoken by the
voice provider (converted too when a vendor voice changer is configured). Each line sits at
its segment's start on the concatenated timeline, so every segment's speech stays inside its
segment. Rough word timings are kept for the captions' fallback.

The music is the job's choice: its custom track (``custom_music_id``), a catalog track
(``music_track_id``, rendered once and cached), or a bed of its mood made for it; it is
fitted to the ad (looped or trimmed) and ducked under the voice in the loudness-normalised
mix (:mod:`ugen.media.audio`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from dbos import DBOS

from ugen.captions.words import retime, split_words
from ugen.core.language import UNSPACED
from ugen.core.schemas import JobOptions
from ugen.media.audio import cut_span, fit_music, mix_voice_and_music, place_on_timeline
from ugen.media.loudness import Loudness
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import AgentsOutput, AudioOutput, ConcatOutput, SpeechSource
from ugen.providers.base import (
    PermanentProviderError,
    ScriptLine,
    SpeechConverter,
    SpeechResult,
    WordTiming,
)
from ugen.providers.local.alignment import SpeechActivityAligner
from ugen.providers.local.music import catalog_track_key
from ugen.providers.local.music_catalog import music_catalog
from ugen.providers.retry import call_with_retries, provider_vendor
from ugen.store import jobs as job_store
from ugen.store.artifacts import ArtifactKey
from ugen.store.db import session_scope
from ugen.store.music import get_custom_music

NATIVE: SpeechSource = "segment"
SYNTHESIS: SpeechSource = "synthesis"
CUT_MARGIN_S = 0.05
"""Speech this close to a segment's end was probably cut off by it."""


@dataclass(frozen=True)
class _Slot:
    """Where one script line lives on the timeline: its segment's span."""

    line: ScriptLine
    start_s: float
    end_s: float


def _convert(ctx: JobContext, converter: SpeechConverter, source: Path, index: int,
             seconds: float) -> Path:
    """``source`` in the selected voice, same timing; the conversion is billed to the job."""
    out = source.with_name(f"{source.stem}.sts.wav")
    call_with_retries(partial(converter.convert, source, voice=ctx.options.resolved_voice(),
                              out_path=out),
                      vendor=provider_vendor(converter, ctx.providers.name))
    ctx.record_usage("voice_conversion", f"line_{index:02d}", converter, out,
                     units=seconds, unit="second")
    return out


def _speaks_natively(opts: JobOptions, concat: ConcatOutput) -> bool:
    return opts.model.supports_sound and any(seg.has_audio for seg in concat.plan.segments)


def _native(ctx: JobContext, slot: _Slot, joined: Path, language: str,
            work: Path) -> SpeechResult | None:
    """The segment's own speech (its slot of the ``joined`` segment sound) converted to the
    selected voice, or None where its sound holds no speech (the speech regions also give the
    fallback word timings)."""
    index = slot.line.segment_index
    span = cut_span(joined, start_s=slot.start_s, end_s=slot.end_s,
                    out=work / f"segment_{index:02d}.wav")
    words = [split_words(slot.line.text, language)]
    aligner = SpeechActivityAligner()
    try:
        aligner.align(span, words, language=language)
    except PermanentProviderError:
        return None
    converter = ctx.providers.speech_converter or ctx.providers.voice
    seconds = slot.end_s - slot.start_s
    converted = _convert(ctx, converter, span, index, seconds)
    try:  # timings from the speech as heard; none left means the sound was not speech
        found = aligner.align(converted, words, language=language)
    except PermanentProviderError:
        ctx.event("warning", stage="audio", dedupe=f"nospeech{index}",
                  message=f"segment {index}'s sound held no speech after conversion; "
                          "its line is spoken by the voice instead",
                  data={"segment": index})
        return None
    if found.words and found.words[-1].end >= seconds - CUT_MARGIN_S:
        ctx.event("warning", stage="audio", dedupe=f"cut{index}",
                  message=f"segment {index}'s speech runs to its last frame and may be cut "
                          "off; shorten the script or raise segment_duration",
                  data={"segment": index})
    return SpeechResult(converted, seconds, tuple(found.words))


def _synthesized(ctx: JobContext, slot: _Slot, language: str, work: Path) -> SpeechResult:
    """The line spoken by the voice provider (then through the vendor voice changer, when
    one is configured)."""
    opts = ctx.options
    line = slot.line
    speech = call_with_retries(partial(
        ctx.providers.voice.synthesize, line.text, language=language,
        voice=opts.resolved_voice(), out_path=work / f"line_{line.segment_index:02d}.wav",
        seed=opts.job_seed), vendor=provider_vendor(ctx.providers.voice, ctx.providers.name))
    ctx.record_call("voice", f"line_{line.segment_index:02d}", units=len(line.text),
                    unit="character")
    path = speech.path
    if ctx.providers.speech_converter is not None:
        path = _convert(ctx, ctx.providers.speech_converter, path, line.segment_index,
                        speech.duration_s)
    words = speech.words
    if language in UNSPACED:  # caption words, not the speech engine's runs
        words = tuple(retime(speech.words, split_words(line.text, language)))
    return SpeechResult(path, speech.duration_s, words)


@dataclass(frozen=True)
class Voice:
    """The voice track on the video timeline, with its word timings."""

    track: ArtifactKey
    words_file: ArtifactKey
    words: tuple[WordTiming, ...]
    sources: tuple[SpeechSource, ...]


@DBOS.step()
def voice_step(job_id: str, run_number: int) -> Voice:
    """Give every line its speech; build the voice track and the word timings."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    concat = ctx.output(ConcatOutput)
    script = ctx.output(AgentsOutput).script
    offsets = concat.plan.segment_offsets_s
    duration = concat.duration_s
    work = ctx.work_dir("audio")
    joined = ctx.path(concat.audio) if _speaks_natively(ctx.options, concat) else None
    clips: list[tuple[Path, float]] = []
    words: list[WordTiming] = []
    sources: list[SpeechSource] = []
    ends = [*offsets[1:], duration]
    for line, start, end in zip(script.lines, offsets, ends, strict=True):
        slot = _Slot(line, start, end)
        speech = (_native(ctx, slot, joined, script.language, work)
                  if joined is not None else None)
        source = NATIVE
        if speech is None:
            speech, source = _synthesized(ctx, slot, script.language, work), SYNTHESIS
        overrun = start + speech.duration_s - end
        if overrun > 0.05:
            ctx.event("warning", stage="audio", dedupe=f"overrun{line.segment_index}",
                      message=f"line {line.segment_index} runs {overrun:.1f} s past its "
                              "segment; shorten the script or raise segment_duration",
                      data={"segment": line.segment_index, "overrun_s": round(overrun, 2)})
        clips.append((speech.path, start))
        sources.append(source)
        words += [WordTiming(w.text, round(w.start + start, 4), round(w.end + start, 4))
                  for w in speech.words if w.start + start < duration]
    track = ctx.key("audio/voice.wav")
    with ctx.store.writing(track) as tmp:
        place_on_timeline(clips, duration_s=duration, out=tmp)
    words_key = ctx.key("audio/words.json")
    with ctx.store.writing(words_key) as tmp:
        tmp.write_text(json.dumps({"language": script.language,
                                   "words": [asdict(w) for w in words]},
                                  ensure_ascii=False), encoding="utf-8")
    return Voice(track, words_key, tuple(words), tuple(sources))


@dataclass(frozen=True)
class Mixed:
    mix: ArtifactKey
    loudness: Loudness


def _chosen_track(ctx: JobContext, duration: float) -> Path:
    """The job's music fitted to the ad (looped or trimmed): its custom track, its catalog
    track, or a bed of its mood made for it.

    Raises:
        PermanentProviderError: the custom track or catalog track is gone.
    """
    opts = ctx.options
    fitted = ctx.work_dir("audio") / "music.wav"
    if opts.custom_music_id is not None:
        with session_scope(ctx.settings) as s:
            job = job_store.get_job(s, ctx.job_id)
            # A track deleted after the job was accepted still plays: its file is kept.
            track = None if job is None else get_custom_music(
                s, job.account_id, opts.custom_music_id.lower(), active_only=False)
        if track is None:
            raise PermanentProviderError(f"custom music {opts.custom_music_id} is gone",
                                         provider="custom-music")
        return fit_music(ctx.path(ArtifactKey(track.artifact_key)), duration_s=duration,
                         source_s=track.duration_s, out=fitted)
    if opts.music_track_id is not None:
        entry = music_catalog().get(opts.music_track_id)
        if entry is None:
            raise PermanentProviderError(f"no catalog track {opts.music_track_id}",
                                         provider="music-catalog")
        source = ctx.path(catalog_track_key(ctx.store, entry))
        ctx.record_call("music", "music", units=duration, unit="second")
        return fit_music(source, duration_s=duration, source_s=entry.duration_s, out=fitted,
                         seamless=True)
    bed = ctx.work_dir("audio") / "bed.wav"
    call_with_retries(lambda: ctx.providers.music.generate(
        mood=opts.music_mood, duration_s=duration, out_path=bed, seed=opts.job_seed),
        vendor=provider_vendor(ctx.providers.music, ctx.providers.name))
    ctx.record_call("music", "music", units=duration, unit="second")
    return bed


@DBOS.step()
def mix_step(job_id: str, run_number: int, voice_key: ArtifactKey) -> Mixed:
    """Music (when enabled: the job's custom or catalog track, else a bed of its mood),
    fitted to the ad and ducked under the voice; loudness-normalised mix."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    duration = ctx.output(ConcatOutput).duration_s
    music = _chosen_track(ctx, duration) if opts.music_enabled else None
    key = ctx.key("audio/mix.wav")
    with ctx.store.writing(key) as tmp:
        mixed = mix_voice_and_music(ctx.path(voice_key), music, duration_s=duration, out=tmp,
                                    music_volume=opts.music_volume)
    return Mixed(key, mixed.loudness)


def run_audio(job_id: str, run_number: int) -> AudioOutput:
    voice = voice_step(job_id, run_number)
    mixed = mix_step(job_id, run_number, voice.track)
    return AudioOutput(voice=voice.track, mix=mixed.mix, words_file=voice.words_file,
                       speech_sources=voice.sources, words=voice.words,
                       mix_loudness=mixed.loudness)
