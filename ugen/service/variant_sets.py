"""Ad-variant matrices: one product, lists of hooks, bodies and calls to action, and a job
for every combination (times each aspect ratio asked for).

Each job's script is its own three lines as a custom script, one scene each (hook, body,
CTA), and every job of the set runs with the same seed, so the keyframes and segments two
combinations have in common are the same provider requests: the pipeline
(:mod:`ugen.pipeline.shared_items`) buys each of them once for the set. The estimate prices
each combination as the set makes it (what an earlier combination buys is not paid again)
and shows the saving against as many independent jobs.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from ugen.core.config import Settings
from ugen.core.estimate import Estimate, estimate
from ugen.core.schemas import JobOptions
from ugen.pipeline import runtime
from ugen.pipeline.prepare import check_product_image, prepare_job, with_fresh_choices
from ugen.pipeline.shared_items import item_price
from ugen.pipeline.workflow import workflow_id_for
from ugen.providers.base import PermanentProviderError
from ugen.providers.local.script_agent import max_words, split_custom_script
from ugen.service.jobs import check_account_options, job_inputs, queue_first_run
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store import variant_sets as vs_store
from ugen.store.db import session_scope
from ugen.store.limits import JobLimits, admit_job

SCENES = 3
"""Hook, body and call to action: one segment each."""
_SENTENCE_END = (".", "!", "?", "…")


class VariantSetError(ValueError):
    """The lines make no variant set (HTTP 422); ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class VariantSetNotFoundError(LookupError):
    pass


class VariantSetConflictError(Exception):
    """The ``idempotency_key`` was used before with a different request (HTTP 409)."""

    def __init__(self, set_id: str) -> None:
        super().__init__("idempotency_key was already used with different parameters")
        self.set_id = set_id


@dataclass(frozen=True)
class Lines:
    hooks: tuple[str, ...]
    bodies: tuple[str, ...]
    ctas: tuple[str, ...]
    aspect_ratios: tuple[str, ...]

    def combinations(self) -> list[vs_store.Combination]:
        """Every combination, aspect ratio first, then hook, body, CTA (the set's order)."""
        found = itertools.product(range(len(self.aspect_ratios)), range(len(self.hooks)),
                                  range(len(self.bodies)), range(len(self.ctas)))
        return [vs_store.Combination(position=i, hook=h, body=b, cta=c,
                                     aspect_ratio=self.aspect_ratios[a])
                for i, (a, h, b, c) in enumerate(found)]


def sentence(line: str) -> str:
    """A line as one spoken sentence (a full stop added where it has no end mark)."""
    text = " ".join(line.split())
    return text if text.endswith(_SENTENCE_END) else f"{text}."


def compose_script(lines: Lines, combo: vs_store.Combination) -> str:
    return " ".join(sentence(x) for x in (lines.hooks[combo.hook], lines.bodies[combo.body],
                                          lines.ctas[combo.cta]))


# --- estimate ---------------------------------------------------------------------------------

