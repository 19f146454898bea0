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


class QaRejectedError(Exception):
    """An item failed QA on every allowed attempt."""


def attempt_seed(base: int, index: int, attempt: int) -> int:
    """A new seed for each regeneration of the same item."""
    return base * 1000 + index + attempt * 7919


def make_keyframe(ctx: JobContext, index: int, attempt: int = 0) -> str:
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
            seed=attempt_seed(opts.seed, index, attempt), out_path=tmp,
        )
        call_with_retries(lambda: ctx.providers.keyframes.generate_keyframe(request))
        sidecar = tmp.with_name(tmp.name + ".layout.json")
        if sidecar.exists():
            sidecar.replace(ctx.path(key).with_name(ctx.path(key).name + ".layout.json"))
    ctx.record_usage("keyframe", f"kf_{index:02d}", ctx.providers.keyframes, request.out_path,
                     unit="image")
    return key


def judge_keyframe(ctx: JobContext, index: int, key: str) -> dict[str, Any]:
    """Score a keyframe on its pixels; store the verdict as an event; return it as a dict."""
    opts = ctx.options
    width, height = opts.output_size
    anchor = None if index == 0 else ctx.path(ctx.outputs("init")["anchor"])
    verdict = ctx.providers.keyframe_judge.judge_keyframe(
        ctx.path(key), anchor=anchor, product=ctx.path(ctx.outputs("prepare")["product_image"]),
        width=width, height=height, interaction_mode=opts.interaction_mode,
        qai_mode=opts.qai_mode,
    )
    ctx.record_billed("qa", f"kf_{index:02d}", ctx.providers.keyframe_judge, ctx.path(key))
    return verdict.to_dict()


def qa_event(ctx: JobContext, stage: Any, item: str, attempt: int,
             verdict: dict[str, Any]) -> None:
    outcome = "passed" if verdict["passed"] else "failed"
    ctx.event("qa_verdict", stage=stage, message=f"{item} {outcome} QA "
              f"({verdict['score']:.2f} vs {verdict['threshold']:.2f})",
              data={"item": item, "attempt": attempt, **verdict},
              dedupe=f"qa:{item}:{attempt}")


def rejection(item: str, attempts: int, verdict: dict[str, Any]) -> QaRejectedError:
    categories = ", ".join(verdict["categories"]) or "BELOW_THRESHOLD"
    reason = verdict["reasons"][0] if verdict["reasons"] else ""
    return QaRejectedError(
        f"{item} failed QA after {attempts} attempt(s): {categories} "
        f"(score {verdict['score']:.2f} < {verdict['threshold']:.2f}) {reason}".strip())


@DBOS.step()
def anchor_keyframe_step(job_id: str, run_number: int, attempt: int) -> str:
    return make_keyframe(JobContext(job_id, run_number), 0, attempt)


@DBOS.step()
def anchor_qa_step(job_id: str, run_number: int, attempt: int, key: str) -> dict[str, Any]:
    ctx = JobContext(job_id, run_number)
    verdict = judge_keyframe(ctx, 0, key)
    qa_event(ctx, "init", "kf_00", attempt, verdict)
    return verdict


def run_init(job_id: str, run_number: int) -> dict[str, Any]:
    """The anchor, regenerated with a new seed while QA rejects it (max_retries_keyframe)."""
    retries = JobContext(job_id, run_number).options.max_retries_keyframe
    for attempt in range(retries + 1):
        key = anchor_keyframe_step(job_id, run_number, attempt)
        verdict = anchor_qa_step(job_id, run_number, attempt, key)
        if verdict["passed"]:
            return {"anchor": key, "qa": verdict, "attempts": attempt + 1}
    raise rejection("keyframe 0 (anchor)", retries + 1, verdict)
