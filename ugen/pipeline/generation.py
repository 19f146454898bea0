"""Stage 3, ``generation``: the keyframes after the anchor and one video segment per pair.

Each keyframe is a child workflow on the image queue. Each segment is a child workflow (on
its model's queue when the model has limits of its own) whose render attempts run on its
provider's queue, so provider and model limits hold across all jobs and workers. A render is a
submit step and poll steps: a crash while a vendor renders resumes polling the same task
instead of paying for a new one. A segment starts as soon as both of its keyframes passed
QA, while later keyframes are still being made.

The workflows are recipes: every read of the job happens in a step (the plan is one), so a
workflow replayed after a crash takes the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from dbos import DBOS, WorkflowHandle

from ugen.media.concat import read_segment_ends
from ugen.pipeline import review
from ugen.pipeline.context import JobContext
from ugen.pipeline.errors import making
from ugen.pipeline.init import (
    Judged,
    Made,
    attempt_seed,
    attempt_suffix,
    judge_keyframe,
    keyframe_inputs,
    make_keyframe,
    qa_event,
    rejection,
    reused_record,
)
from ugen.pipeline.items import remember, reuse
from ugen.pipeline.outputs import (
    AgentsOutput,
    GenerationOutput,
    InitOutput,
    ItemRecord,
    SegmentRecord,
)
from ugen.pipeline.queues import (
    IMAGE_QUEUE,
    get_queue,
    model_limited,
    model_queue,
    provider_of,
    provider_queue,
)
from ugen.pipeline.shared_items import (
    publish_keyframe_step,
    publish_segment_step,
    shared_keyframe_step,
    shared_segment_step,
)
from ugen.providers.base import PermanentProviderError, SegmentRequest, TaskGoneError
from ugen.providers.retry import call_with_retries, provider_vendor
from ugen.providers.vendor import VENDORS
from ugen.providers.video_router import VideoRouter
from ugen.store import items as item_store
from ugen.store.artifacts import ArtifactKey
from ugen.store.db import session_scope
from ugen.store.models import utcnow

MAX_SUBMISSIONS = 3
"""Submissions of one render attempt when the vendor keeps losing the task."""


def segment_name(index: int, run_number: int = 1, attempt: int = 0) -> str:
    return f"segments/seg_{index:02d}{attempt_suffix(run_number, attempt)}.mp4"


def segment_ends_name(segment: ArtifactKey) -> str:
    """The segment's joined frames, kept beside it."""
    return str(PurePosixPath(segment).with_suffix(".ends.npz").relative_to(
        PurePosixPath(segment).parts[0]))


def segment_item(index: int) -> str:
    return f"seg_{index:02d}"


@dataclass(frozen=True)
class GenerationPlan:
    """What the stage's workflows need to know of the job, read once in a step."""

    segment_count: int
    anchor: ArtifactKey
    max_retries_keyframe: int
    max_retries_video: int
    segment_queue: str
    """Where segments wait: the model's own queue when it has limits, else its provider's."""
    render_queue: str | None
    """The provider's queue each render waits on, for a model with limits of its own."""
    overlap: bool
    poll_interval_s: float
    video_poll_interval_s: float
    review: bool = False
    """A reviewer approves each keyframe before its segments start (``ugen.pipeline.review``)."""


@DBOS.step()
def generation_plan_step(job_id: str, run_number: int) -> GenerationPlan:
    ctx = JobContext(job_id, run_number)
    opts, settings = ctx.options, ctx.settings
    model = opts.video_model
    limited = model_limited(settings, model)
    provider = provider_queue(provider_of(settings, model))
    return GenerationPlan(
        segment_count=opts.segment_count, anchor=ctx.output(InitOutput).anchor.artifact,
        max_retries_keyframe=opts.max_retries_keyframe,
        max_retries_video=opts.max_retries_video,
        segment_queue=model_queue(model) if limited else provider,
        render_queue=provider if limited else None,
        overlap=settings.generation_schedule == "overlap",
        poll_interval_s=settings.queue_polling_interval_s,
        video_poll_interval_s=settings.video_poll_interval_s,
        review=review.enabled(opts.human_review_max_rejections))


