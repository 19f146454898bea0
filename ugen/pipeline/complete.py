"""Stage 7, ``complete``: the one final render, verified, plus the poster image."""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from ugen.media.concat import ConcatPlan
from ugen.media.render import extract_poster, render_final, render_plan, verify_output
from ugen.pipeline.context import JobContext


@DBOS.step()
def render_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    concat = ctx.outputs("concat")
    subtitles_key = ctx.outputs("captions").get("subtitles")
    width, height = opts.output_size
    fps = opts.model.fps
    key = ctx.key("final.mp4")
    subtitles = ctx.path(subtitles_key) if subtitles_key else None
    mix = ctx.path(ctx.outputs("audio")["mix"])
    with ctx.store.writing(key) as tmp:
        if "plan" in concat:  # the pictures straight from the segments, decoded once
            saved = concat["plan"]
            plan = ConcatPlan.from_dict(saved, [ctx.path(s["path"]) for s in saved["segments"]])
            render_plan(plan, mix, tmp, subtitles=subtitles)
        else:  # a job whose concat wrote the lossless intermediate
            render_final(ctx.path(concat["video"]), mix, tmp, width=width, height=height,
                         fps=fps, subtitles=subtitles)
        info = verify_output(tmp, width=width, height=height,
                             expected_duration_s=float(concat["duration_s"]), fps=fps)
    poster = ctx.key("poster.jpg")
    with ctx.store.writing(poster) as tmp:
        extract_poster(ctx.path(key), tmp, at_s=min(1.5, info.duration / 3))
    return {"final_video": key, "thumbnail": poster, "duration_s": info.duration,
            "size_bytes": info.size_bytes}


def run_complete(job_id: str, run_number: int) -> dict[str, Any]:
    return render_step(job_id, run_number)
