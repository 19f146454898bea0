"""Stage 4, ``concat``: how the segments join, decided once, and their own audio joined.

The join (duplicated boundary frames dropped, crossfades where the motion jumps) is judged on
each segment's first and last frames, read when ``generation`` accepted the segment (read
here only where they are missing or no longer match the segment). It is kept as a
:class:`~ugen.media.concat.ConcatPlan` whose segments are named by their store keys; the
`complete` stage renders the pictures straight from the segments by it, so they are decoded
once and encoded once. The segments' own audio is joined on the same timeline now, for the
`audio` stage.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from ugen.media.boundary import SegmentEnds, analysis_size
from ugen.media.concat import join_audio, plan_concat
from ugen.pipeline.context import JobContext


@DBOS.step()
def concat_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    generation = ctx.outputs("generation")
    keys: list[str] = generation["segments"]
    width, height = opts.output_size
    paths = [ctx.path(key) for key in keys]
    size = analysis_size(width, height)
    ends = [None if key is None else SegmentEnds.load(ctx.path(key), source=path, size=size)
            for key, path in zip(generation.get("segment_ends", [None] * len(keys)), paths,
                                 strict=True)]
    plan = plan_concat(paths, width=width, height=height, fps=opts.model.fps, ends=ends)
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