# --- keyframes ------------------------------------------------------------------------------

@DBOS.step()
def keyframe_step(job_id: str, run_number: int, index: int, attempt: int = 0,
                  note: str = "") -> Made:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    data: dict[str, Any] = {"index": index, "attempt": attempt}
    if note:
        data["reviewer_note"] = note
    ctx.event("keyframe_started", stage="generation", message=f"keyframe {index} started",
              data=data, dedupe=f"kf{index}:{attempt}:start")
    return make_keyframe(ctx, index, attempt, note)


@DBOS.step()
def keyframe_qa_step(job_id: str, run_number: int, index: int, attempt: int,
                     key: ArtifactKey) -> Judged:
    """Judge a keyframe; a passing one is announced (segments may start from it)."""
    ctx = JobContext(job_id, run_number)
    judged = judge_keyframe(ctx, "generation", index, attempt, key)
    if judged.verdict.passed:
        _keyframe_ready(ctx, index, key)
    return judged


def _keyframe_ready(ctx: JobContext, index: int, key: ArtifactKey) -> None:
    """Announce a keyframe that passed (segments may start from it)."""
    ctx.event("keyframe_completed", stage="generation", message=f"keyframe {index} ready",
              data={"index": index, "artifact": key}, dedupe=f"kf{index}")
    _report(ctx)


@DBOS.step()
def reused_keyframe_step(job_id: str, run_number: int, index: int) -> ItemRecord | None:
    """An earlier run's keyframe made from the same script, product and anchor that passes
    QA now (no new image is paid for)."""
    ctx = JobContext(job_id, run_number)
    record = reused_record(ctx, "generation", index, keyframe_inputs(ctx, index))
    if record is not None:
        _keyframe_ready(ctx, index, record.artifact)
    return record


@DBOS.workflow()
def keyframe_workflow(job_id: str, run_number: int, index: int, retries: int) -> ItemRecord:
    """One keyframe after the anchor (it references only the anchor, so all run at once),
    regenerated with a new seed while QA rejects it, up to ``retries`` times; a retry of the
    job reuses an earlier run's that passes."""
    with making(f"keyframe {index}"):
        if run_number > 1 and (reused := reused_keyframe_step(job_id, run_number, index)):
            return reused
        if (shared := shared_keyframe_step(job_id, run_number, index)) is not None:
            return shared  # made by another job of its variant set
        started: datetime | None = None
        for attempt in range(retries + 1):
            made = keyframe_step(job_id, run_number, index, attempt)
            started = started or made.started_at
            judged = keyframe_qa_step(job_id, run_number, index, attempt, made.artifact)
            if judged.verdict.passed:
                record = ItemRecord(item=f"kf_{index:02d}", index=index,
                                    artifact=made.artifact, qa=judged.verdict,
                                    attempts=attempt + 1, started_at=started,
                                    finished_at=judged.at)
                publish_keyframe_step(job_id, run_number, index, record)
                return record
    raise rejection(f"keyframe {index}", retries + 1, judged.verdict)


@DBOS.workflow()
def reviewed_keyframe_workflow(job_id: str, run_number: int, index: int, retries: int,
                               first_attempt: int, note: str) -> ItemRecord:
    """Keyframe ``index`` made again after a reviewer rejected it for ``note`` (said in its
    prompt): attempts from ``first_attempt`` on, regenerated while QA rejects them."""
    with making(f"keyframe {index}"):
        started: datetime | None = None
        for attempt in range(first_attempt, first_attempt + retries + 1):
            made = keyframe_step(job_id, run_number, index, attempt, note)
            started = started or made.started_at
            judged = keyframe_qa_step(job_id, run_number, index, attempt, made.artifact)
            if judged.verdict.passed:
                return ItemRecord(item=f"kf_{index:02d}", index=index, artifact=made.artifact,
                                  qa=judged.verdict, attempts=attempt - first_attempt + 1,
                                  started_at=started, finished_at=judged.at)
    raise rejection(f"keyframe {index}", retries + 1, judged.verdict)


