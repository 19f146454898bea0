"""Stage 5, ``audio``: the persona's voice on the video timeline, with ducked music.

Each script line is spoken in the selected voice and placed at its segment's start on the
concatenated timeline, so every segment's speech stays inside its segment. Word timings are
kept (shifted onto the timeline) for the captions.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from dbos import DBOS

from ugen.captions.words import UNSPACED, retime, split_words
from ugen.media.audio import mix_voice_and_music, place_on_timeline
from ugen.pipeline.agents import load_script
from ugen.pipeline.context import JobContext
from ugen.providers.base import SpeechResult
from ugen.providers.retry import call_with_retries


def _converted(ctx: JobContext, speech: SpeechResult, index: int) -> Path:
    """The line's speech through the vendor voice changer, when one is configured (it keeps
    the timing, so the line stays inside its segment)."""
    converter = ctx.providers.speech_converter
    if converter is None:
        return speech.path
    out = speech.path.with_name(f"{speech.path.stem}.sts.wav")
    call_with_retries(partial(converter.convert, speech.path,
                              voice=ctx.options.resolved_voice(), out_path=out))
    ctx.record_usage("voice_conversion", f"line_{index:02d}", converter, out,
                     units=speech.duration_s, unit="second")
    return out


@DBOS.step()
def voice_step(job_id: str, run_number: int) -> dict[str, Any]:
    """Speak every line; build the voice track and the word timings."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    concat = ctx.outputs("concat")
    script = load_script(ctx.path(ctx.outputs("agents")["script"]))
    offsets: list[float] = concat["segment_offsets_s"]
    duration = float(concat["duration_s"])
    work = ctx.work_dir("audio")
    voice = opts.resolved_voice()
    clips = []
    words = []
    ends = [*offsets[1:], duration]
    for line, offset, slot_end in zip(script.lines, offsets, ends, strict=True):
        out = work / f"line_{line.segment_index:02d}.wav"
        speech = call_with_retries(partial(
            ctx.providers.voice.synthesize, line.text, language=script.language, voice=voice,
            out_path=out, seed=opts.seed))
        ctx.record_call("voice", f"line_{line.segment_index:02d}", units=len(line.text),
                        unit="character")
        clips.append((_converted(ctx, speech, line.segment_index), offset))
        overrun = offset + speech.duration_s - slot_end
        if overrun > 0.05:
            ctx.event("warning", stage="audio", dedupe=f"overrun{line.segment_index}",
                      message=f"line {line.segment_index} runs {overrun:.1f} s past its "
                              "segment; shorten the script or raise segment_duration",
                      data={"segment": line.segment_index, "overrun_s": round(overrun, 2)})
        timed = speech.words
        if script.language in UNSPACED:  # caption words, not the speech engine's runs
            timed = tuple(retime(speech.words, split_words(line.text, script.language)))
        words += [
            {"text": w.text, "start": round(w.start + offset, 4), "end": round(w.end + offset, 4)}
            for w in timed
            if w.start + offset < duration
        ]
    track = ctx.key("audio/voice.wav")
    with ctx.store.writing(track) as tmp:
        place_on_timeline(clips, duration_s=duration, out=tmp)
    words_key = ctx.key("audio/words.json")
    with ctx.store.writing(words_key) as tmp:
        tmp.write_text(json.dumps({"language": script.language, "words": words},
                                  ensure_ascii=False), encoding="utf-8")
    return {"voice": track, "words": words_key}


@DBOS.step()
def mix_step(job_id: str, run_number: int, voice_key: str) -> dict[str, Any]:
    """Music bed (when enabled) ducked under the voice; loudness-normalised mix."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    duration = float(ctx.outputs("concat")["duration_s"])
    music = None
    if opts.music_enabled:
        music = ctx.work_dir("audio") / "music.wav"
        call_with_retries(lambda: ctx.providers.music.generate(
            mood=opts.music_mood, duration_s=duration, out_path=music, seed=opts.seed))
        ctx.record_call("music", "music", units=duration, unit="second")
    key = ctx.key("audio/mix.wav")
    with ctx.store.writing(key) as tmp:
        mix_voice_and_music(ctx.path(voice_key), music, duration_s=duration, out=tmp,
                            music_volume=opts.music_volume)
    return {"mix": key}


def run_audio(job_id: str, run_number: int) -> dict[str, Any]:
    voice = voice_step(job_id, run_number)
    mix = mix_step(job_id, run_number, voice["voice"])
    return {**voice, **mix}
