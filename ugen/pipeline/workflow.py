"""The job workflow: the eight stages in order, each checkpointed, as a recipe of steps.

``prepare`` runs when the job is submitted (validation, estimate, reservation), so the
workflow starts at ``agents`` — or, for a retry, at the chosen stage, reading the outputs of
the stages before it from their stored records.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from dbos import DBOS

from ugen.core.config import get_settings
from ugen.core.types import STAGES, StageName, stage_index
from ugen.pipeline import (
    agents,
    audio,
    captions,
    complete,
    concat,
    generation,
    init,
    posting,
    review,
    state,
)
from ugen.pipeline.context import JobContext
from ugen.pipeline.errors import JobCancelledError, stage_error
from ugen.pipeline.outputs import StageOutput
from ugen.pipeline.queues import JOBS_QUEUE, MEDIA_QUEUE, get_queue
from ugen.pipeline.workfiles import clean_run_work

StageRunner = Callable[[str, int], StageOutput]

# FFmpeg-heavy stages run on the media queue, so `ugen worker --queue media` processes (on
# machines with cores to spare) take that work while other workers wait on vendors.
MEDIA_RUNNERS: dict[StageName, StageRunner] = {
    "concat": concat.run_concat,
    "audio": audio.run_audio,
    "complete": complete.run_complete,
}


@DBOS.workflow()
def media_stage_workflow(job_id: str, run_number: int, stage: str) -> StageOutput:
    """One FFmpeg-heavy stage's steps, run by whichever worker serves the media queue."""
    output = MEDIA_RUNNERS[stage](job_id, run_number)  # type: ignore[index]
    clean_work_step(job_id, run_number)
    return output


@DBOS.step()
def clean_work_step(job_id: str, run_number: int) -> int:
    """Remove the run's scratch on this worker (the stage's outputs are stored); bytes freed.

    The last step of :func:`media_stage_workflow`, so a media worker on another machine
    cleans its own disk; workflows recorded before it replay unchanged.
    """
    return clean_run_work(get_settings(), job_id, run_number)


def _on_media_queue(stage: StageName) -> StageRunner:
    def run(job_id: str, run_number: int) -> StageOutput:
        handle = get_queue(MEDIA_QUEUE).enqueue(media_stage_workflow, job_id, run_number, stage)
        # DBOS polls for a child's result once a second by default: far too slow a hop.
        poll = get_settings().queue_polling_interval_s
        return handle.get_result(polling_interval_sec=poll)

    return run


RUNNERS: dict[StageName, StageRunner] = {
    "agents": agents.run_agents,
    "init": init.run_init,
    "generation": generation.run_generation,
    "concat": _on_media_queue("concat"),
    "audio": _on_media_queue("audio"),
    "captions": captions.run_captions,
    "complete": _on_media_queue("complete"),
}


# What each stage makes, named in its error when the failure does not name an item itself.
STAGE_ITEMS: dict[StageName, str] = {
    "agents": "script", "init": "keyframe 0 (anchor)", "generation": "keyframes and segments",
    "concat": "segment join", "audio": "soundtrack", "captions": "captions",
    "complete": "final video",
}


@DBOS.workflow()
def stage_workflow(job_id: str, run_number: int, stage: str) -> StageOutput:
    """One stage of a job with human review, in a slot of the jobs queue."""
    return RUNNERS[stage](job_id, run_number)  # type: ignore[index]


def _in_job_slot(stage: StageName) -> StageRunner:
    def run(job_id: str, run_number: int) -> StageOutput:
        handle = get_queue(JOBS_QUEUE).enqueue(stage_workflow, job_id, run_number, stage)
        return handle.get_result(polling_interval_sec=get_settings().queue_polling_interval_s)

    return run


# A job with human review runs on the review queue, where it may wait for a reviewer for
# hours: what its stages do in-process holds a jobs-queue slot (a child workflow), its
# waits hold none. ``generation`` only schedules children (keyframes on the image queue,
# segments on the video queues, the waits on the review queue), so it runs in the parent.
REVIEWED_RUNNERS: dict[StageName, StageRunner] = {
    **RUNNERS,
    "agents": _in_job_slot("agents"),
    "init": review.run_init_reviewed,
    "captions": _in_job_slot("captions"),
}


@DBOS.workflow()
def reviewed_job_workflow(job_id: str, run_number: int, from_stage: str) -> str:
    """:func:`job_workflow` of a job with human review (on the review queue)."""
    return _run_job(job_id, run_number, from_stage, REVIEWED_RUNNERS)


@DBOS.workflow()
def job_workflow(job_id: str, run_number: int, from_stage: str) -> str:
    """Run the job from ``from_stage``; return its final status."""
    return _run_job(job_id, run_number, from_stage, RUNNERS)


def _run_job(job_id: str, run_number: int, from_stage: str,
             runners: dict[StageName, StageRunner]) -> str:
    if not state.begin_run_step(job_id, run_number):
        return "cancelled"
    stop_at = stop_at_stage_step(job_id, run_number)
    start = max(stage_index(from_stage), stage_index("agents"))
    if stop_at is not None and stage_index(stop_at) < start:
        stop_at = None  # a retry past the stop continues the job to the end
    for stage in STAGES[start:]:
        state.stage_started_step(job_id, run_number, stage)
        try:
            outputs = runners[stage](job_id, run_number)
        except JobCancelledError:
            state.cancelled_step(job_id, run_number)
            return "cancelled"
        except Exception as error:  # the stage failed: record why, settle credits
            DBOS.logger.warning("job %s stage %s failed: %s\n%s", job_id, stage, error,
                                traceback.format_exc(limit=5))
            state.stage_failed_step(job_id, run_number, stage,
                                    stage_error(STAGE_ITEMS[stage], error))
            return "failed"
        state.stage_completed_step(job_id, run_number, stage, outputs)
        if stage == stop_at:
            state.job_finished_step(job_id, run_number, "stopped")
            return "stopped"
    state.job_finished_step(job_id, run_number, "completed")
    # ``auto_post``: one durable post workflow per platform, keyed by job id and platform,
    # so a retried or replayed end of the job never posts twice.
    for post_id in posting.auto_post_step(job_id, run_number):
        posting.start_post(post_id)
    return "completed"


@DBOS.step()
def stop_at_stage_step(job_id: str, run_number: int) -> StageName | None:
    return JobContext(job_id, run_number).options.stop_at_stage


def workflow_id_for(job_id: str, run_number: int) -> str:
    return f"job-{job_id}-run{run_number}"
