"""Keyframes and segments shared by the jobs of one variant set, bought once.

Before a job of a variant set buys a keyframe or a segment, it computes the item's content
key: a SHA-256 of everything that determines it (provider, model, prompt and spoken line,
the shot, the input frames' and product image's SHA-256, persona, voice, seed, size,
duration, frame rate, QA mode and retry budget). The first job of the set to need a key
claims it (a row of ``shared_items`` under a unique key: a concurrent claim loses) and makes
the item as any job does (paid, recorded, judged); once it passes QA its artifact is
published. Every other job of the set needing the same key waits for it, copies the artifact
into its own files, keeps the owner's verdict, makes no provider call and takes the item's
price off its own estimate (a ``shared_reuse`` line), so the item is paid once.

Items are shared only inside one variant set of one account (``docs/decisions.md``). A job
of no variant set is untouched: every function here returns at once.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass

from dbos import DBOS

from ugen.core.estimate import CostLine, Estimate
from ugen.core.types import TERMINAL_STATUSES, StageName
from ugen.pipeline.context import JobContext
from ugen.pipeline.items import file_sha256, remember
from ugen.pipeline.outputs import (
    AgentsOutput,
    InitOutput,
    ItemRecord,
    PrepareOutput,
    SegmentRecord,
)
from ugen.qa.base import QaVerdict
from ugen.store import jobs as job_store
from ugen.store import variant_sets as vs_store
from ugen.store.artifacts import ArtifactKey
from ugen.store.db import session_scope
from ugen.store.models import utcnow

WAIT_POLL_S = 0.25
"""How often a job waiting for another job's item looks again."""
REUSE_COMPONENT = "shared_reuse"


@dataclass(frozen=True)
class Scope:
    set_id: str
    account_id: str


def scope_of(ctx: JobContext) -> Scope | None:
    """The job's variant set, or None for a job of no set."""
    with session_scope(ctx.settings) as s:
        found = vs_store.set_of_job(s, ctx.job_id)
    return None if found is None else Scope(*found)


