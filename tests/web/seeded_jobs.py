"""Jobs written straight into the store, shaped as the pipeline writes them: every stage's
typed outputs, every keyframe and segment attempt with its QA verdict (one keyframe rejected
once), the event log, and (optionally) small real files for the media.

The dashboard's tests and ``benchmarks/dashboard.py`` use them to show a finished
10-segment job, a failed one and a thousand jobs without making any media.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import insert

from ugen.core.config import Settings
from ugen.core.estimate import estimate
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES, StageName
from ugen.media.concat import ConcatPlan, SegmentPlan
from ugen.media.loudness import Loudness
from ugen.pipeline.errors import StageError
from ugen.pipeline.outputs import (
    AgentsOutput,
    AudioOutput,
    CaptionsOutput,
    CompleteOutput,
    ConcatOutput,
    ContentCredentials,
    GenerationOutput,
    ImageInfo,
    InitOutput,
    ItemRecord,
    JoinPlan,
    LanguageChoice,
    PrepareOutput,
    SegmentRecord,
    StageOutput,
)
from ugen.providers.base import KeyframeShot, Script, ScriptLine, WordTiming
from ugen.qa.base import QaVerdict
from ugen.store import items as item_store
from ugen.store import jobs as job_store
from ugen.store.artifacts import ArtifactKey, LocalArtifactStore
from ugen.store.db import session_scope
from ugen.store.models import Job, JobStage, WebhookDelivery, utcnow

PHASES = ("hook", "problem", "demo", "benefit", "cta")
LINE = "This serum made my skin glow in two weeks, honestly"
REJECTED = "kf_02"
"""The keyframe whose first attempt QA rejected."""


@dataclass(frozen=True)
class SeededJob:
    job_id: str
    options: JobOptions
    outputs: dict[StageName, StageOutput]


TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

def _verdict(score: float, *, categories: tuple[str, ...] = (),
             reasons: tuple[str, ...] = ()) -> QaVerdict:
    return QaVerdict(score=score, passed=score >= 0.55, threshold=0.55, categories=categories,
                     checks={"sharpness": score, "product": 1.0}, reasons=reasons)


def _outputs(job_id: str, options: JobOptions, t0: datetime) -> dict[StageName, StageOutput]:
    """What each stage of a finished job made (keys only), with streaming-overlap times:
    keyframes two at a time, ~6 s each; a segment starts once both its keyframes exist and
    takes ~20 s."""
    n = options.segment_count

    def key(name: str) -> ArtifactKey:
        return ArtifactKey(f"{job_id}/{name}")

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=seconds)

    kf_done = [14.0 + 6.0 * ((i + 1) // 2) for i in range(n + 1)]
    kf_done[0] = 14.0
    script = Script(
        lines=tuple(ScriptLine(i, PHASES[min(i, 4)], f"{LINE} ({i}).",  # type: ignore[arg-type]
                               float(options.effective_segment_duration)) for i in range(n)),
        keyframes=tuple(KeyframeShot(i, "medium close-up", "eye level", "delighted",
                                     "holding the serum", f"Shot {i} of Maya holding the serum")
                        for i in range(n + 1)),
        language="en", segment_prompts=tuple(f"Slow push-in, shot {i}" for i in range(n)))
    keyframes = tuple(
        ItemRecord(item=f"kf_{i:02d}", index=i, artifact=key(f"keyframes/kf_{i:02d}.png"),
                   qa=_verdict(0.91), attempts=2 if f"kf_{i:02d}" == REJECTED else 1,
                   started_at=at(kf_done[i] - 6.0), finished_at=at(kf_done[i]))
        for i in range(1, n + 1))
    segments = tuple(
        SegmentRecord(item=f"seg_{i:02d}", index=i, artifact=key(f"segments/seg_{i:02d}.mp4"),
                      ends=key(f"segments/seg_{i:02d}.ends.npz"), qa=_verdict(0.88),
                      attempts=1, started_at=at(kf_done[i + 1] + 0.3),
                      finished_at=at(kf_done[i + 1] + 20.3))
        for i in range(n))
    frames = options.effective_segment_duration * 30
    plan = ConcatPlan(
        segments=tuple(SegmentPlan(path=Path(f"seg_{i:02d}.mp4"), has_audio=True,
                                   skip_frames=1 if i else 0, skip_s=1 / 30 if i else 0.0,
                                   out_frames=frames - (1 if i else 0),
                                   blend_frames=4 if i % 3 == 2 else 0, pix_fmt="yuv420p",
                                   color_space="bt709") for i in range(n)),
        width=1080, height=1080, fps=30, dropped_boundary_frames=(0,) + (1,) * (n - 1))
    words = tuple(WordTiming(word, round(i * 0.31, 2), round(i * 0.31 + 0.28, 2))
                  for i, word in enumerate(" ".join(line.text for line in script.lines).split()))
    duration = sum(s.out_frames for s in plan.segments) / 30
    return {
        "prepare": PrepareOutput(product_image=key("input/product.png"),
                                 image=ImageInfo(format="PNG", width=1024, height=1024,
                                                 has_alpha=True),
                                 estimate_total=estimate(options).total),
        "agents": AgentsOutput(script_file=key("script.json"), script=script,
                               language_choice=LanguageChoice(source="default")),
        "init": InitOutput(anchor=ItemRecord(item="kf_00", index=0,
                                             artifact=key("keyframes/kf_00.png"),
                                             qa=_verdict(0.95), attempts=1,
                                             started_at=at(2.0), finished_at=at(8.0))),
        "generation": GenerationOutput(keyframes=keyframes, segments=segments),
        "concat": ConcatOutput(plan=JoinPlan.of(plan, [s.artifact for s in segments]),
                               audio=key("concat/audio.wav")),
        "audio": AudioOutput(voice=key("audio/voice.wav"), mix=key("audio/mix.wav"),
                             words_file=key("audio/words.json"),
                             speech_sources=tuple("synthesis" if i == n - 1 else "segment"
                                                  for i in range(n)),
                             words=words, mix_loudness=Loudness(-14.1, -1.4, 5.2)),
        "captions": CaptionsOutput(subtitles=key("captions/captions.ass"), language="en",
                                   alignment="pocketsphinx", words=words),
        "complete": CompleteOutput(
            final_video=key("final.mp4"), thumbnail=key("poster.jpg"), duration_s=duration,
            size_bytes=4_200_000, content_credentials=ContentCredentials(
                manifest="urn:c2pa:seeded", claim_generator="U-Gen/0.1.0",
                digital_source_type=TRAINED, signer="U-Gen installation",
                signed_with="installation",
                validation_state="Valid", untrusted_signer=True)),
    }


def _attempts(outputs: dict[StageName, StageOutput]) -> list[item_store.ItemAttempt]:
    init, gen = outputs["init"], outputs["generation"]
    assert isinstance(init, InitOutput) and isinstance(gen, GenerationOutput)
    found = []
    for stage, record in [("init", init.anchor), *(("generation", r) for r in gen.keyframes),
                          *(("generation", r) for r in gen.segments)]:
        if record.item == REJECTED:
            rejected = _verdict(0.41, categories=("PRODUCT_INTEGRITY",),
                                reasons=("the product's label is unreadable",))
            found.append(item_store.ItemAttempt(
                stage=stage, item=record.item, run_number=1, attempt=0,
                artifact=record.artifact.replace(".png", ".a0.png"), sha256="0" * 64,
                inputs="seed", verdict=rejected.to_dict()))
        found.append(item_store.ItemAttempt(
            stage=stage, item=record.item, run_number=1, attempt=record.attempts - 1,
            artifact=record.artifact, sha256="1" * 64, inputs="seed",
            verdict=record.qa.to_dict()))
    return found


Event = tuple[str, str | None, str, dict[str, Any]]


def _events(outputs: dict[StageName, StageOutput], n: int, fail_at: StageName | None
            ) -> list[Event]:
    events: list[Event] = [("job_created", "prepare", "job created; credits reserved", {}),
                           ("job_started", None, "run 1 started", {})]
    for stage in STAGES[1:]:
        events.append(("stage_started", stage, f"{stage} started", {}))
        if stage == fail_at:
            events.append(("job_failed", stage, f"{stage} failed", {}))
            return events
        if stage == "init":
            events.append(("qa_verdict", "init", "kf_00 passed QA", {"item": "kf_00"}))
        if stage == "generation":
            for i in range(1, n + 1):
                events += [("keyframe_started", stage, f"keyframe {i} started", {"index": i}),
                           ("qa_verdict", stage, f"kf_{i:02d} passed QA", {"index": i}),
                           ("keyframe_completed", stage, f"keyframe {i} done", {"index": i})]
            for i in range(n):
                events += [("segment_submitted", stage, f"segment {i} submitted", {"index": i}),
                           ("segment_rendered", stage, f"segment {i} rendered", {"index": i}),
                           ("qa_verdict", stage, f"seg_{i:02d} passed QA", {"index": i}),
                           ("segment_completed", stage, f"segment {i} done", {"index": i})]
        events.append(("stage_completed", stage, f"{stage} completed",
                       {"outputs": outputs[stage].model_dump(mode="json")}))
    events.append(("job_completed", None, "job completed", {}))
    return events


def seed_job(settings: Settings, account_id: str, *, segments: int = 10,
             product_name: str = "Glow Serum", fail_at: StageName | None = None,
             created_at: datetime | None = None, files: bool = False,
             webhook: bool = False) -> SeededJob:
    """One job of ``segments`` segments of 3 s, finished (or failed at ``fail_at`` with a
    provider's refusal of a keyframe), its stages and attempts and events written as the
    pipeline writes them. ``files``: write small real files for its keyframes and poster;
    ``webhook``: its outcome delivered to a webhook on the second attempt."""
    options = JobOptions.model_validate({
        "product_name": product_name, "video_model": "kling3_std", "segment_count": segments,
        "segment_duration": 3, "aspect_ratio": "1:1", "seed": 7,
        "key_selling_points": ["Brightens in two weeks"], "cta_text": "Tap the link"})
    cost = estimate(options)
    job_id = str(uuid.uuid4())
    t0 = created_at or utcnow()
    outputs = _outputs(job_id, options, t0)
    ended = fail_at or "complete"
    done = STAGES[:STAGES.index(ended) + (0 if fail_at else 1)]
    with session_scope(settings) as s:
        job_store.create_job(s, Job(
            id=job_id, account_id=account_id, status="failed" if fail_at else "completed",
            current_stage=ended, progress_percent=100 if not fail_at else 14, run_number=1,
            params=options.model_dump(mode="json"), estimate=cost.to_dict(),
            credits_reserved=0, credits_consumed=cost.total if not fail_at else 0,
            error_stage=fail_at,
            error_message=(f"{fail_at} failed: keyframe 0 (anchor): refused by the provider's "
                           "content policy" if fail_at else None),
            final_video=None if fail_at else f"{job_id}/final.mp4",
            thumbnail=None if fail_at else f"{job_id}/poster.jpg",
            created_at=t0, started_at=t0, updated_at=t0 + timedelta(seconds=90),
            finished_at=t0 + timedelta(seconds=90)))
        for i, stage in enumerate(STAGES):
            start = t0 + timedelta(seconds=i * 10)
            if stage in done:
                job_store.set_stage(s, job_id, stage, status="completed", run_number=1,
                                    started_at=start, finished_at=start + timedelta(seconds=9),
                                    outputs=outputs[stage].model_dump(mode="json"),
                                    credits_used=cost.by_stage()[stage])
            elif stage == fail_at:
                error = StageError(category="CONTENT_POLICY", item="keyframe 0 (anchor)",
                                   message="keyframe 0 (anchor): refused by the provider's "
                                           "content policy")
                job_store.set_stage(s, job_id, stage, status="failed", run_number=1,
                                    started_at=start, finished_at=start + timedelta(seconds=3),
                                    error=f"{stage} failed: {error.message}",
                                    error_detail=error.model_dump(mode="json"))
        for attempt in _attempts(outputs):
            if attempt.stage in done:
                item_store.record_attempt(s, job_id, attempt)
        for type_, at_stage, message, data in _events(outputs, segments, fail_at):
            job_store.add_event(s, job_id, type_, run_number=1, stage=at_stage,
                                message=message, data=data)
        if webhook:
            delivery = str(uuid.uuid4())
            answers = (("failed", 503, "the receiver answered 503"), ("delivered", 200, None))
            for n, (state, code, why) in enumerate(answers, start=1):
                s.add(WebhookDelivery(
                    delivery_id=delivery, account_id=account_id, job_id=job_id,
                    event="job.failed" if fail_at else "job.completed",
                    url="https://hooks.example.com/ugen", payload={"job_id": job_id},
                    attempt=n, status_code=code, latency_ms=40 * n, error=why,
                    state=state, created_at=t0 + timedelta(seconds=90 + n)))
    if files:
        _write_files(settings, outputs)
    return SeededJob(job_id, options, outputs)


def _write_files(settings: Settings, outputs: dict[StageName, StageOutput]) -> None:
    """Small real pictures for the keyframes, the product image and the poster."""
    store = LocalArtifactStore(settings.artifacts_dir)
    init, gen, done = outputs["init"], outputs["generation"], outputs["complete"]
    prepare = outputs["prepare"]
    assert isinstance(init, InitOutput) and isinstance(gen, GenerationOutput)
    assert isinstance(done, CompleteOutput) and isinstance(prepare, PrepareOutput)
    pictures = [init.anchor.artifact, *(k.artifact for k in gen.keyframes),
                prepare.product_image, done.thumbnail]
    for n, key in enumerate(pictures):
        with store.writing(key) as tmp:
            Image.new("RGB", (64, 64), (40 + n * 9 % 200, 90, 160)).save(
                tmp, "JPEG" if key.endswith(".jpg") else "PNG")


def seed_many(settings: Settings, account_id: str, count: int) -> None:
    """``count`` jobs of every status, each a job row and its 8 stage rows (as the list reads
    them), in two bulk inserts; newest last."""
    statuses = ("completed", "completed", "completed", "failed", "running", "cancelled")
    options = JobOptions.model_validate({"product_name": "Serum", "video_model": "kling3_std",
                                         "segment_count": 3, "segment_duration": 5,
                                         "seed": 1})
    params, cost = options.model_dump(mode="json"), estimate(options).to_dict()
    base = utcnow() - timedelta(days=30)
    jobs: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    for i in range(count):
        job_id = str(uuid.uuid4())
        status = statuses[i % len(statuses)]
        done = status == "completed"
        at = base + timedelta(minutes=i)
        jobs.append({
            "id": job_id, "account_id": account_id, "status": status,
            "current_stage": "complete" if done else "generation",
            "progress_percent": 100 if done else 40, "run_number": 1,
            "params": {**params, "product_name": f"Serum {i}"}, "estimate": cost,
            "credits_reserved": 0, "credits_consumed": 0, "cancel_requested": False,
            "error_stage": "generation" if status == "failed" else None,
            "error_message": ("generation failed: segment 1: the provider could not make it"
                              if status == "failed" else None),
            "final_video": f"{job_id}/final.mp4" if done else None,
            "thumbnail": f"{job_id}/poster.jpg" if done else None,
            "created_at": at, "started_at": at, "updated_at": at,
            "finished_at": at if status != "running" else None})
        for position, stage in enumerate(STAGES):
            finished = done or position < 3
            stages.append({
                "job_id": job_id, "stage": stage, "position": position,
                "status": "completed" if finished else "pending", "run_number": 1,
                "started_at": at if finished else None, "finished_at": at if finished else None,
                "outputs": {}, "credits_used": 0})
    with session_scope(settings) as s:
        s.execute(insert(Job), jobs)
        s.execute(insert(JobStage), stages)
