"""Stage 3, ``generation``: the keyframes after the anchor and one video segment per pair.

Each keyframe is a child workflow on the image queue. Each segment is a child workflow (on
its model's queue when the model has limits of its own) whose render attempts run on its
provider's queue, so provider and model limits hold across all jobs and workers. A render is a
submit step and poll steps: a crash while a vendor renders resumes polling the same task
instead of paying for a new one. A segment starts as soon as both of its keyframes passed
QA, while later keyframes are still being made.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, WorkflowHandle

from ugen.media.concat import read_segment_ends
from ugen.pipeline.agents import load_script
from ugen.pipeline.context import JobContext
from ugen.pipeline.init import attempt_seed, judge_keyframe, make_keyframe, qa_event, rejection
from ugen.pipeline.queues import (
    IMAGE_QUEUE,
    get_queue,
    model_limited,
    model_queue,
    provider_of,
    provider_queue,
)
from ugen.providers.base import PermanentProviderError, SegmentRequest, TaskGoneError
from ugen.providers.retry import call_with_retries
from ugen.providers.vendor import VENDORS

MAX_SUBMISSIONS = 3
"""Submissions of one render attempt when the vendor keeps losing the task."""


def segment_name(index: int) -> str:
    return f"segments/seg_{index:02d}.mp4"


def segment_ends_name(index: int) -> str:
    return f"segments/seg_{index:02d}.ends.npz"


@DBOS.step()
def keyframe_step(job_id: str, run_number: int, index: int, attempt: int = 0) -> str:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    ctx.event("keyframe_started", stage="generation", message=f"keyframe {index} started",
              data={"index": index, "attempt": attempt}, dedupe=f"kf{index}:{attempt}:start")
    return make_keyframe(ctx, index, attempt)


@DBOS.step()
def keyframe_qa_step(job_id: str, run_number: int, index: int, attempt: int,
                     key: str) -> dict[str, Any]:
    """Judge a keyframe; a passing one is announced (segments may start from it)."""
    ctx = JobContext(job_id, run_number)
    verdict = judge_keyframe(ctx, index, key)
    qa_event(ctx, "generation", f"kf_{index:02d}", attempt, verdict)
    if verdict["passed"]:
        ctx.event("keyframe_completed", stage="generation", message=f"keyframe {index} ready",
                  data={"index": index, "artifact": key}, dedupe=f"kf{index}")
        _report(ctx)
    return verdict


def _segment_request(ctx: JobContext, index: int, keyframes: list[str],
                     attempt: int = 0, submission: int = 0) -> SegmentRequest:
    opts = ctx.options
    script = load_script(ctx.path(ctx.outputs("agents")["script"]))
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
        seed=attempt_seed(opts.seed, index, attempt),
        out_path=ctx.settings.work_dir / ctx.job_id / f"run{ctx.run_number}" / segment_name(index),
        submission=submission,
    )


@DBOS.step()
def segment_submit_step(job_id: str, run_number: int, index: int, keyframes: list[str],
                        attempt: int = 0, submission: int = 0) -> str:
    """Submit segment ``index`` to the video provider; return the vendor task id."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    request = _segment_request(ctx, index, keyframes, attempt, submission)
    request.out_path.parent.mkdir(parents=True, exist_ok=True)
    task_id = call_with_retries(lambda: ctx.providers.video.submit(request))
    # A vendor task id names its vendor; the same task submitted again after a crash is
    # the same vendor task, billed once.
    vendor, sep, _ = task_id.partition(":")
    ctx.record_call("video", f"seg_{index:02d}", units=request.duration_s, unit="second",
                    provider=vendor if sep and vendor in VENDORS else None, request_id=task_id,
                    dedupe=f"{index}:{attempt}:{submission}")
    ctx.event("segment_submitted", stage="generation", message=f"segment {index} submitted",
              data={"index": index, "task_id": task_id, "attempt": attempt,
                    "submission": submission},
              dedupe=f"seg{index}:{attempt}:{submission}:submit")
    return task_id