def _digest(fields: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _common(ctx: JobContext) -> dict[str, object]:
    opts = ctx.options
    width, height = opts.output_size
    return {"provider": ctx.providers.name, "seed": opts.job_seed, "width": width,
            "height": height, "persona": opts.resolved_persona().id,
            "qai_mode": opts.qai_mode, "keyframe_resolution": opts.keyframe_resolution}


def keyframe_key(ctx: JobContext, index: int) -> str:
    """Content key of keyframe ``index`` (0 = anchor) of the job."""
    opts = ctx.options
    script = ctx.output(AgentsOutput).script
    anchor = None if index == 0 else file_sha256(
        ctx.path(ctx.output(InitOutput).anchor.artifact))
    return _digest({**_common(ctx), "kind": "keyframe", "index": index,
                    "shot": asdict(script.keyframes[index]),
                    "product": file_sha256(ctx.path(ctx.output(PrepareOutput).product_image)),
                    "anchor": anchor, "interaction_mode": opts.interaction_mode,
                    "environment": opts.environment_description,
                    "retries": opts.max_retries_keyframe})


def segment_key(ctx: JobContext, index: int, keyframes: list[ArtifactKey]) -> str:
    """Content key of segment ``index`` between ``keyframes`` of the job."""
    opts = ctx.options
    script = ctx.output(AgentsOutput).script
    return _digest({**_common(ctx), "kind": "segment", "index": index,
                    "frames": [file_sha256(ctx.path(k)) for k in keyframes],
                    "prompt": script.segment_prompts[index],
                    "spoken_line": script.lines[index].text, "language": script.language,
                    "voice": opts.resolved_voice().id,
                    "duration_s": opts.effective_segment_duration, "fps": opts.model.fps,
                    "model": opts.video_model, "video_resolution": opts.video_resolution,
                    "retries": opts.max_retries_video})


# --- credits ----------------------------------------------------------------------------------

def item_price(estimate: Estimate, kind: str, duration_s: int) -> int:
    for line in estimate.lines:
        if kind == "keyframe" and line.component == "keyframes":
            return line.unit_credits
        if kind == "segment" and line.component == "video_model":
            return line.unit_credits * (duration_s if line.unit == "second" else 1)
    return 0


def discount(ctx: JobContext, stage: StageName, kind: str, item: str, owner: str) -> int:
    """Take a reused item's price off the job's estimate (once per item); the credits the
    stage uses, and so what the job is charged, follow the estimate."""
    if owner == ctx.job_id:
        return 0  # its own item of an earlier run, paid then
    with session_scope(ctx.settings) as s:
        # Touch the row first: it is locked (a row lock, SQLite's write lock) before it is
        # read, so concurrent reuses in one job do not lose each other's lines.
        job_store.set_job_fields(s, ctx.job_id, only_if_active=False)
        job = job_store.get_job(s, ctx.job_id)
        if job is None:
            return 0
        s.refresh(job)
        estimate = Estimate.from_dict(dict(job.estimate))
        note = f"{item} reused from job {owner}"
        if any(ln.component == REUSE_COMPONENT and ln.note.startswith(f"{item} ")
               for ln in estimate.lines):
            return 0
        price = item_price(estimate, kind, ctx.options.effective_segment_duration)
        line = CostLine(REUSE_COMPONENT, stage, 1, kind, -price, -price, note)
        updated = Estimate((*estimate.lines, line))
        job_store.set_job_fields(s, ctx.job_id, only_if_active=False,
                                 estimate=updated.to_dict())
    return price


# --- claim, wait, reuse -----------------------------------------------------------------------

@dataclass(frozen=True)
class Reused:
    artifact: ArtifactKey
    verdict: QaVerdict
    owner: str


def _owner_gone(ctx: JobContext, owner: str) -> bool:
    with session_scope(ctx.settings) as s:
        job = job_store.get_job(s, owner)
        return job is None or job.status in TERMINAL_STATUSES


def acquire(ctx: JobContext, scope: Scope, kind: str, item: str, content_key: str,
            name: str) -> Reused | None:
    """The item made by another job of the set (copied to ``name`` of this job), or None
    when this job is to make it (it holds the claim). Waits while another job makes it."""
    deadline = time.monotonic() + ctx.settings.variant_share_wait_s
    while True:
        with session_scope(ctx.settings) as s:
            if vs_store.claim(s, account_id=scope.account_id, scope=scope.set_id,
                              content_key=content_key, kind=kind, item=item,
                              job_id=ctx.job_id):
                return None
            row = vs_store.get_item(s, scope.account_id, scope.set_id, content_key)
            assert row is not None
            row_id, status, owner = row.id, row.status, row.owner_job_id
            artifact, sha, verdict = row.artifact, row.sha256, row.verdict
        if owner == ctx.job_id and status == "claimed":
            return None  # ours: this step runs again after a crash, or the job is retried
        if status == "ready" and artifact and sha and verdict is not None:
            source = ctx.path(ArtifactKey(artifact))
            if source.is_file() and file_sha256(source) == sha:
                key = ctx.store.put_file(ctx.key(name), source)
                with session_scope(ctx.settings) as s:
                    vs_store.count_reuse(s, row_id)
                return Reused(key, QaVerdict.from_dict(verdict), owner)
            # The owner's file is gone (its job was deleted): make it again, once.
            with session_scope(ctx.settings) as s:
                if vs_store.reclaim(s, row_id, sha=sha, to_job=ctx.job_id):
                    return None
            continue
        if _owner_gone(ctx, owner):
            with session_scope(ctx.settings) as s:
                if vs_store.take_over(s, row_id, from_job=owner, to_job=ctx.job_id):
                    return None
            continue
        if time.monotonic() > deadline:
            return None  # never wait forever: make it (and pay for it) here
        ctx.check_not_cancelled()
        time.sleep(WAIT_POLL_S)


def _reused_event(ctx: JobContext, stage: StageName, item: str, found: Reused,
                  credits: int) -> None:
    ctx.event("item_shared", stage=stage,
              message=f"{item} reused from job {found.owner} of the variant set; "
                      f"{credits} credits not spent again",
              data={"item": item, "artifact": found.artifact, "from_job": found.owner,
                    "credits_saved": credits}, dedupe=f"shared:{item}")


def _keyframe_inputs(ctx: JobContext, index: int) -> list[ArtifactKey]:
    made_from = [ctx.output(AgentsOutput).script_file, ctx.output(PrepareOutput).product_image]
    if index > 0:
        made_from.append(ctx.output(InitOutput).anchor.artifact)
    return made_from


@DBOS.step()
def shared_keyframe_step(job_id: str, run_number: int, index: int) -> ItemRecord | None:
    """Keyframe ``index`` made by another job of the variant set, or None when this job
    makes it (or is of no set)."""
    ctx = JobContext(job_id, run_number)
    scope = scope_of(ctx)
    if scope is None:
        return None
    item = f"kf_{index:02d}"
    stage: StageName = "init" if index == 0 else "generation"
    name = f"keyframes/{item}.shared.r{run_number}.png"
    found = acquire(ctx, scope, "keyframe", item, keyframe_key(ctx, index), name)
    if found is None:
        return None
    credits = discount(ctx, stage, "keyframe", item, found.owner)
    remember(ctx, stage, item, 0, found.artifact, found.verdict,
             [ctx.path(k) for k in _keyframe_inputs(ctx, index)])
    _reused_event(ctx, stage, item, found, credits)
    if index > 0:
        ctx.event("keyframe_completed", stage="generation", message=f"keyframe {index} ready",
                  data={"index": index, "artifact": found.artifact}, dedupe=f"kf{index}")
    now = utcnow()
    return ItemRecord(item=item, index=index, artifact=found.artifact, qa=found.verdict,
                      attempts=0, reused=True, started_at=now, finished_at=now)


@DBOS.step()
def publish_keyframe_step(job_id: str, run_number: int, index: int,
                          record: ItemRecord) -> None:
    """This job made keyframe ``index`` and it passed QA: the set's other jobs may reuse it."""
    ctx = JobContext(job_id, run_number)
    scope = scope_of(ctx)
    if scope is None or record.reused:
        return
    _publish(ctx, scope, keyframe_key(ctx, index), record)


@DBOS.step()
def shared_segment_step(job_id: str, run_number: int, index: int,
                        keyframes: list[ArtifactKey]) -> SegmentRecord | None:
    """Segment ``index`` made by another job of the variant set, or None when this job
    makes it (or is of no set)."""
    ctx = JobContext(job_id, run_number)
    scope = scope_of(ctx)
    if scope is None:
        return None
    item = f"seg_{index:02d}"
    name = f"segments/{item}.shared.r{run_number}.mp4"
    found = acquire(ctx, scope, "segment", item, segment_key(ctx, index, keyframes), name)
    if found is None:
        return None
    credits = discount(ctx, "generation", "segment", item, found.owner)
    remember(ctx, "generation", item, 0, found.artifact, found.verdict,
             [ctx.path(ctx.output(AgentsOutput).script_file),
              *(ctx.path(k) for k in keyframes)])
    _reused_event(ctx, "generation", item, found, credits)
    ctx.event("segment_completed", stage="generation", message=f"segment {index} ready",
              data={"index": index, "artifact": found.artifact}, dedupe=f"seg{index}")
    now = utcnow()
    return SegmentRecord(item=item, index=index, artifact=found.artifact, qa=found.verdict,
                         attempts=0, reused=True, started_at=now, finished_at=now)


@DBOS.step()
def publish_segment_step(job_id: str, run_number: int, index: int,
                         keyframes: list[ArtifactKey], record: SegmentRecord) -> None:
    """This job made segment ``index`` and it passed QA: the set's other jobs may reuse it."""
    ctx = JobContext(job_id, run_number)
    scope = scope_of(ctx)
    if scope is None or record.reused:
        return
    _publish(ctx, scope, segment_key(ctx, index, keyframes), record)


def _publish(ctx: JobContext, scope: Scope, content_key: str, record: ItemRecord) -> None:
    artifact = ArtifactKey(record.artifact)
    with session_scope(ctx.settings) as s:
        vs_store.publish(s, account_id=scope.account_id, scope=scope.set_id,
                         content_key=content_key, job_id=ctx.job_id, artifact=artifact,
                         sha256=file_sha256(ctx.path(artifact)),
                         verdict=record.qa.to_dict())
