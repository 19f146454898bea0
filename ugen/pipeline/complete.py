"""Stage 7, ``complete``: the one final render, verified, plus the poster image."""

from __future__ import annotations

from dbos import DBOS

from ugen.media.render import extract_poster, render_plan, verify_output
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import AudioOutput, CaptionsOutput, CompleteOutput, ConcatOutput


@DBOS.step()
def render_step(job_id: str, run_number: int) -> CompleteOutput:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    concat = ctx.output(ConcatOutput)
    subtitles_key = ctx.output(CaptionsOutput).subtitles
    width, height = opts.output_size
    key = ctx.key("final.mp4")
    subtitles = ctx.path(subtitles_key) if subtitles_key else None
    mix = ctx.path(ctx.output(AudioOutput).mix)
    # The pictures straight from the segments, each decoded once.
    plan = concat.plan.concat_plan([ctx.path(seg.artifact) for seg in concat.plan.segments])
    with ctx.store.writing(key) as tmp:
        render_plan(plan, mix, tmp, subtitles=subtitles)
        info = verify_output(tmp, width=width, height=height,
                             expected_duration_s=concat.duration_s, fps=opts.model.fps)
    poster = ctx.key("poster.jpg")
    with ctx.store.writing(poster) as tmp:
        extract_poster(ctx.path(key), tmp, at_s=min(1.5, info.duration / 3))
    return CompleteOutput(final_video=key, thumbnail=poster, duration_s=info.duration,
                          size_bytes=info.size_bytes)


def run_complete(job_id: str, run_number: int) -> CompleteOutput:
    return render_step(job_id, run_number)
