"""Stage 4, ``concat``: the segments joined into one continuous, lossless intermediate."""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from ugen.media.concat import concat_segments
from ugen.pipeline.context import JobContext


@DBOS.step()
def concat_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    segments = [ctx.path(key) for key in ctx.outputs("generation")["segments"]]
    width, height = opts.output_size
    key = ctx.key("concat/video.mkv")
    with ctx.store.writing(key) as tmp:
        result = concat_segments(segments, tmp, width=width, height=height, fps=opts.model.fps)
    return {
        "video": key,
        "duration_s": result.duration_s,
        "frame_count": result.frame_count,
        "segment_offsets_s": list(result.segment_offsets_s),
        "dropped_boundary_frames": list(result.dropped_boundary_frames),
    }


def run_concat(job_id: str, run_number: int) -> dict[str, Any]:
    return concat_step(job_id, run_number)