# --- segments -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submitted:
    task_id: str
    at: datetime


def _segment_request(ctx: JobContext, index: int, keyframes: list[ArtifactKey],
                     attempt: int = 0, submission: int = 0) -> SegmentRequest:
    opts = ctx.options
    script = ctx.output(AgentsOutput).script
    width, height = opts.output_size
    return SegmentRequest(
        index=index,
        first_frame=ctx.path(keyframes[0]),
        last_frame=ctx.path(keyframes[1]),
        prompt=script.segment_prompts[index],
        spoken_line=script.lines[index].text,
        language=script.language,
        voice=opts.resolved_voice(),
        duration_s=float(opts.effective_segment_duration),
        width=width,
        height=height,
        fps=opts.model.fps,
        model_id=opts.video_model,
        sound=True,
        seed=attempt_seed(opts.job_seed, index, attempt, ctx.run_number),
        out_path=ctx.work_dir("segments") / Path(segment_name(index, ctx.run_number,
                                                                attempt)).name,
        submission=submission,
    )


def _submit_vendor(ctx: JobContext, model_id: str) -> str:
    """Who renders a segment of ``model_id``, for the call's metrics: the vendor whose
    adapter the router chose (as the billed call records it), else the offline provider."""
    video = ctx.providers.video
    if not isinstance(video, VideoRouter):
        return provider_vendor(video, ctx.providers.name)
    try:
        vendor = video.vendor_for(model_id)
    except PermanentProviderError as err:  # chosen without keys: the submit fails alike
        return err.provider or ctx.providers.name
    return vendor or ctx.providers.name


def _task_vendor(ctx: JobContext, task_id: str) -> str:
    """Who a poll of ``task_id`` goes to: the vendor its prefix names, else the offline
    provider."""
    vendor, sep, _ = task_id.partition(":")
    if sep and vendor in VENDORS:
        return vendor
    video = ctx.providers.video
    return ctx.providers.name if isinstance(video, VideoRouter) else provider_vendor(
        video, ctx.providers.name)


@DBOS.step()
def segment_submit_step(job_id: str, run_number: int, index: int, keyframes: list[ArtifactKey],
                        attempt: int = 0, submission: int = 0) -> Submitted:
    """Submit segment ``index`` to the video provider; return the vendor task id."""
    at = utcnow()
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    request = _segment_request(ctx, index, keyframes, attempt, submission)
    task_id = call_with_retries(lambda: ctx.providers.video.submit(request),
                                vendor=_submit_vendor(ctx, request.model_id))
    # A vendor task id names its vendor; the same task submitted again after a crash is
    # the same vendor task, billed once.
    vendor, sep, _ = task_id.partition(":")
    ctx.record_call("video", segment_item(index), units=request.duration_s, unit="second",
                    provider=vendor if sep and vendor in VENDORS else None, request_id=task_id,
                    dedupe=f"{index}:{attempt}:{submission}")
    ctx.event("segment_submitted", stage="generation", message=f"segment {index} submitted",
              data={"index": index, "task_id": task_id, "attempt": attempt,
                    "submission": submission},
              dedupe=f"seg{index}:{attempt}:{submission}:submit")
    return Submitted(task_id, at)