class VariantPrice(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    hook: int
    body: int
    cta: int
    aspect_ratio: str
    credits: int
    """What this combination costs in the set (items an earlier one buys are not paid)."""
    independent_credits: int
    """What it would cost as a job of its own."""


class SetEstimate(BaseModel):
    model_config = ConfigDict(frozen=True)

    variants: tuple[VariantPrice, ...]
    total: int
    independent_total: int
    saving: int
    saving_percent: float


def _shared_items(combo: vs_store.Combination) -> list[tuple[str, tuple[object, ...]]]:
    """The items a combination's keyframes and segments are made of, each by what decides
    it: keyframe i closes scene i-1 (the anchor and keyframe 1 the hook's), segment i is
    scene i between its keyframes. A conservative model: the content keys of the pipeline
    may find more in common (e.g. the same shots under different hooks)."""
    ar, h, b, c = combo.aspect_ratio, combo.hook, combo.body, combo.cta
    return [("keyframe", (0, ar, h)), ("keyframe", (1, ar, h)), ("segment", (0, ar, h)),
            ("keyframe", (2, ar, h, b)), ("segment", (1, ar, h, b)),
            ("keyframe", (3, ar, h, b, c)), ("segment", (2, ar, h, b, c))]


def estimate_set(options: list[JobOptions], combos: list[vs_store.Combination]) -> SetEstimate:
    """Price each combination as the set makes it, against independent jobs."""
    seen: set[tuple[str, tuple[object, ...]]] = set()
    prices: list[VariantPrice] = []
    for opts, combo in zip(options, combos, strict=True):
        cost = estimate(opts)
        saved = 0
        for found in _shared_items(combo):
            if found in seen:
                saved += item_price(cost, found[0], opts.effective_segment_duration)
            seen.add(found)
        prices.append(VariantPrice(position=combo.position, hook=combo.hook, body=combo.body,
                                   cta=combo.cta, aspect_ratio=combo.aspect_ratio,
                                   credits=cost.total - saved, independent_credits=cost.total))
    total = sum(p.credits for p in prices)
    independent = sum(p.independent_credits for p in prices)
    saving = independent - total
    return SetEstimate(variants=tuple(prices), total=total, independent_total=independent,
                       saving=saving,
                       saving_percent=round(100.0 * saving / independent, 1) if independent
                       else 0.0)


@dataclass(frozen=True)
class Plan:
    lines: Lines
    combos: list[vs_store.Combination]
    options: list[JobOptions]
    estimate: SetEstimate


def plan_set(settings: Settings, base: JobOptions, lines: Lines) -> Plan:
    """Every combination's job options (one seed and persona for all), checked, and the
    set's estimate.

    Raises:
        VariantSetError: too many combinations, or lines that make no job.
    """
    if base.human_review_max_rejections > 0:
        raise VariantSetError(
            "human_review_max_rejections", "human review is for single jobs: a variant "
            "set's keyframes are made once for several ads; review a job made alone")
    aspect_ratios = lines.aspect_ratios or (base.aspect_ratio,)
    lines = Lines(lines.hooks, lines.bodies, lines.ctas, aspect_ratios)
    count = len(lines.hooks) * len(lines.bodies) * len(lines.ctas) * len(aspect_ratios)
    limit = settings.variant_max_combinations
    if count > limit:
        raise VariantSetError(
            "hooks", f"{len(lines.hooks)} hooks x {len(lines.bodies)} bodies x "
                     f"{len(lines.ctas)} CTAs x {len(aspect_ratios)} aspect ratios make "
                     f"{count} combinations; a variant set makes at most {limit}")
    # What a job leaves to chance (seed, persona) is decided once for the whole set.
    base = with_fresh_choices(base)
    combos = lines.combinations()
    options: list[JobOptions] = []
    for combo in combos:
        script = compose_script(lines, combo)
        try:
            opts = JobOptions.model_validate({
                **base.model_dump(exclude={"idempotency_key"}),
                "segment_count": SCENES, "custom_script": script,
                "aspect_ratio": combo.aspect_ratio})
        except ValidationError as err:
            first = err.errors()[0]
            raise VariantSetError(".".join(map(str, first["loc"])) or "aspect_ratios",
                                  f"combination {combo.position + 1}: {first['msg']}") from None
        _check_scenes(opts, script, lines, combo)
        options.append(opts)
    return Plan(lines, combos, options, estimate_set(options, combos))


def _check_scenes(opts: JobOptions, script: str, lines: Lines,
                  combo: vs_store.Combination) -> None:
    """The script splits into exactly its hook, body and CTA (one scene each), as the
    script agent splits a custom script; otherwise scenes would not be shared."""
    wanted = [sentence(lines.hooks[combo.hook]), sentence(lines.bodies[combo.body]),
              sentence(lines.ctas[combo.cta])]
    try:
        got = split_custom_script(script, SCENES, max_words(opts.effective_segment_duration))
    except PermanentProviderError as err:
        raise VariantSetError("hooks", f"combination {combo.position + 1}: {err}") from None
    if got != wanted:
        raise VariantSetError(
            "bodies", f"combination {combo.position + 1} does not split into one scene per "
                      f"line ({' | '.join(got)}); make the hook, body and CTA closer in "
                      "length, or shorter for the segment duration")


# --- create -----------------------------------------------------------------------------------

def _create_job(settings: Settings, account_id: str, set_id: str, combo: vs_store.Combination,
                options: JobOptions, image: Path) -> None:
    """One job of the set: created, known to the set and queued in one transaction."""
    job_id = str(uuid.uuid4())

    def queue(session: Session, job_id: str) -> None:
        vs_store.add_job(session, set_id, combo, job_id)
        queue_first_run(session, job_id, options)

    prepare_job(settings, account_id=account_id, options=options, image=image,
                job_id=job_id, workflow_id=workflow_id_for(job_id, 1),
                inputs=job_inputs(settings, account_id, options), queue=queue)


def _existing(settings: Settings, account_id: str, key: str | None,
              request_hash: str | None) -> str | None:
    if key is None:
        return None
    with session_scope(settings) as s:
        found = vs_store.find_by_idempotency_key(s, account_id, key)
        if found is None:
            return None
        if found.request_hash != request_hash:
            raise VariantSetConflictError(found.id)
        return found.id


def create_set(settings: Settings, *, account_id: str, base: JobOptions, lines: Lines,
               image: Path, idempotency_key: str | None = None,
               request_hash: str | None = None,
               limits: JobLimits | None = None) -> tuple[str, bool]:
    """Plan, reserve and queue every combination's job; return ``(set_id, created)``
    (``created`` False: the set of a repeated ``idempotency_key``).

    Raises:
        VariantSetError, VariantSetConflictError, ledger.InsufficientCreditsError (the
        account cannot reserve every job at its independent price), JobValidationError,
        JobLimitError (``limits``: the set needs one free concurrent slot and room for
        all its jobs in the daily limit).
    """
    if (found := _existing(settings, account_id, idempotency_key, request_hash)) is not None:
        return found, False
    plan = plan_set(settings, base, lines)
    check_product_image(image, settings)  # before the set exists: no empty set is left
    check_account_options(settings, account_id, base)
    reserve = sum(estimate(o).total for o in plan.options)
    set_id = str(uuid.uuid4())
    with session_scope(settings) as s:
        if limits is not None:
            admit_job(s, account_id, limits, jobs=len(plan.options))
        available = ledger.balance(s, account_id).available_credits
        if available < reserve:
            raise ledger.InsufficientCreditsError(reserve, available)
        row = vs_store.VariantSet(
            id=set_id, account_id=account_id, product_name=base.product_name,
            params=plan.options[0].model_dump(mode="json", exclude={"custom_script"}),
            lines={"hooks": list(plan.lines.hooks), "bodies": list(plan.lines.bodies),
                   "ctas": list(plan.lines.ctas),
                   "aspect_ratios": list(plan.lines.aspect_ratios)},
            estimate=plan.estimate.model_dump(mode="json"),
            idempotency_key=idempotency_key, request_hash=request_hash)
        added = vs_store.add_set(s, row)
    if not added:  # a concurrent request with the same key won
        winner = _existing(settings, account_id, idempotency_key, request_hash)
        assert winner is not None
        return winner, False
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    for combo, opts in zip(plan.combos, plan.options, strict=True):
        _create_job(settings, account_id, set_id, combo, opts, image)
    return set_id, True


# --- read -------------------------------------------------------------------------------------

class VariantView(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: int
    hook: str
    body: str
    cta: str
    aspect_ratio: str
    job_id: str
    status: str
    progress_percent: int
    estimated_credits: int
    credits_consumed: int
    items_reused: int
    """Keyframes and segments this job took from another job of the set."""


class VariantSetView(BaseModel):
    model_config = ConfigDict(frozen=True)

    variant_set_id: str
    product_name: str
    status: str
    """``completed`` when every job completed, ``failed`` when any failed and none runs,
    ``running`` otherwise."""
    created_at: datetime
    hooks: tuple[str, ...]
    bodies: tuple[str, ...]
    ctas: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    estimate: SetEstimate
    variants: tuple[VariantView, ...]
    credits_consumed: int
    shared_items: int
    """Keyframes and segments made once and reused by another job of the set."""
    items_reused: int


def _status(statuses: list[str]) -> str:
    if statuses and all(s == "completed" for s in statuses):
        return "completed"
    if any(s in ("queued", "running", "awaiting_review") for s in statuses):
        return "running"
    return "failed" if any(s == "failed" for s in statuses) else "finished"


def _view(s: Session, row: vs_store.VariantSet) -> VariantSetView:
    est = SetEstimate.model_validate(row.estimate)
    prices = {p.position: p.credits for p in est.variants}
    lines = row.lines
    variants = []
    for vj in vs_store.set_jobs(s, row.id):
        job = job_store.get_job(s, vj.job_id)
        reused = sum(1 for ln in Estimate.from_dict(dict(job.estimate)).lines
                     if ln.component == "shared_reuse") if job else 0
        variants.append(VariantView(
            position=vj.position, hook=lines["hooks"][vj.hook], body=lines["bodies"][vj.body],
            cta=lines["ctas"][vj.cta], aspect_ratio=vj.aspect_ratio, job_id=vj.job_id,
            status=job.status if job else "deleted",
            progress_percent=job.progress_percent if job else 0,
            estimated_credits=prices.get(vj.position, 0),
            credits_consumed=job.credits_consumed if job else 0, items_reused=reused))
    items = vs_store.items_of_set(s, row.id)
    created = row.created_at
    return VariantSetView(
        variant_set_id=row.id, product_name=row.product_name,
        status=_status([v.status for v in variants]), created_at=created,
        hooks=tuple(lines["hooks"]), bodies=tuple(lines["bodies"]), ctas=tuple(lines["ctas"]),
        aspect_ratios=tuple(lines["aspect_ratios"]), estimate=est, variants=tuple(variants),
        credits_consumed=sum(v.credits_consumed for v in variants),
        shared_items=sum(1 for i in items if i.reuses > 0),
        items_reused=sum(i.reuses for i in items))


def variant_set_view(settings: Settings, set_id: str, account_id: str) -> VariantSetView:
    """Raises: VariantSetNotFoundError: no such set, or another account's."""
    with session_scope(settings) as s:
        row = vs_store.get_set(s, set_id)
        if row is None or row.account_id != account_id:
            raise VariantSetNotFoundError(set_id)
        return _view(s, row)


def list_variant_sets(settings: Settings, account_id: str, *, page: int = 1,
                      page_size: int = 20) -> tuple[list[VariantSetView], int]:
    with session_scope(settings) as s:
        rows, total = vs_store.list_sets(s, account_id, offset=(page - 1) * page_size,
                                         limit=page_size)
        return [_view(s, r) for r in rows], total
