"""Benchmark: an ad-variant matrix against as many independent jobs.

A 3 x 2 x 2 matrix (3 hooks, 2 bodies, 2 CTAs: 12 ads) of one product runs as a variant set
and then as 12 independent jobs of the same combinations (the same scripts, seed, persona and
model), on the offline ``local`` providers with an in-process worker and SQLite. Both run to
the end of the ``audio`` stage (every provider call of a job is made by then: script, images,
video, speech; the captions and the final encode are the same work for both) with 3-second
segments. Counted from the database: provider calls by kind, and credits (each job's price as
its estimate ends up, i.e. what a finished job is charged, and what was consumed to `audio`).

    .venv/bin/python benchmarks/variants.py

Prints a table; the last line is one JSON object with ``calls_ratio`` and ``credits_ratio``
(variant set / independent).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOOKS = ("Tired of dull skin every single morning?", "This serum changed my whole routine!",
         "Nobody told me skincare could be this easy.")
BODIES = ("Three drops and my skin glows all day long.",
          "It sinks in fast and never feels sticky.")
CTAS = ("Tap the link and grab yours today.", "Order now while the price lasts.")
KINDS = {"script": "script", "keyframe": "image", "video": "video"}


def kind_of(capability: str) -> str:
    if capability in KINDS:
        return KINDS[capability]
    if capability.startswith(("voice", "speech", "tts")):
        return "speech"
    return capability


def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="ugen-variants-"))
    os.environ["UGEN_DATA_DIR"] = str(data)
    os.environ.setdefault("UGEN_VIDEO_POLL_INTERVAL_S", "0.1")
    for name in [n for n in os.environ if n.startswith("UGEN_") and "KEY" in n]:
        del os.environ[name]  # offline: the local providers

    from sqlalchemy import select

    from tests.utils.images import product_png
    from ugen import service
    from ugen.core.config import get_settings
    from ugen.core.estimate import Estimate
    from ugen.core.schemas import JobOptions
    from ugen.core.types import TERMINAL_STATUSES
    from ugen.pipeline.worker import start_worker
    from ugen.service import variant_sets as variants
    from ugen.store.db import migrate, session_scope
    from ugen.store.models import Job, ProviderCall

    settings = get_settings()
    migrate(settings)
    image = product_png(data / "product.png")
    account = service.ensure_default_account(settings)
    from ugen.store import ledger

    with session_scope(settings) as s:
        ledger.grant(s, account, 100_000, description="benchmark")
    start_worker(settings)
    base = JobOptions(product_name="Glow Serum", video_model="kling3_std", segment_duration=3,
                      aspect_ratio="1:1", music_enabled=False, stop_at_stage="audio", seed=7)
    lines = variants.Lines(HOOKS, BODIES, CTAS, ())

    def wait(job_ids: list[str]) -> float:
        start = time.monotonic()
        while True:
            with session_scope(settings) as s:
                statuses = [s.get(Job, j).status for j in job_ids]  # type: ignore[union-attr]
            if all(x in TERMINAL_STATUSES for x in statuses):
                bad = [x for x in statuses if x not in ("completed", "stopped")]
                if bad:
                    raise SystemExit(f"jobs ended {bad}")
                return time.monotonic() - start
            time.sleep(0.5)

    t0 = time.monotonic()
    set_id, _ = variants.create_set(settings, account_id=account, base=base, lines=lines,
                                    image=image)
    view = variants.variant_set_view(settings, set_id, account)
    set_jobs = [v.job_id for v in view.variants]
    wait(set_jobs)
    set_wall = time.monotonic() - t0

    plan = variants.plan_set(settings, base.model_copy(update={"seed": 7}), lines)
    t0 = time.monotonic()
    solo_jobs = [service.submit_job(settings, account_id=account, options=o, image=image).id
                 for o in plan.options]
    wait(solo_jobs)
    solo_wall = time.monotonic() - t0

    def figures(job_ids: list[str]) -> tuple[Counter[str], int, int]:
        with session_scope(settings) as s:
            calls = Counter(kind_of(c.capability) for c in s.scalars(
                select(ProviderCall).where(ProviderCall.job_id.in_(job_ids))))
            jobs = [s.get(Job, j) for j in job_ids]
            price = sum(Estimate.from_dict(dict(j.estimate)).total for j in jobs if j)
            consumed = sum(j.credits_consumed for j in jobs if j)
        return calls, price, consumed

    set_calls, set_price, set_used = figures(set_jobs)
    solo_calls, solo_price, solo_used = figures(solo_jobs)
    kinds = ["script", "image", "video", "speech"]
    rows = [(k, set_calls.get(k, 0), solo_calls.get(k, 0)) for k in kinds]
    rows.append(("all calls", sum(set_calls.values()), sum(solo_calls.values())))
    rows.append(("credits (job price)", set_price, solo_price))
    rows.append(("credits consumed to audio", set_used, solo_used))
    rows.append(("wall s", round(set_wall), round(solo_wall)))
    print(f"3 hooks x 2 bodies x 2 CTAs = {len(set_jobs)} ads, local providers, 3 s segments")
    print(f"{'':28}{'variant set':>12}{'independent':>13}{'ratio':>8}")
    for name, a, b in rows:
        ratio = f"{a / b:.2f}" if b else "-"
        print(f"{name:28}{a:>12}{b:>13}{ratio:>8}")
    print(f"estimate: {view.estimate.total} credits for the set, "
          f"{view.estimate.independent_total} independent "
          f"(saving {view.estimate.saving_percent} %, conservative)")
    print(json.dumps({
        "ads": len(set_jobs),
        "calls": {"variant_set": dict(set_calls), "independent": dict(solo_calls)},
        "credits": {"variant_set": set_price, "independent": solo_price,
                    "estimate": view.estimate.total},
        "calls_ratio": round(sum(set_calls.values()) / sum(solo_calls.values()), 3),
        "credits_ratio": round(set_price / solo_price, 3),
    }))


if __name__ == "__main__":
    main()
