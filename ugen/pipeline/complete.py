"""Stage 7, ``complete``: the one final render, verified and signed with Content Credentials
(a C2PA manifest saying a trained algorithm made it), plus the poster image."""

from __future__ import annotations

from dbos import DBOS

from ugen.media.provenance import ensure_signer, sign_and_check
from ugen.media.render import extract_poster, render_plan, verify_output
from ugen.media.watermark import JOB_LOGO, JOB_WATERMARK, job_overlay
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import (
    AudioOutput,
    CaptionsOutput,
    CompleteOutput,
    ConcatOutput,
    ContentCredentials,
)


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
    credentials = ensure_signer(ctx.settings)
    unsigned = ctx.work_dir("complete") / "unsigned.mp4"
    # The brand-kit logo, from the job's own copy made when it was created.
    watermark = (job_overlay(ctx.path(ctx.key(JOB_LOGO)), ctx.path(ctx.key(JOB_WATERMARK)),
                             (plan.width, plan.height), ctx.work_dir("complete") / "logo.png")
                 if opts.brand_kit_enabled else None)
    render_plan(plan, mix, unsigned, subtitles=subtitles, watermark=watermark)
    with ctx.store.writing(key) as tmp:
        # What is stored and downloaded is the copy with the signed Content Credentials.
        manifest = sign_and_check(unsigned, tmp, credentials, title=f"U-Gen ad {job_id}")
        info = verify_output(tmp, width=width, height=height,
                             expected_duration_s=concat.duration_s, fps=opts.model.fps)
    poster = ctx.key("poster.jpg")
    with ctx.store.writing(poster) as tmp:
        extract_poster(ctx.path(key), tmp, at_s=min(1.5, info.duration / 3))
    content_credentials = ContentCredentials(
        manifest=manifest.label, claim_generator=manifest.claim_generator,
        digital_source_type=manifest.digital_source_type, signer=manifest.signer,
        signed_with=credentials.source, validation_state=manifest.validation_state,
        untrusted_signer=manifest.untrusted_signer)
    return CompleteOutput(final_video=key, thumbnail=poster, duration_s=info.duration,
                          size_bytes=info.size_bytes, content_credentials=content_credentials)


def run_complete(job_id: str, run_number: int) -> CompleteOutput:
    return render_step(job_id, run_number)
