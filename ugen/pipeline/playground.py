"""The playground workflow: one segment from a prompt (and frames) with any catalog model,
durably, paid for once.

``playground_workflow(task_id, …)`` runs under the workflow id ``playground-{task_id}`` on
the same queues as a job's segments, so a vendor account's limits hold across jobs, tries
and workers: its provider's queue (``ugen_video_kling``), or, for a model with limits of its
own, the model's queue, each render then waiting for a slot of the provider's queue. It is a
recipe of checkpointed steps:

1. ``frames_step``   the first and last frame (a plain card made from the prompt when the
                     try gave none; the first frame again when it gave no last one);
2. ``submit_step``   the request to the video provider (the same
                     :class:`~ugen.providers.base.VideoProvider` the ``generation`` stage
                     uses); the vendor task id is checkpointed;
3. ``poll_step``     until the vendor is done; the segment is stored;
4. ``complete_step`` / ``fail_step``: the task's outcome and the credits reserved for it
                     consumed, or released with the reason.

A crash while the vendor renders resumes polling the same vendor task. A submit step that
runs again (a crash before its checkpoint) sends the same request, keyed as the generation
stage keys it (:func:`ugen.providers.vendor.external_task_id`: the task's own output path,
seed, model, duration and submission number), so the vendor finds the task it already has
and nothing is paid twice; its provider call is recorded once (``dedupe_key``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from dbos import DBOS, SetWorkflowID
from dbos._error import DBOSException
from PIL import Image

from ugen import catalog
from ugen.core.config import Settings, get_settings
from ugen.pipeline.errors import category_of, reason_of
from ugen.pipeline.generation import MAX_SUBMISSIONS
from ugen.pipeline.queues import (
    get_queue,
    model_limited,
    model_queue,
    provider_of,
    provider_queue,
)
from ugen.providers.base import PermanentProviderError, SegmentRequest, TaskGoneError
from ugen.providers.registry import ProviderSet, build_providers
from ugen.providers.retry import call_with_retries, provider_vendor
from ugen.providers.vendor import VENDORS
from ugen.providers.video_router import VideoRouter
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store import playground as task_store
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope

SUBMITTED_PERCENT = 10
RENDERED_PERCENT = 90


def workflow_id_for(task_id: str) -> str:
    return f"playground-{task_id}"


def task_prefix(account_id: str, task_id: str) -> str:
    """Where a task's files are kept in the artifact store."""
    return f"playground/{account_id}/{task_id}"


def video_key(account_id: str, task_id: str) -> ArtifactKey:
    return ArtifactKey(f"{task_prefix(account_id, task_id)}/video.mp4")


def ledger_key(task_id: str) -> str:
    """The idempotency key of the task's credit movements (``:reserve``, ``:settle``)."""
    return f"playground:{task_id}"


def start_task(settings: Settings, task_id: str, model_id: str) -> str:
    """Enqueue the task's workflow (idempotent: one workflow per task); its id."""
    provider = provider_queue(provider_of(settings, model_id))
    limited = model_limited(settings, model_id)
    wfid = workflow_id_for(task_id)
    with SetWorkflowID(wfid):
        get_queue(model_queue(model_id) if limited else provider).enqueue(
            playground_workflow, task_id, provider if limited else None,
            settings.queue_polling_interval_s, settings.video_poll_interval_s)
    return wfid


def _task(settings: Settings, task_id: str) -> task_store.TaskView:
    with session_scope(settings) as s:
        task = task_store.get_task(s, task_id)
    if task is None:
        raise LookupError(f"no playground task {task_id}")
    return task


def _progress(settings: Settings, task_id: str, percent: int) -> None:
    with session_scope(settings) as s:
        task_store.mark_running(s, task_id, progress=percent)


# --- frames ---------------------------------------------------------------------------------