@DBOS.step()
def segment_poll_step(job_id: str, run_number: int, index: int, task_id: str) -> str | None:
    """Poll once; when done, store the segment and return its artifact key."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    result = call_with_retries(lambda: ctx.providers.video.poll(task_id))
    if result.state == "pending":
        return None
    if result.state == "failed" or result.output is None:
        raise PermanentProviderError(
            f"segment {index} failed at the video provider: {result.error or 'no output'}",
            provider=ctx.providers.name, request_id=task_id,
        )
    key = ctx.store.put_file(ctx.key(segment_name(index)), result.output)
    ctx.event("segment_rendered", stage="generation", message=f"segment {index} rendered",
              data={"index": index, "task_id": task_id}, dedupe=f"seg{index}:{task_id}:done")
    return key


@DBOS.step()
def segment_qa_step(job_id: str, run_number: int, index: int, attempt: int,
                    keyframes: list[str], key: str) -> dict[str, Any]:
    """Judge a segment against its two keyframes."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    verdict = ctx.providers.segment_judge.judge_segment(
        ctx.path(key), first_keyframe=ctx.path(keyframes[0]),
        last_keyframe=ctx.path(keyframes[1]), fps=opts.model.fps,
        duration_s=float(opts.effective_segment_duration), qai_mode=opts.qai_mode,
    ).to_dict()
    ctx.record_billed("qa", f"seg_{index:02d}", ctx.providers.segment_judge, ctx.path(key))
    qa_event(ctx, "generation", f"seg_{index:02d}", attempt, verdict)
    if verdict["passed"]:
        ctx.event("segment_completed", stage="generation", message=f"segment {index} ready",
                  data={"index": index, "artifact": key}, dedupe=f"seg{index}")
        _report(ctx)
    return verdict


@DBOS.step()
def segment_ends_step(job_id: str, run_number: int, index: int, key: str) -> str:
    """Read the accepted segment's first and last frames for ``concat`` now, while other
    segments are still being made (reading the last frames decodes most of a segment)."""
    ctx = JobContext(job_id, run_number)
    width, height = ctx.options.output_size
    path = ctx.path(key)
    ends = read_segment_ends(index, path, width=width, height=height)
    ends_key = ctx.key(segment_ends_name(index))
    with ctx.store.writing(ends_key) as tmp:
        ends.save(tmp, source=path)
    return ends_key


def _render(job_id: str, run_number: int, index: int, keyframes: list[str],
            attempt: int) -> str:
    """One render attempt at the vendor: submit once, then poll until the vendor is done.
    Returns the artifact key. Runs inside a workflow that holds a provider slot.

    Only a vendor that says it no longer knows the task gets the attempt submitted again
    (a new task, up to ``MAX_SUBMISSIONS`` in all); any other failure fails the segment.
    """
    interval = JobContext(job_id, run_number).settings.video_poll_interval_s
    for submission in range(MAX_SUBMISSIONS):
        task_id = segment_submit_step(job_id, run_number, index, keyframes, attempt,
                                      submission)
        key = None
        try:
            while key is None:
                key = segment_poll_step(job_id, run_number, index, task_id)
                if key is None:
                    DBOS.sleep(interval)
        except TaskGoneError:
            continue
        return key
    raise PermanentProviderError(
        f"segment {index}: the video provider lost the task {MAX_SUBMISSIONS} times")


@DBOS.workflow()
def segment_render_workflow(job_id: str, run_number: int, index: int, keyframes: list[str],
                            attempt: int) -> str:
    """A render of a segment whose model has limits of its own, queued for a slot of the
    provider's queue."""
    return _render(job_id, run_number, index, keyframes, attempt)


@DBOS.workflow()
def segment_workflow(job_id: str, run_number: int, index: int,
                     keyframes: list[str]) -> dict[str, Any]:
    """One segment between ``keyframes`` (its first and last frame).

    A segment of a model without limits of its own runs on its provider's queue and renders
    in that slot. A model with limits of its own puts its segments on the model's queue;
    each render then waits for a slot on the provider's queue. A segment that fails QA is
    rendered again with a new seed, up to ``max_retries_video`` times.
    """
    ctx = JobContext(job_id, run_number)
    model = ctx.options.video_model
    provider = provider_of(ctx.settings, model)
    retries = ctx.options.max_retries_video
    for attempt in range(retries + 1):
        args = (job_id, run_number, index, keyframes, attempt)
        if model_limited(ctx.settings, model):
            render = get_queue(provider_queue(provider)).enqueue(segment_render_workflow, *args)
            key = render.get_result(polling_interval_sec=ctx.settings.queue_polling_interval_s)
        else:
            # Already in a provider slot. Steps, not a child workflow: DBOS recovers a
            # workflow that has no queue through its internal queue, which every process
            # (API clients included) serves.
            key = _render(*args)
        verdict = segment_qa_step(job_id, run_number, index, attempt, keyframes, key)
        if verdict["passed"]:
            ends = segment_ends_step(job_id, run_number, index, key)
            return {"key": key, "ends": ends, "qa": verdict, "attempts": attempt + 1}
    raise rejection(f"segment {index}", retries + 1, verdict)


