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

from dbos import DBOS

from ugen.media.boundary import SegmentEnds, analysis_size
from ugen.media.concat import join_audio, plan_concat
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import ConcatOutput, GenerationOutput, JoinPlan


@DBOS.step()
def concat_step(job_id: str, run_number: int) -> ConcatOutput:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    segments = ctx.output(GenerationOutput).segments
    keys = [seg.artifact for seg in segments]
    width, height = opts.output_size
    paths = [ctx.path(key) for key in keys]
    size = analysis_size(width, height)
    ends = [None if seg.ends is None else SegmentEnds.load(ctx.path(seg.ends), source=path,
                                                          size=size)
            for seg, path in zip(segments, paths, strict=True)]
    plan = plan_concat(paths, width=width, height=height, fps=opts.model.fps, ends=ends)
    audio = ctx.key("concat/audio.wav")
    with ctx.store.writing(audio) as tmp:
        join_audio(plan, tmp)
    return ConcatOutput(plan=JoinPlan.of(plan, keys), audio=audio)


def run_concat(job_id: str, run_number: int) -> ConcatOutput:
    return concat_step(job_id, run_number)
