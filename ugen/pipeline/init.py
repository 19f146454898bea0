"""Stage 2, ``init``: the anchor keyframe that fixes persona, lighting and environment.

Also what every keyframe shares with the anchor: how one is made and judged, its seeds and
what it is made from (``generation`` makes the others the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from dbos import DBOS

from ugen.core.types import StageName
from ugen.pipeline.context import JobContext
from ugen.pipeline.errors import QaRejectedError, making
from ugen.pipeline.items import remember, reuse
from ugen.pipeline.outputs import AgentsOutput, InitOutput, ItemRecord, PrepareOutput
from ugen.pipeline.shared_items import publish_keyframe_step, shared_keyframe_step
from ugen.providers.base import KeyframeRequest
from ugen.providers.retry import call_with_retries, provider_vendor
from ugen.qa.base import QaVerdict
from ugen.store.artifacts import ArtifactKey
from ugen.store.models import utcnow

ANCHOR = "keyframe 0 (anchor)"


@dataclass(frozen=True)
class Made:
    """An item made by one attempt: its artifact and when the attempt started."""

    artifact: ArtifactKey
    started_at: datetime


@dataclass(frozen=True)
class Judged:
    """An attempt's verdict and when it was given."""

    verdict: QaVerdict
    at: datetime


def attempt_suffix(run_number: int, attempt: int) -> str:
    """Every attempt keeps a file of its own (a retry may reuse any of them); the first
    attempt of the first run has the plain name."""
    return "" if (run_number, attempt) == (1, 0) else f".r{run_number}a{attempt}"


def keyframe_name(index: int, run_number: int = 1, attempt: int = 0) -> str:
    return f"keyframes/kf_{index:02d}{attempt_suffix(run_number, attempt)}.png"


def item_name(index: int) -> str:
    return f"kf_{index:02d}"


def attempt_seed(base: int, index: int, attempt: int, run_number: int = 1) -> int:
    """A new seed for each regeneration of the same item, in each run of the job (a retry
    makes again only what it cannot reuse, and makes it differently)."""
    return base * 1000 + index + attempt * 7919 + (run_number - 1) * 104729


def _anchor_path(ctx: JobContext) -> Path:
    return ctx.path(ctx.output(InitOutput).anchor.artifact)


def keyframe_inputs(ctx: JobContext, index: int) -> list[Path]:
    """What keyframe ``index`` is made from: the script, the product and (after the anchor)
    the anchor."""
    made_from = [ctx.path(ctx.output(AgentsOutput).script_file),
                 ctx.path(ctx.output(PrepareOutput).product_image)]
    if index > 0:
        made_from.append(_anchor_path(ctx))
    return made_from


def reviewed_prompt(prompt: str, note: str) -> str:
    """The shot's prompt made again after a reviewer rejected it for ``note``."""
    return f"{prompt}\nA reviewer rejected the previous image: {note}. Fix that." if note \
        else prompt


def make_keyframe(ctx: JobContext, index: int, attempt: int = 0, note: str = "") -> Made:
    """Generate keyframe ``index`` (0 = anchor) into the artifact store; ``note``: why a
    reviewer rejected the previous image (said in the prompt)."""
    started = utcnow()
    opts = ctx.options
    script = ctx.output(AgentsOutput).script
    shot = script.keyframes[index]
    shot = replace(shot, prompt=reviewed_prompt(shot.prompt, note)) if note else shot
    product = ctx.path(ctx.output(PrepareOutput).product_image)
    anchor = None if index == 0 else _anchor_path(ctx)
    width, height = opts.output_size
    key = ctx.key(keyframe_name(index, ctx.run_number, attempt))
    with ctx.store.writing(key) as tmp:
        request = KeyframeRequest(
            shot=shot, product_image=product, anchor=anchor,
            persona=opts.resolved_persona(), width=width, height=height,
            interaction_mode=opts.interaction_mode,
            environment_description=opts.environment_description,
            seed=attempt_seed(opts.job_seed, index, attempt, ctx.run_number), out_path=tmp,
        )
        call_with_retries(lambda: ctx.providers.keyframes.generate_keyframe(request),
                          vendor=provider_vendor(ctx.providers.keyframes, ctx.providers.name))
    ctx.record_usage("keyframe", item_name(index), ctx.providers.keyframes, request.out_path,
                     unit="image")
    return Made(key, started)


def judge_keyframe(ctx: JobContext, stage: StageName, index: int, attempt: int,
                   key: ArtifactKey) -> Judged:
    """Score a keyframe on its pixels; keep the verdict (an event and the item's record)."""
    opts = ctx.options
    width, height = opts.output_size
    anchor = None if index == 0 else _anchor_path(ctx)
    verdict = ctx.providers.keyframe_judge.judge_keyframe(
        ctx.path(key), anchor=anchor, product=ctx.path(ctx.output(PrepareOutput).product_image),
        width=width, height=height, interaction_mode=opts.interaction_mode,
        qai_mode=opts.qai_mode,
    )
    ctx.record_billed("qa", item_name(index), ctx.providers.keyframe_judge, ctx.path(key))
    qa_event(ctx, stage, item_name(index), attempt, verdict)
    remember(ctx, stage, item_name(index), attempt, key, verdict, keyframe_inputs(ctx, index))
    return Judged(verdict, utcnow())


