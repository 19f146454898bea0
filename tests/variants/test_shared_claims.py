"""Two jobs of a set needing the same item at the same moment: one makes it, once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ugen import service
from ugen.core.config import Settings
from ugen.core.estimate import Estimate
from ugen.core.schemas import JobOptions
from ugen.pipeline.context import JobContext
from ugen.pipeline.items import file_sha256
from ugen.pipeline.shared_items import Reused, acquire, discount, scope_of
from ugen.pipeline.state import cancel_job_state
from ugen.service import variant_sets as variants
from ugen.store import jobs as job_store
from ugen.store import variant_sets as vs_store
from ugen.store.db import session_scope

LINES = variants.Lines(("Tired of dull skin every morning?",),
                       ("Three drops and my skin glows all day.",),
                       ("Tap the link and grab yours.", "Order now while it lasts."), ())


def make_set(settings: Settings, image: Path) -> tuple[str, list[str]]:
    account = service.ensure_default_account(settings)
    base = JobOptions(product_name="Glow Serum", video_model="kling3_std",
                      segment_duration=3, aspect_ratio="9:16")
    set_id, _ = variants.create_set(settings, account_id=account, base=base, lines=LINES,
                                    image=image)
    with session_scope(settings) as s:
        jobs = [j.job_id for j in vs_store.set_jobs(s, set_id)]
    return set_id, jobs


def test_concurrent_needs_make_one_call_and_the_other_reuses(
        settings: Settings, product_image: Path, tmp_path: Path) -> None:
    set_id, jobs = make_set(settings, product_image)
    made = tmp_path / "seg.mp4"
    made.write_bytes(b"segment bytes")
    calls: list[str] = []
    results: dict[str, Reused | None] = {}
    barrier = threading.Barrier(2)

    def need(job_id: str) -> None:
        ctx = JobContext(job_id, 1)
        scope = scope_of(ctx)
        assert scope is not None and scope.set_id == set_id
        barrier.wait()
        found = acquire(ctx, scope, "segment", "seg_00", "k" * 64, "segments/seg_00.x.mp4")
        results[job_id] = found
        if found is None:  # this job holds the claim: it "calls the provider" once
            calls.append(job_id)
            key = ctx.store.put_file(ctx.key("segments/seg_00.mp4"), made)
            with session_scope(settings) as s:
                vs_store.publish(s, account_id=scope.account_id, scope=scope.set_id,
                                 content_key="k" * 64, job_id=job_id, artifact=key,
                                 sha256=file_sha256(made),
                                 verdict={"passed": True, "score": 0.9, "threshold": 0.5})

    threads = [threading.Thread(target=need, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1
    other = next(j for j in jobs if j not in calls)
    reused = results[other]
    assert reused is not None and reused.owner == calls[0]
    assert JobContext(other, 1).path(reused.artifact).read_bytes() == b"segment bytes"
    with session_scope(settings) as s:
        rows = vs_store.items_of_set(s, set_id)
    assert [(r.item, r.status, r.owner_job_id, r.reuses) for r in rows] == [
        ("seg_00", "ready", calls[0], 1)]


def test_a_claim_of_a_job_that_ended_is_taken_over(settings: Settings,
                                                   product_image: Path) -> None:
    _, (first, second) = make_set(settings, product_image)
    ctx1, ctx2 = JobContext(first, 1), JobContext(second, 1)
    scope = scope_of(ctx1)
    assert scope is not None
    assert acquire(ctx1, scope, "keyframe", "kf_01", "a" * 64, "keyframes/x.png") is None
    cancel_job_state(first, reason="test")  # it ends without making the item
    assert acquire(ctx2, scope, "keyframe", "kf_01", "a" * 64, "keyframes/x.png") is None
    with session_scope(settings) as s:
        row = vs_store.get_item(s, scope.account_id, scope.set_id, "a" * 64)
        assert row is not None and row.owner_job_id == second and row.status == "claimed"


def test_a_reuse_takes_the_item_price_off_the_estimate_once(settings: Settings,
                                                            product_image: Path) -> None:
    _, (first, second) = make_set(settings, product_image)
    ctx = JobContext(second, 1)
    with session_scope(settings) as s:
        before = Estimate.from_dict(dict(job_store.get_job(s, second).estimate))  # type: ignore[union-attr]
    video = next(ln for ln in before.lines if ln.component == "video_model")
    saved = discount(ctx, "generation", "segment", "seg_00", first)
    assert saved == video.unit_credits * 3  # per second, 3 s segments
    assert discount(ctx, "generation", "segment", "seg_00", first) == 0  # once per item
    assert discount(ctx, "generation", "segment", "seg_01", second) == 0  # its own
    with session_scope(settings) as s:
        after = Estimate.from_dict(dict(job_store.get_job(s, second).estimate))  # type: ignore[union-attr]
    assert after.total == before.total - saved
    assert after.by_stage()["generation"] == before.by_stage()["generation"] - saved


@pytest.mark.parametrize("field", ["hooks", "bodies", "ctas"])
def test_plan_refuses_lines_that_do_not_split_into_scenes(settings: Settings,
                                                          field: str) -> None:
    long = " ".join(["word"] * 40) + "."
    lines = {"hooks": ("Hi.",), "bodies": ("Body line here.",), "ctas": ("Buy now.",)}
    lines[field] = (long,)
    base = JobOptions(product_name="Glow Serum", video_model="kling3_std",
                      segment_duration=3, aspect_ratio="9:16")
    with pytest.raises(variants.VariantSetError, match="one scene per line"):
        variants.plan_set(settings, base, variants.Lines(lines["hooks"], lines["bodies"],
                                                         lines["ctas"], ()))


def test_a_step_run_again_after_a_crash_keeps_its_claim(settings: Settings,
                                                        product_image: Path) -> None:
    set_id, (first, _) = make_set(settings, product_image)
    ctx = JobContext(first, 1)
    scope = scope_of(ctx)
    assert scope is not None
    assert acquire(ctx, scope, "segment", "seg_02", "c" * 64, "segments/x.mp4") is None
    # The worker died before the render: the recovered step claims again and gets it.
    again = JobContext(first, 1)
    assert acquire(again, scope, "segment", "seg_02", "c" * 64, "segments/x.mp4") is None
    with session_scope(settings) as s:
        rows = vs_store.items_of_set(s, set_id)
    assert [(r.owner_job_id, r.status) for r in rows] == [(first, "claimed")]
    # A job of no set is untouched.
    assert scope_of(JobContext("no-such-job", 1)) is None