@DBOS.step()
def segment_poll_step(job_id: str, run_number: int, index: int, attempt: int,
                      task_id: str) -> ArtifactKey | None:
    """Poll once; when done, store the segment and return its artifact key."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    result = call_with_retries(lambda: ctx.providers.video.poll(task_id),
                               vendor=_task_vendor(ctx, task_id))
    if result.state == "pending":
        return None
    if result.state == "failed" or result.output is None:
        raise PermanentProviderError(
            f"segment {index} failed at the video provider: {result.error or 'no output'}",
            provider=ctx.providers.name, request_id=task_id,
        )
    key = ctx.store.put_file(ctx.key(segment_name(index, run_number, attempt)), result.output)
    ctx.event("segment_rendered", stage="generation", message=f"segment {index} rendered",
              data={"index": index, "task_id": task_id}, dedupe=f"seg{index}:{task_id}:done")
    return key


def _segment_inputs(ctx: JobContext, keyframes: list[ArtifactKey]) -> list[Path]:
    """What a segment is made from: the script and its first and last keyframes."""
    return [ctx.path(ctx.output(AgentsOutput).script_file), *(ctx.path(k) for k in keyframes)]


@DBOS.step()
def segment_qa_step(job_id: str, run_number: int, index: int, attempt: int,
                    keyframes: list[ArtifactKey], key: ArtifactKey) -> Judged:
    """Judge a segment against its two keyframes."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    verdict = ctx.providers.segment_judge.judge_segment(
        ctx.path(key), first_keyframe=ctx.path(keyframes[0]),
        last_keyframe=ctx.path(keyframes[1]), fps=opts.model.fps,
        duration_s=float(opts.effective_segment_duration), qai_mode=opts.qai_mode,
    )
    ctx.record_billed("qa", segment_item(index), ctx.providers.segment_judge, ctx.path(key))
    qa_event(ctx, "generation", segment_item(index), attempt, verdict)
    remember(ctx, "generation", segment_item(index), attempt, key, verdict,
             _segment_inputs(ctx, keyframes))
    if verdict.passed:
        _segment_ready(ctx, index, key)
    return Judged(verdict, utcnow())


def _segment_ready(ctx: JobContext, index: int, key: ArtifactKey) -> None:
    ctx.event("segment_completed", stage="generation", message=f"segment {index} ready",
              data={"index": index, "artifact": key}, dedupe=f"seg{index}")
    _report(ctx)


@DBOS.step()
def reused_segment_step(job_id: str, run_number: int, index: int,
                        keyframes: list[ArtifactKey]) -> SegmentRecord | None:
    """An earlier run's segment made from the same keyframes that passes QA now (no new
    render is paid for)."""
    ctx = JobContext(job_id, run_number)
    found = reuse(ctx, "generation", segment_item(index), _segment_inputs(ctx, keyframes))
    if found is None:
        return None
    key, verdict, _ = found
    _segment_ready(ctx, index, key)
    now = utcnow()
    return SegmentRecord(item=segment_item(index), index=index, artifact=key, qa=verdict,
                         attempts=0, reused=True, started_at=now, finished_at=now)


@DBOS.step()
def segment_ends_step(job_id: str, run_number: int, index: int, key: ArtifactKey,
                      segment_count: int) -> ArtifactKey:
    """Read the frames of the accepted segment that its joins are judged on, for
    ``concat``, while other segments are still being made: its head where a segment comes
    before it, its tail (which decodes most of it) where one comes after."""
    ctx = JobContext(job_id, run_number)
    width, height = ctx.options.output_size
    path = ctx.path(key)
    ends = read_segment_ends(index, path, width=width, height=height, head=index > 0,
                             tail=index < segment_count - 1)
    ends_key = ctx.key(segment_ends_name(key))
    with ctx.store.writing(ends_key) as tmp:
        ends.save(tmp, source=path)
    return ends_key


def _render(job_id: str, run_number: int, index: int, keyframes: list[ArtifactKey],
            attempt: int, poll_interval_s: float) -> tuple[ArtifactKey, datetime]:
    """One render attempt at the vendor: submit once, then poll until the vendor is done.
    Returns the artifact key and when it was first submitted. Runs inside a workflow that
    holds a provider slot.

    Only a vendor that says it no longer knows the task gets the attempt submitted again
    (a new task, up to ``MAX_SUBMISSIONS`` in all); any other failure fails the segment.
    """
    first: datetime | None = None
    for submission in range(MAX_SUBMISSIONS):
        submitted = segment_submit_step(job_id, run_number, index, keyframes, attempt,
                                        submission)
        first = first or submitted.at
        key = None
        try:
            while key is None:
                key = segment_poll_step(job_id, run_number, index, attempt,
                                        submitted.task_id)
                if key is None:
                    DBOS.sleep(poll_interval_s)
        except TaskGoneError:
            continue
        return key, first
    raise PermanentProviderError(
        f"segment {index}: the video provider lost the task {MAX_SUBMISSIONS} times")