def qa_event(ctx: JobContext, stage: StageName, item: str, attempt: int,
             verdict: QaVerdict) -> None:
    outcome = "passed" if verdict.passed else "failed"
    ctx.event("qa_verdict", stage=stage, message=f"{item} {outcome} QA "
              f"({verdict.score:.2f} vs {verdict.threshold:.2f})",
              data={"item": item, "attempt": attempt, **verdict.to_dict()},
              dedupe=f"qa:{item}:{attempt}")


def rejection(item: str, attempts: int, verdict: QaVerdict) -> QaRejectedError:
    categories = ", ".join(verdict.categories) or "BELOW_THRESHOLD"
    reason = verdict.reasons[0] if verdict.reasons else ""
    return QaRejectedError(
        item, f"failed QA after {attempts} attempt(s): {categories} "
              f"(score {verdict.score:.2f} < {verdict.threshold:.2f}) {reason}".strip(),
        qa_categories=verdict.categories or ("BELOW_THRESHOLD",))


def reused_record(ctx: JobContext, stage: StageName, index: int,
                  inputs: list[Path]) -> ItemRecord | None:
    """An earlier run's keyframe ``index`` made from ``inputs`` that passes QA now."""
    found = reuse(ctx, stage, item_name(index), inputs)
    if found is None:
        return None
    key, verdict, _ = found
    now = utcnow()
    return ItemRecord(item=item_name(index), index=index, artifact=key, qa=verdict,
                      attempts=0, reused=True, started_at=now, finished_at=now)


@DBOS.step()
def max_retries_keyframe_step(job_id: str, run_number: int) -> int:
    return JobContext(job_id, run_number).options.max_retries_keyframe


@DBOS.step()
def anchor_keyframe_step(job_id: str, run_number: int, attempt: int, note: str = "") -> Made:
    return make_keyframe(JobContext(job_id, run_number), 0, attempt, note)


@DBOS.step()
def anchor_qa_step(job_id: str, run_number: int, attempt: int, key: ArtifactKey) -> Judged:
    return judge_keyframe(JobContext(job_id, run_number), "init", 0, attempt, key)


@DBOS.step()
def reused_anchor_step(job_id: str, run_number: int) -> ItemRecord | None:
    """An earlier run's anchor made from the same script and product that passes QA now."""
    ctx = JobContext(job_id, run_number)
    return reused_record(ctx, "init", 0, keyframe_inputs(ctx, 0))


def run_init(job_id: str, run_number: int) -> InitOutput:
    """The anchor, regenerated with a new seed while QA rejects it (max_retries_keyframe);
    a retry reuses an earlier run's anchor that passes."""
    if run_number > 1 and (reused := reused_anchor_step(job_id, run_number)) is not None:
        return InitOutput(anchor=reused)
    if (shared := shared_keyframe_step(job_id, run_number, 0)) is not None:
        return InitOutput(anchor=shared)  # made by another job of its variant set
    retries = max_retries_keyframe_step(job_id, run_number)
    started = None
    with making(ANCHOR):
        for attempt in range(retries + 1):
            made = anchor_keyframe_step(job_id, run_number, attempt)
            started = started or made.started_at
            judged = anchor_qa_step(job_id, run_number, attempt, made.artifact)
            if judged.verdict.passed:
                anchor = ItemRecord(
                    item="kf_00", index=0, artifact=made.artifact, qa=judged.verdict,
                    attempts=attempt + 1, started_at=started, finished_at=judged.at)
                publish_keyframe_step(job_id, run_number, 0, anchor)
                return InitOutput(anchor=anchor)
    raise rejection(ANCHOR, retries + 1, judged.verdict)


@DBOS.workflow()
def anchor_workflow(job_id: str, run_number: int, first_attempt: int = 0,
                    note: str = "") -> ItemRecord:
    """One review round of the anchor (``ugen.pipeline.review``), in a slot of the jobs
    queue: attempts from ``first_attempt`` on, regenerated while QA rejects them, with the
    reviewer's ``note`` (why the previous one was rejected) in the prompt."""
    if (run_number > 1 and first_attempt == 0
            and (reused := reused_anchor_step(job_id, run_number)) is not None):
        return reused
    retries = max_retries_keyframe_step(job_id, run_number)
    started = None
    with making(ANCHOR):
        for attempt in range(first_attempt, first_attempt + retries + 1):
            made = anchor_keyframe_step(job_id, run_number, attempt, note)
            started = started or made.started_at
            judged = anchor_qa_step(job_id, run_number, attempt, made.artifact)
            if judged.verdict.passed:
                return ItemRecord(
                    item="kf_00", index=0, artifact=made.artifact, qa=judged.verdict,
                    attempts=attempt - first_attempt + 1, started_at=started,
                    finished_at=judged.at)
    raise rejection(ANCHOR, retries + 1, judged.verdict)
