"""Stage 3, ``generation``: the keyframes after the anchor and one video segment per pair.

Each keyframe is a child workflow on the image queue and each segment a child workflow on
the video queue, so provider concurrency is limited across all jobs and workers. A segment
is a submit step and poll steps: a crash while a vendor renders resumes polling the same
task instead of paying for a new one. A segment starts as soon as both of its keyframes
exist, while later keyframes are still being made.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS, WorkflowHandle

from ugen.pipeline.agents import load_script
from ugen.pipeline.context import JobContext
from ugen.pipeline.init import make_keyframe
from ugen.pipeline.queues import IMAGE_QUEUE, VIDEO_QUEUE, get_queue
from ugen.providers.base import PermanentProviderError, SegmentRequest
from ugen.providers.retry import call_with_retries


class SegmentFailedError(Exception):
    """The video provider reported a failed segment."""


def segment_name(index: int) -> str:
    return f"segments/seg_{index:02d}.mp4"


@DBOS.step()
def keyframe_step(job_id: str, run_number: int, index: int) -> str:
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    ctx.event("keyframe_started", stage="generation", message=f"keyframe {index} started",
              data={"index": index}, dedupe=f"kf{index}:start")
    key = make_keyframe(ctx, index)
    ctx.event("keyframe_completed", stage="generation", message=f"keyframe {index} ready",
              data={"index": index, "artifact": key}, dedupe=f"kf{index}")
    _report(ctx)
    return key


def _segment_request(ctx: JobContext, index: int, keyframes: list[str]) -> SegmentRequest:
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
        seed=opts.seed * 1000 + index,
        out_path=ctx.settings.work_dir / ctx.job_id / f"run{ctx.run_number}" / segment_name(index),
    )


@DBOS.step()
def segment_submit_step(job_id: str, run_number: int, index: int, keyframes: list[str]) -> str:
    """Submit segment ``index`` to the video provider; return the vendor task id."""
    ctx = JobContext(job_id, run_number)
    ctx.check_not_cancelled()
    request = _segment_request(ctx, index, keyframes)
    request.out_path.parent.mkdir(parents=True, exist_ok=True)
    task_id = call_with_retries(lambda: ctx.providers.video.submit(request))
    ctx.record_call("video", f"seg_{index:02d}", units=request.duration_s, unit="second")
    ctx.event("segment_submitted", stage="generation", message=f"segment {index} submitted",
              data={"index": index, "task_id": task_id}, dedupe=f"seg{index}:submit")
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
    ctx.event("segment_completed", stage="generation", message=f"segment {index} ready",
              data={"index": index, "artifact": key}, dedupe=f"seg{index}")
    _report(ctx)
    return key


@DBOS.workflow()
def segment_workflow(job_id: str, run_number: int, index: int, keyframes: list[str]) -> str:
    """One segment between ``keyframes`` (its first and last frame): submit once, then poll."""
    task_id = segment_submit_step(job_id, run_number, index, keyframes)
    interval = JobContext(job_id, run_number).settings.video_poll_interval_s
    while True:
        key = segment_poll_step(job_id, run_number, index, task_id)
        if key is not None:
            return key
        DBOS.sleep(interval)


def _report(ctx: JobContext) -> None:
    """Progress of the stage: keyframes and segments done out of all of them."""
    done_kf = len(list(ctx.path(ctx.key("keyframes")).glob("kf_*.png"))) - 1
    done_seg = len(list(ctx.path(ctx.key("segments")).glob("seg_*.mp4"))) \
        if ctx.path(ctx.key("segments")).exists() else 0
    n = ctx.options.segment_count
    # Segments take most of the time: weigh them four times a keyframe.
    ctx.progress_within("generation", (max(0, done_kf) + 4 * done_seg) / (5 * n))


@DBOS.workflow()
def keyframe_workflow(job_id: str, run_number: int, index: int) -> str:
    """One keyframe after the anchor (it references only the anchor, so all run at once)."""
    return keyframe_step(job_id, run_number, index)


def run_generation(job_id: str, run_number: int) -> dict[str, Any]:
    """Schedule keyframes and segments with streaming overlap.

    All keyframes are queued at once on the image queue; segment i is queued on the video
    queue the moment keyframes i and i+1 both exist, whatever the other keyframes are doing.
    The queues' limits hold across jobs and workers. The loop waits on whichever child
    finishes first; each wait is checkpointed, so a resumed workflow replays the same order.
    """
    ctx = JobContext(job_id, run_number)
    n = ctx.options.segment_count
    poll = ctx.settings.queue_polling_interval_s
    keyframes: dict[int, str] = {0: ctx.outputs("init")["anchor"]}
    segments: dict[int, str] = {}
    pending: dict[str, tuple[str, int, WorkflowHandle[str]]] = {}
    for index in range(1, n + 1):
        handle = get_queue(IMAGE_QUEUE).enqueue(keyframe_workflow, job_id, run_number, index)
        pending[handle.workflow_id] = ("keyframe", index, handle)
    started: set[int] = set()
    while pending:
        done = DBOS.wait_first([h for _, _, h in pending.values()], polling_interval_sec=poll)
        kind, index, handle = pending.pop(done.workflow_id)
        key = handle.get_result()  # re-raises the child's error: the stage fails with it
        if kind == "segment":
            segments[index] = key
            continue
        keyframes[index] = key
        for seg in (index - 1, index):
            if 0 <= seg < n and seg not in started and {seg, seg + 1} <= keyframes.keys():
                started.add(seg)
                pair = [keyframes[seg], keyframes[seg + 1]]
                h = get_queue(VIDEO_QUEUE).enqueue(segment_workflow, job_id, run_number, seg,
                                                   pair)
                pending[h.workflow_id] = ("segment", seg, h)
    return {"keyframes": [keyframes[i] for i in range(n + 1)],
            "segments": [segments[i] for i in range(n)]}
