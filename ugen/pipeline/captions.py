"""Stage 6, ``captions``: word-level karaoke captions in ASS from the word timings."""

from __future__ import annotations

import json
from typing import Any

from dbos import DBOS

from ugen.captions import CaptionOptions, write_ass
from ugen.pipeline.context import JobContext
from ugen.providers.base import WordTiming


@DBOS.step()
def captions_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    opts = ctx.options
    if not opts.captions_enabled:
        return {"subtitles": None}
    data = json.loads(ctx.path(ctx.outputs("audio")["words"]).read_text(encoding="utf-8"))
    words = [WordTiming(w["text"], w["start"], w["end"]) for w in data["words"]]
    width, height = opts.output_size
    custom = opts.custom_caption_options
    options = (
        CaptionOptions(**custom.model_dump(exclude_none=True)) if custom is not None else None
    )
    key = ctx.key("captions/captions.ass")
    with ctx.store.writing(key) as tmp:
        write_ass(words, language=data["language"], width=width, height=height,
                  style=opts.caption_style, options=options, out=tmp)
    return {"subtitles": key, "words": len(words), "language": data["language"]}


def run_captions(job_id: str, run_number: int) -> dict[str, Any]:
    return captions_step(job_id, run_number)