@DBOS.workflow()
def segment_render_workflow(job_id: str, run_number: int, index: int,
                            keyframes: list[ArtifactKey], attempt: int,
                            poll_interval_s: float) -> tuple[ArtifactKey, datetime]:
    """A render of a segment whose model has limits of its own, queued for a slot of the
    provider's queue."""
    return _render(job_id, run_number, index, keyframes, attempt, poll_interval_s)


@DBOS.workflow()
def segment_workflow(job_id: str, run_number: int, index: int, keyframes: list[ArtifactKey],
                     plan: GenerationPlan) -> SegmentRecord:
    """One segment between ``keyframes`` (its first and last frame).

    A segment of a model without limits of its own runs on its provider's queue and renders
    in that slot. A model with limits of its own puts its segments on the model's queue;
    each render then waits for a slot on the provider's queue. A segment that fails QA is
    rendered again with a new seed, up to ``max_retries_video`` times; a retry of the job
    reuses an earlier run's that passes.
    """
    retries = plan.max_retries_video
    with making(f"segment {index}"):
        record = (reused_segment_step(job_id, run_number, index, keyframes)
                  if run_number > 1 else None)
        record = record or shared_segment_step(job_id, run_number, index, keyframes)
        started: datetime | None = None
        for attempt in range(retries + 1):
            if record is not None:
                break
            args = (job_id, run_number, index, keyframes, attempt, plan.video_poll_interval_s)
            if plan.render_queue is not None:
                render = get_queue(plan.render_queue).enqueue(segment_render_workflow, *args)
                key, at = render.get_result(polling_interval_sec=plan.poll_interval_s)
            else:
                # Already in a provider slot. Steps, not a child workflow: DBOS recovers a
                # workflow that has no queue through its internal queue, which every process
                # (API clients included) serves.
                key, at = _render(*args)
            started = started or at
            judged = segment_qa_step(job_id, run_number, index, attempt, keyframes, key)
            if judged.verdict.passed:
                record = SegmentRecord(item=segment_item(index), index=index, artifact=key,
                                       qa=judged.verdict, attempts=attempt + 1,
                                       started_at=started, finished_at=judged.at)
        if record is None:
            raise rejection(f"segment {index}", retries + 1, judged.verdict)
        publish_segment_step(job_id, run_number, index, keyframes, record)
    return record


def _report(ctx: JobContext) -> None:
    """Progress of the stage: keyframes and segments accepted out of all of them."""
    with session_scope(ctx.settings) as s:
        accepted = item_store.accepted_items(s, ctx.job_id, ctx.run_number)
    keyframes = sum(1 for item in accepted if item.startswith("kf_") and item != "kf_00")
    segments = sum(1 for item in accepted if item.startswith("seg_"))
    n = ctx.options.segment_count
    # Segments take most of the time: weigh them four times a keyframe.
    ctx.progress_within("generation", (keyframes + 4 * segments) / (5 * n))


