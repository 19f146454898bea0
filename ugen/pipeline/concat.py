"""Stage 4, ``concat``: how the segments join, decided once, and their own audio joined.

The join (duplicated boundary frames dropped, crossfades where the motion jumps) is kept as a
:class:`~ugen.media.concat.ConcatPlan` whose segments are named by their store keys; the
`complete` stage renders the pictures straight from the segments by it, so they are decoded
once and encoded once. The segments' own audio is joined on the same timeline now, for the
`audio` stage.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from ugen.media.concat import join_audio, plan_concat
from ugen.pipeline.context import JobContext


@DBOS.step()
def concat_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    keys: list[str] = ctx.outputs("generation")["segments"]
    width, height = opts.output_size
    plan = plan_concat([ctx.path(key) for key in keys], width=width, height=height,
                       fps=opts.model.fps)
    audio = ctx.key("concat/audio.wav")
    with ctx.store.writing(audio) as tmp:
        join_audio(plan, tmp)
    saved = plan.to_dict()
    for seg, key in zip(saved["segments"], keys, strict=True):
        seg["path"] = key
    return {
        "plan": saved,
        "audio": audio,
        "duration_s": plan.duration_s,
        "frame_count": plan.frame_count,
        "segment_offsets_s": list(plan.segment_offsets_s),
        "dropped_boundary_frames": list(plan.dropped_boundary_frames),
        "transition_frames": list(plan.transition_frames),
    }


def run_concat(job_id: str, run_number: int) -> dict[str, Any]:
    return concat_step(job_id, run_number)
