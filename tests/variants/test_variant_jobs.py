"""A variant set's jobs all complete, and what they share is made and paid once."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from ugen import service
from ugen.core.config import Settings
from ugen.core.estimate import Estimate, estimate
from ugen.core.schemas import JobOptions, options_from_params
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline.worker import start_worker
from ugen.service import variant_sets as variants
from ugen.store import variant_sets as vs_store
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction, Job, ProviderCall

HOOKS = ("Tired of dull skin every single morning?", "This serum changed my whole routine!")
BODIES = ("Three drops and my skin glows all day long.",)
CTAS = ("Tap the link and grab yours today.", "Order now while the price lasts.")


def wait_set(settings: Settings, set_id: str, account: str,
             timeout: float = 600.0) -> variants.VariantSetView:
    deadline = time.monotonic() + timeout
    while True:
        view = variants.variant_set_view(settings, set_id, account)
        if all(v.status in TERMINAL_STATUSES for v in view.variants):
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.3)


def test_two_by_one_by_two_set_completes_and_pays_shared_items_once(
        settings: Settings, product_image: Path) -> None:
    account = service.ensure_default_account(settings)
    # All four jobs at once (the encodes still queue for the media slot).
    settings = settings.model_copy(update={"worker_concurrency": 4})
    start_worker(settings)
    base = JobOptions(product_name="Glow Serum", video_model="kling3_std",
                      segment_duration=3, aspect_ratio="1:1", music_enabled=False)
    lines = variants.Lines(HOOKS, BODIES, CTAS, ())
    set_id, created = variants.create_set(settings, account_id=account, base=base,
                                          lines=lines, image=product_image)
    assert created
    view = wait_set(settings, set_id, account)
    assert [v.status for v in view.variants] == ["completed"] * 4
    assert [(v.hook, v.cta) for v in view.variants] == [
        (HOOKS[0], CTAS[0]), (HOOKS[0], CTAS[1]), (HOOKS[1], CTAS[0]), (HOOKS[1], CTAS[1])]
    jobs = [v.job_id for v in view.variants]
    with session_scope(settings) as s:
        calls = list(s.scalars(select(ProviderCall).where(ProviderCall.job_id.in_(jobs))))
        items = vs_store.items_of_set(s, set_id)
        consumed = {t.job_id: t.amount for t in s.scalars(select(CreditTransaction).where(
            CreditTransaction.job_id.in_(jobs), CreditTransaction.type == "consume"))}
    reused: dict[str, set[str]] = {j: set() for j in jobs}
    saved: dict[str, int] = {j: 0 for j in jobs}
    with session_scope(settings) as s:
        for j in jobs:
            job = s.get(Job, j)
            assert job is not None
            for line in Estimate.from_dict(dict(job.estimate)).lines:
                if line.component == "shared_reuse":
                    reused[j].add(line.note.split()[0])
                    saved[j] -= line.credits
    independent = {j: estimate(options_from_params(s_.params)).total
                   for j, s_ in _jobs(settings, jobs).items()}
    # Every shared item was made by one job: no job called a provider for an item it reused.
    for j in jobs:
        assert not {c.item for c in calls if c.job_id == j
                    and c.capability in ("keyframe", "video")} & reused[j]
    assert sum(i.reuses for i in items) == sum(len(r) for r in reused.values())
    # The offline script agent plans the same shots for every script of the set: every
    # keyframe is made once for the four; segment 0 once per hook, 1 once (one body), 2 once
    # per CTA. Everything else is reused, whichever job claimed each item first.
    makers = {item: sum(1 for j in jobs if item not in reused[j])
              for item in ("kf_00", "kf_01", "kf_02", "kf_03", "seg_00", "seg_01", "seg_02")}
    assert makers == {"kf_00": 1, "kf_01": 1, "kf_02": 1, "kf_03": 1, "seg_00": 2,
                      "seg_01": 1, "seg_02": 2}, reused
    keyframes = [c for c in calls if c.capability == "keyframe"]
    videos = [c for c in calls if c.capability == "video"]
    assert len(videos) == 5  # independent jobs: 12 renders
    assert len({(c.job_id, c.item) for c in keyframes}) == 4  # independent jobs: 16 images
    # Charged once: each job consumed its independent price less what it reused.
    for j in jobs:
        assert -consumed[j] == independent[j] - saved[j]
    assert sum(saved.values()) > 0
    assert view.credits_consumed == sum(-c for c in consumed.values())


def _jobs(settings: Settings, jobs: list[str]) -> dict[str, Job]:
    with session_scope(settings) as s:
        return {j: s.get(Job, j) for j in jobs}  # type: ignore[misc]