def prompt_card(prompt: str, width: int, height: int, out: Path) -> Path:
    """A plain first frame for a try without one: a soft two-colour gradient whose colours
    come from the prompt (the model animates it from the prompt alone)."""
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    colours = np.frombuffer(digest[:6], dtype=np.uint8).astype(np.float32)
    top, bottom = colours[:3] * 0.6 + 60, colours[3:] * 0.4 + 20
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = top * (1 - t) + bottom * t
    pixels = np.broadcast_to(column, (height, width, 3)).astype(np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out


@DBOS.step()
def frames_step(task_id: str) -> tuple[ArtifactKey, ArtifactKey]:
    """The first and last frame of the segment, as artifact keys (the task is running)."""
    settings = get_settings()
    task = _task(settings, task_id)
    _progress(settings, task_id, 5)
    store = artifact_store(settings)
    first = ArtifactKey(task.first_frame) if task.first_frame else None
    if first is None:
        card = ArtifactKey(f"{task_prefix(task.account_id, task_id)}/card.png")
        with store.writing(card) as tmp:
            prompt_card(task.prompt, task.width, task.height, tmp)
        first = card
    last = ArtifactKey(task.last_frame) if task.last_frame else first
    return first, last


# --- the render -----------------------------------------------------------------------------

def default_voice() -> catalog.Voice:
    """The voice a request names (a try speaks no line: it is never heard)."""
    voices = catalog.voices()
    return voices[sorted(voices)[0]]


def segment_request(settings: Settings, task: task_store.TaskView,
                    frames: tuple[ArtifactKey, ArtifactKey],
                    submission: int = 0) -> SegmentRequest:
    """What the video provider is asked for: the same request a job's segment makes, with
    the task's own output path (which keys the vendor call)."""
    store = artifact_store(settings)
    model = catalog.video_models()[task.model_id]
    return SegmentRequest(
        index=0, first_frame=store.path(frames[0]), last_frame=store.path(frames[1]),
        prompt=task.prompt, spoken_line="", language="en", voice=default_voice(),
        duration_s=float(task.duration_s), width=task.width, height=task.height,
        fps=model.fps, model_id=task.model_id, sound=model.supports_sound, seed=task.seed,
        out_path=settings.work_dir / "playground" / task.id / "segment.mp4",
        submission=submission)


def _vendor(providers: ProviderSet, model_id: str) -> str:
    """Who renders ``model_id`` (for metrics and the call record)."""
    video = providers.video
    if not isinstance(video, VideoRouter):
        return provider_vendor(video, providers.name)
    try:
        return video.vendor_for(model_id) or providers.name
    except PermanentProviderError as err:  # chosen without keys: the submit fails alike
        return err.provider or providers.name


def _task_vendor(providers: ProviderSet, vendor_task_id: str) -> str:
    vendor, sep, _ = vendor_task_id.partition(":")
    if sep and vendor in VENDORS:
        return vendor
    video = providers.video
    return providers.name if isinstance(video, VideoRouter) else provider_vendor(
        video, providers.name)


@DBOS.step()
def submit_step(task_id: str, frames: tuple[ArtifactKey, ArtifactKey],
                submission: int = 0) -> str:
    """Submit the segment to the video provider; the vendor task id."""
    settings = get_settings()
    task = _task(settings, task_id)
    providers = build_providers(settings)
    request = segment_request(settings, task, frames, submission)
    vendor_task = call_with_retries(lambda: providers.video.submit(request),
                                    vendor=_vendor(providers, task.model_id))
    vendor, sep, _ = vendor_task.partition(":")
    with session_scope(settings) as s:
        job_store.record_call(
            s, job_id=task_id, run_number=1, capability="video", item="playground",
            provider=vendor if sep and vendor in VENDORS else providers.name,
            units=request.duration_s, unit="second", request_id=vendor_task,
            dedupe_key=f"{ledger_key(task_id)}:video:{submission}")
        task_store.set_vendor_task(s, task_id, vendor_task)
        task_store.mark_running(s, task_id, progress=SUBMITTED_PERCENT)
    return vendor_task


@DBOS.step()
def poll_step(task_id: str, vendor_task: str, polls: int) -> ArtifactKey | None:
    """Poll once; when done, store the segment and return its key."""
    settings = get_settings()
    providers = build_providers(settings)
    result = call_with_retries(lambda: providers.video.poll(vendor_task),
                               vendor=_task_vendor(providers, vendor_task))
    if result.state == "pending":
        # No vendor says how far it is: approach RENDERED_PERCENT as the polls go by.
        span = RENDERED_PERCENT - SUBMITTED_PERCENT
        _progress(settings, task_id, SUBMITTED_PERCENT + int(span * (1 - 0.9 ** polls)))
        return None
    if result.state == "failed" or result.output is None:
        raise PermanentProviderError(
            f"the video provider could not make the segment: {result.error or 'no output'}",
            provider=providers.name, request_id=vendor_task)
    task = _task(settings, task_id)
    key = artifact_store(settings).put_file(video_key(task.account_id, task_id),
                                            result.output)
    _progress(settings, task_id, RENDERED_PERCENT)
    return key


def _render(task_id: str, frames: tuple[ArtifactKey, ArtifactKey],
            poll_interval_s: float) -> ArtifactKey:
    """Submit once, then poll until the vendor is done; a vendor that lost the task gets
    it again (a new task, up to ``MAX_SUBMISSIONS`` in all), as a job's segment does."""
    for submission in range(MAX_SUBMISSIONS):
        vendor_task = submit_step(task_id, frames, submission)
        key: ArtifactKey | None = None
        polls = 0
        try:
            while key is None:
                polls += 1
                key = poll_step(task_id, vendor_task, polls)
                if key is None:
                    DBOS.sleep(poll_interval_s)
        except TaskGoneError:
            continue
        return key
    raise PermanentProviderError(
        f"the video provider lost the task {MAX_SUBMISSIONS} times")


@DBOS.workflow()
def playground_render_workflow(task_id: str, frames: tuple[ArtifactKey, ArtifactKey],
                               poll_interval_s: float) -> ArtifactKey:
    """The render of a try whose model has limits of its own, in a provider slot."""
    return _render(task_id, frames, poll_interval_s)


@DBOS.step()
def complete_step(task_id: str, key: ArtifactKey) -> None:
    """The task completed: its reservation is consumed."""
    settings = get_settings()
    with session_scope(settings) as s:
        task = task_store.get_task(s, task_id)
        assert task is not None
        ledger.settle(s, task.account_id, task_id, reserved=task.credits_reserved,
                      used=task.credits_reserved, key=f"{ledger_key(task_id)}:settle",
                      description=f"playground try {task.model_id}: segment made")
        task_store.finish(s, task_id, video=key, credits_charged=task.credits_reserved)


@DBOS.step()
def fail_step(task_id: str, code: str, message: str) -> None:
    """The task failed: its reservation is released and the reason kept."""
    settings = get_settings()
    with session_scope(settings) as s:
        task = task_store.get_task(s, task_id)
        assert task is not None
        ledger.settle(s, task.account_id, task_id, reserved=task.credits_reserved, used=0,
                      key=f"{ledger_key(task_id)}:settle",
                      description=f"playground try {task.model_id} failed: released")
        task_store.fail(s, task_id, code=code, message=message)


@DBOS.workflow()
def playground_workflow(task_id: str, render_queue: str | None, queue_poll_s: float,
                        video_poll_s: float) -> str:
    """Make one playground segment; ``completed`` or ``failed``."""
    try:
        frames = frames_step(task_id)
        if render_queue is not None:
            handle = get_queue(render_queue).enqueue(playground_render_workflow, task_id,
                                                     frames, video_poll_s)
            key = handle.get_result(polling_interval_sec=queue_poll_s)
        else:
            key = _render(task_id, frames, video_poll_s)
    except DBOSException:
        raise
    except Exception as err:  # the vendor's refusal, a lost frame, FFmpeg: the task says why
        fail_step(task_id, category_of(err), reason_of(err)[:1000])
        return "failed"
    complete_step(task_id, key)
    return "completed"
