"""Stage 2, ``init``: the anchor keyframe that fixes persona, lighting and environment."""

from __future__ import annotations

from typing import Any

from dbos import DBOS

from ugen.pipeline.agents import load_script
from ugen.pipeline.context import JobContext
from ugen.providers.base import KeyframeRequest
from ugen.providers.retry import call_with_retries


def keyframe_name(index: int) -> str:
    return f"keyframes/kf_{index:02d}.png"


def make_keyframe(ctx: JobContext, index: int) -> str:
    """Generate keyframe ``index`` (0 = anchor) into the artifact store; return its key."""
    opts = ctx.options
    script = load_script(ctx.path(ctx.outputs("agents")["script"]))
    product = ctx.path(ctx.outputs("prepare")["product_image"])
    anchor = None if index == 0 else ctx.path(ctx.outputs("init")["anchor"])
    width, height = opts.output_size
    key = ctx.key(keyframe_name(index))
    with ctx.store.writing(key) as tmp:
        request = KeyframeRequest(
            shot=script.keyframes[index], product_image=product, anchor=anchor,
            persona=opts.resolved_persona(), width=width, height=height,
            interaction_mode=opts.interaction_mode,
            environment_description=opts.environment_description,
            seed=opts.seed * 1000 + index, out_path=tmp,
        )
        call_with_retries(lambda: ctx.providers.keyframes.generate_keyframe(request))
        sidecar = tmp.with_name(tmp.name + ".layout.json")
        if sidecar.exists():
            sidecar.replace(ctx.path(key).with_name(ctx.path(key).name + ".layout.json"))
    ctx.record_call("keyframe", f"kf_{index:02d}", unit="image")
    return key


@DBOS.step()
def anchor_keyframe_step(job_id: str, run_number: int) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    return {"anchor": make_keyframe(ctx, 0)}


def run_init(job_id: str, run_number: int) -> dict[str, Any]:
    return anchor_keyframe_step(job_id, run_number)