def _start_segment(ctx: JobContext, index: int,
                   pair: list[str]) -> WorkflowHandle[dict[str, Any]]:
    """Queue the segment on its model's queue when the model has limits of its own, else on
    its provider's queue."""
    model = ctx.options.video_model
    queue = (model_queue(model) if model_limited(ctx.settings, model)
             else provider_queue(provider_of(ctx.settings, model)))
    return get_queue(queue).enqueue(segment_workflow, ctx.job_id, ctx.run_number, index, pair)


def _report(ctx: JobContext) -> None:
    """Progress of the stage: keyframes and segments done out of all of them."""
    done_kf = len(list(ctx.path(ctx.key("keyframes")).glob("kf_*.png"))) - 1
    done_seg = len(list(ctx.path(ctx.key("segments")).glob("seg_*.mp4"))) \
        if ctx.path(ctx.key("segments")).exists() else 0
    n = ctx.options.segment_count
    # Segments take most of the time: weigh them four times a keyframe.
    ctx.progress_within("generation", (max(0, done_kf) + 4 * done_seg) / (5 * n))


@DBOS.workflow()
def keyframe_workflow(job_id: str, run_number: int, index: int) -> dict[str, Any]:
    """One keyframe after the anchor (it references only the anchor, so all run at once),
    regenerated with a new seed while QA rejects it, up to ``max_retries_keyframe`` times."""
    retries = JobContext(job_id, run_number).options.max_retries_keyframe
    for attempt in range(retries + 1):
        key = keyframe_step(job_id, run_number, index, attempt)
        verdict = keyframe_qa_step(job_id, run_number, index, attempt, key)
        if verdict["passed"]:
            return {"key": key, "qa": verdict, "attempts": attempt + 1}
    raise rejection(f"keyframe {index}", retries + 1, verdict)


def run_generation(job_id: str, run_number: int) -> dict[str, Any]:
    """Schedule keyframes and segments with streaming overlap.

    All keyframes are queued at once on the image queue; segment i starts the moment
    keyframes i and i+1 both passed QA, whatever the other keyframes are doing.
    The queues' limits hold across jobs and workers. The loop waits on whichever child
    finishes first; each wait is checkpointed, so a resumed workflow replays the same order.
    """
    ctx = JobContext(job_id, run_number)
    n = ctx.options.segment_count
    poll = ctx.settings.queue_polling_interval_s
    overlap = ctx.settings.generation_schedule == "overlap"
    keyframes: dict[int, str] = {0: ctx.outputs("init")["anchor"]}
    segments: dict[int, str] = {}
    ends: dict[int, str] = {}
    qa: dict[str, Any] = {}
    pending: dict[str, tuple[str, int, WorkflowHandle[dict[str, Any]]]] = {}
    for index in range(1, n + 1):
        handle = get_queue(IMAGE_QUEUE).enqueue(keyframe_workflow, job_id, run_number, index)
        pending[handle.workflow_id] = ("keyframe", index, handle)
    started: set[int] = set()
    while pending:
        done = DBOS.wait_first([h for _, _, h in pending.values()], polling_interval_sec=poll)
        kind, index, handle = pending.pop(done.workflow_id)
        result = handle.get_result()  # re-raises the child's error: the stage fails with it
        qa[f"{'seg' if kind == 'segment' else 'kf'}_{index:02d}"] = {
            "score": result["qa"]["score"], "passed": result["qa"]["passed"],
            "categories": result["qa"]["categories"], "attempts": result["attempts"]}
        if kind == "segment":
            segments[index], ends[index] = result["key"], result["ends"]
            continue
        keyframes[index] = result["key"]
        if not overlap and len(keyframes) <= n:
            continue  # the sequential baseline waits for every keyframe
        for seg in (range(n) if not overlap else (index - 1, index)):
            if 0 <= seg < n and seg not in started and {seg, seg + 1} <= keyframes.keys():
                started.add(seg)
                pair = [keyframes[seg], keyframes[seg + 1]]
                h = _start_segment(ctx, seg, pair)
                pending[h.workflow_id] = ("segment", seg, h)
    return {"keyframes": [keyframes[i] for i in range(n + 1)],
            "segments": [segments[i] for i in range(n)],
            "segment_ends": [ends[i] for i in range(n)], "qa": dict(sorted(qa.items()))}