class _Reviews:
    """Human review inside the generation loop: a keyframe that passed QA waits for the
    reviewer (a child on the review queue, awaited with the other children), and a rejected
    one is made again, so approved keyframes start their segments while others wait."""

    def __init__(self, job_id: str, run_number: int, plan: GenerationPlan,
                 pending: dict[str, tuple[int, WorkflowHandle[Any]]]) -> None:
        self.job_id, self.run_number, self.plan, self.pending = job_id, run_number, plan, pending
        self.review = review.review_plan_step(job_id, run_number)
        self.shown: dict[int, list[ItemRecord]] = {}

    def _wait_on(self, index: int, handle: WorkflowHandle[Any]) -> None:
        self.pending[handle.workflow_id] = (index, handle)

    def take(self, result: ItemRecord | review.Outcome) -> ItemRecord | None:
        """The keyframe the reviewer's decision accepts, or None while it is still out."""
        if isinstance(result, ItemRecord):
            shown = self.shown.setdefault(result.index, [])
            shown.append(result)
            self._wait_on(result.index, review.start_wait(
                self.job_id, self.run_number, "generation", self.review, result,
                len(shown) - 1))
            return None
        step = review.next_step(self.job_id, self.run_number, "generation", self.review,
                                self.shown[result.keyframe], result)
        if isinstance(step, ItemRecord):
            return step
        self._wait_on(result.keyframe, get_queue(IMAGE_QUEUE).enqueue(
            reviewed_keyframe_workflow, self.job_id, self.run_number, result.keyframe,
            self.plan.max_retries_keyframe, step.first_attempt, step.note))
        return None


def run_generation(job_id: str, run_number: int) -> GenerationOutput:
    """Schedule keyframes and segments with streaming overlap.

    All keyframes are queued at once on the image queue; segment i starts the moment
    keyframes i and i+1 both passed QA, whatever the other keyframes are doing.
    The queues' limits hold across jobs and workers. The loop waits on whichever child
    finishes first; each wait is checkpointed, so a resumed workflow replays the same order.
    """
    plan = generation_plan_step(job_id, run_number)
    n = plan.segment_count
    keyframes: dict[int, ItemRecord] = {}
    segments: dict[int, SegmentRecord] = {}
    pending: dict[str, tuple[int, WorkflowHandle[Any]]] = {}
    for index in range(1, n + 1):
        handle = get_queue(IMAGE_QUEUE).enqueue(keyframe_workflow, job_id, run_number, index,
                                                plan.max_retries_keyframe)
        pending[handle.workflow_id] = (index, handle)
    keys: dict[int, ArtifactKey] = {0: plan.anchor}
    started: set[int] = set()
    reviews = _Reviews(job_id, run_number, plan, pending) if plan.review else None
    while pending:
        done = DBOS.wait_first([h for _, h in pending.values()],
                               polling_interval_sec=plan.poll_interval_s)
        index, handle = pending.pop(done.workflow_id)
        try:
            result: Any = handle.get_result()  # re-raises the child's error: the stage fails
            if reviews is not None and not isinstance(result, SegmentRecord):
                result = reviews.take(result)  # None until the reviewer accepts one
        except Exception:
            # The stage has failed: stop the keyframes and segments still being made rather
            # than pay for work nobody will use (a retry makes what it needs again).
            if pending:
                DBOS.cancel_workflows(list(pending), cancel_children=True)
            raise
        if isinstance(result, SegmentRecord):
            # The ends are read here, once the segment's provider slot is free for the next
            # render (the parent waits on nothing else that is due this soon).
            ends = segment_ends_step(job_id, run_number, index, result.artifact, n)
            segments[index] = result.model_copy(update={"ends": ends})
            continue
        if result is None:
            continue
        keyframes[index], keys[index] = result, result.artifact
        if not plan.overlap and len(keys) <= n:
            continue  # the sequential baseline waits for every keyframe
        for seg in (range(n) if not plan.overlap else (index - 1, index)):
            if 0 <= seg < n and seg not in started and {seg, seg + 1} <= keys.keys():
                started.add(seg)
                h = get_queue(plan.segment_queue).enqueue(
                    segment_workflow, job_id, run_number, seg, [keys[seg], keys[seg + 1]],
                    plan)
                pending[h.workflow_id] = (seg, h)
    return GenerationOutput(keyframes=tuple(keyframes[i] for i in range(1, n + 1)),
                            segments=tuple(segments[i] for i in range(n)))
