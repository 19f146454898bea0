"""Stage 6, ``captions``: word-level karaoke captions in ASS, timed by forced alignment.

The script's caption words are aligned to the final voice track (the known text, not a
transcription, so brand names stay as written); the method used is recorded in the output.
If the aligner cannot time the words, the ``audio`` stage's rough timings are used instead
(the voice provider's own, or the speech regions of a segment's converted speech), with a
warning on the job.
"""

from __future__ import annotations

from functools import partial

from dbos import DBOS

from ugen.captions import CaptionOptions, write_ass
from ugen.captions.words import split_words
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import AgentsOutput, AudioOutput, CaptionsOutput, ConcatOutput
from ugen.providers.base import PermanentProviderError, Script, WordTiming
from ugen.providers.retry import call_with_retries, provider_vendor


def _timed_words(ctx: JobContext, script: Script) -> tuple[list[WordTiming], str]:
    """The caption words with their times, and how they were timed."""
    audio = ctx.output(AudioOutput)
    language = script.language
    lines = [split_words(line.text, language) for line in script.lines]
    duration = ctx.output(ConcatOutput).duration_s
    try:
        found = call_with_retries(partial(
            ctx.providers.aligner.align, ctx.path(audio.voice), lines, language=language),
            vendor=provider_vendor(ctx.providers.aligner, ctx.providers.name))
    except PermanentProviderError as err:
        ctx.event("warning", stage="captions", dedupe="alignment",
                  message=f"word alignment failed ({err}); captions use the voice's timings",
                  data={"provider": err.provider})
        return list(audio.words), "voice-track"
    if getattr(ctx.providers.aligner, "usage", None) is not None:  # a billed vendor call
        ctx.record_usage("alignment", "voice", ctx.providers.aligner, ctx.path(audio.voice),
                         unit="second", units=duration)
    return [w for w in found.words if w.start < duration], found.method


@DBOS.step()
def captions_step(job_id: str, run_number: int) -> CaptionsOutput:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    if not opts.captions_enabled:
        return CaptionsOutput(subtitles=None)
    script = ctx.output(AgentsOutput).script
    language = script.language
    words, method = _timed_words(ctx, script)
    width, height = opts.output_size
    custom = opts.custom_caption_options
    options = (
        CaptionOptions(**custom.model_dump(exclude_none=True)) if custom is not None else None
    )
    key = ctx.key("captions/captions.ass")
    with ctx.store.writing(key) as tmp:
        write_ass(words, language=language, width=width, height=height,
                  style=opts.caption_style, options=options, out=tmp)
    return CaptionsOutput(subtitles=key, language=language, alignment=method,
                          words=tuple(words))


def run_captions(job_id: str, run_number: int) -> CaptionsOutput:
    return captions_step(job_id, run_number)
