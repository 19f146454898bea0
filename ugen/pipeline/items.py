"""Keyframes and segments kept across runs: every attempt is recorded with its QA verdict and
what it was made from, so a retry reuses what still passes instead of paying for it again.

An earlier attempt is reused when it was made from the very same inputs (the same script,
product image, anchor or keyframe pair, by their SHA-256), its file is unchanged, and its
score passes the job's ``qai_mode`` now: a retry with a more lenient mode accepts attempts a
stricter one rejected, and one with a stricter mode makes again what no longer passes.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from ugen.core.types import StageName
from ugen.pipeline.context import JobContext
from ugen.qa.base import QaVerdict, threshold_for
from ugen.store import items as item_store
from ugen.store.artifacts import ArtifactKey
from ugen.store.db import session_scope


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(inputs: list[Path]) -> str:
    """One digest of what an item is made from (in order)."""
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(file_sha256(path).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def remember(ctx: JobContext, stage: StageName, item: str, attempt: int, key: ArtifactKey,
             verdict: QaVerdict, inputs: list[Path]) -> None:
    """Record a judged attempt at ``item`` (idempotent)."""
    record = item_store.ItemAttempt(
        stage=stage, item=item, run_number=ctx.run_number, attempt=attempt, artifact=key,
        sha256=file_sha256(ctx.path(key)), inputs=fingerprint(inputs),
        verdict=verdict.to_dict())
    with session_scope(ctx.settings) as s:
        item_store.record_attempt(s, ctx.job_id, record)


def reuse(ctx: JobContext, stage: StageName, item: str,
          inputs: list[Path]) -> tuple[ArtifactKey, QaVerdict, int] | None:
    """An earlier run's attempt at ``item`` that passes now, as (artifact key, verdict under
    the current mode, run it came from); None when there is none."""
    if ctx.run_number <= 1:
        return None
    threshold = threshold_for(ctx.options.qai_mode)
    made_from = fingerprint(inputs)
    with session_scope(ctx.settings) as s:
        candidates = item_store.reuse_candidates(s, ctx.job_id, item, inputs=made_from,
                                                 before_run=ctx.run_number,
                                                 min_score=threshold)
        found = [(c.id, ArtifactKey(c.artifact), c.sha256, c.run_number,
                  QaVerdict.from_dict(c.verdict)) for c in candidates]
    for row_id, key, sha, run, earlier in found:
        path = ctx.path(key)
        if not path.is_file() or file_sha256(path) != sha:
            continue  # overwritten by a later attempt
        verdict = replace(earlier, threshold=threshold, passed=True)
        with session_scope(ctx.settings) as s:
            item_store.record_attempt(s, ctx.job_id, item_store.ItemAttempt(
                stage=stage, item=item, run_number=ctx.run_number, attempt=0, artifact=key,
                sha256=sha, inputs=made_from, verdict=verdict.to_dict(), reused_from=row_id))
        ctx.event("item_reused", stage=stage,
                  message=f"{item} reused from run {run} (QA {verdict.score:.2f} "
                          f">= {threshold:.2f}); nothing paid again",
                  data={"item": item, "artifact": key, "from_run": run, **verdict.to_dict()},
                  dedupe=f"reuse:{item}")
        return key, verdict, run
    return None
