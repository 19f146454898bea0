"""A finished job's wall time against its ideal schedule, read from the DBOS checkpoints.

DBOS records every step of every workflow with its start and end (``operation_outputs``),
and which child workflow each start and each wait is about. The ideal schedule replays a
job's workflows with zero time between steps: each workflow is one thread that runs its
steps back to back in the order they ran; a child workflow starts the moment its parent
started it (no queue hop) and a wait for it ends when the child's own ideal run ends; a
simulated video render is ready exactly its drawn latency after its submission (read from
the task id, which carries the ready time) and its result is taken at once (no polling
interval). Steps keep the durations they really took (vendor latency of a keyframe, QA,
FFmpeg work), so the ratio wall / ideal is the orchestration's share: queue hops, polling,
checkpoints, dispatch. Same instance, same order of decisions, zero overhead.
"""

from __future__ import annotations

import base64
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL_STEP = "segment_poll_step"
SUBMIT_STEP = "segment_submit_step"


@dataclass(frozen=True)
class JobTiming:
    job_id: str
    started: float
    """Epoch seconds its workflow started (dequeued by a worker)."""
    finished: float
    queued_s: float
    """From submission to a worker taking the job."""
    wall_s: float
    ideal_s: float
    ad_seconds: float


@dataclass(frozen=True)
class FfmpegCall:
    argv: str
    cpu_s: float
    vendor_sim: bool
    """FFmpeg work of the simulated vendor (the local stand-in encoding a segment and its
    voice), which a real vendor does on its own machines."""


@dataclass(frozen=True)
class Op:
    function_id: int
    name: str
    child: str | None
    started_ms: int | None
    completed_ms: int | None
    output: Any


def _decode(raw: str | None) -> Any:
    """A step's output as DBOS stored it (base64 pickle); None when unreadable."""
    if raw is None:
        return None
    try:
        return pickle.loads(base64.b64decode(raw))  # our own benchmark's database
    except Exception:  # an output this benchmark does not need
        return None


def _ready_delay_s(submitted: Any, submit_end_ms: int) -> float:
    """The simulated render's latency: its task id is ``sim:<ready epoch s>:<inner id>``."""
    task_id = str(getattr(submitted, "task_id", ""))
    if not task_id.startswith("sim:"):
        return 0.0
    return max(0.0, float(task_id.split(":", 2)[1]) - submit_end_ms / 1000)


class IdealSchedule:
    """The ideal end of each workflow of one job (see the module docstring)."""

    def __init__(self, ops: dict[str, list[Op]]) -> None:
        self.ops = ops

    def end(self, workflow_id: str, start: float) -> float:
        t = start
        child_start: dict[str, float] = {}
        ready: float | None = None
        for op in self.ops.get(workflow_id, []):
            if op.name == "DBOS.getResult" and op.child:
                t = max(t, self.end(op.child, child_start.get(op.child, t)))
                continue
            if op.child:  # a child workflow started (or enqueued) here
                child_start[op.child] = t
                continue
            if op.name.startswith("DBOS.") or op.started_ms is None or op.completed_ms is None:
                continue  # waits and sleeps are what the ideal leaves out
            duration = (op.completed_ms - op.started_ms) / 1000
            if op.name == SUBMIT_STEP:
                t += duration
                ready = t + _ready_delay_s(op.output, op.completed_ms)
            elif op.name == POLL_STEP:
                if op.output is None:
                    continue  # still rendering: the ideal takes the result when it is ready
                t = max(t, ready if ready is not None else t) + duration
            else:
                t += duration
        return t


def job_timings(db_url: str, ids: list[str]) -> tuple[list[JobTiming], list[str]]:
    """Timings of the completed jobs among ``ids`` and the ids of the others.

    ``db_url`` is a SQLAlchemy URL of the database holding both U-Gen's and DBOS's tables.
    """
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            jobs = conn.execute(text(
                "SELECT j.id, j.status, j.workflow_id, s.outputs FROM jobs j LEFT JOIN "
                "job_stages s ON s.job_id = j.id AND s.stage = 'complete' WHERE j.id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all()
            flows = {r.workflow_uuid: r for r in conn.execute(text(
                "SELECT workflow_uuid, created_at, started_at_epoch_ms, updated_at "
                "FROM dbos.workflow_status")).all()}
            ops: dict[str, list[Op]] = {}
            for r in conn.execute(text(
                    "SELECT workflow_uuid, function_id, function_name, child_workflow_id, "
                    "started_at_epoch_ms, completed_at_epoch_ms, output "
                    "FROM dbos.operation_outputs ORDER BY workflow_uuid, function_id")).all():
                keep = r.function_name in (SUBMIT_STEP, POLL_STEP)
                ops.setdefault(r.workflow_uuid, []).append(Op(
                    r.function_id, r.function_name, r.child_workflow_id,
                    r.started_at_epoch_ms, r.completed_at_epoch_ms,
                    _decode(r.output) if keep else None))
    finally:
        engine.dispose()
    schedule = IdealSchedule(ops)
    timings: list[JobTiming] = []
    failed: list[str] = []
    for job in jobs:
        flow = flows.get(job.workflow_id)
        if job.status != "completed" or flow is None or flow.started_at_epoch_ms is None:
            failed.append(job.id)
            continue
        started = flow.started_at_epoch_ms / 1000
        finished = flow.updated_at / 1000
        timings.append(JobTiming(
            job_id=job.id, started=started, finished=finished,
            queued_s=started - flow.created_at / 1000, wall_s=finished - started,
            ideal_s=schedule.end(job.workflow_id, started) - started,
            ad_seconds=float((job.outputs or {}).get("duration_s", 0.0))))
    return timings, failed


def _clock_s(text: str) -> float:
    minutes, _, seconds = text.rstrip("s").partition("m")
    return int(minutes) * 60 + float(seconds)


def read_ffmpeg_log(log_dir: Path) -> list[FfmpegCall]:
    """The FFmpeg calls the benchmark's wrapper recorded: argv, then bash ``times``."""
    calls: list[FfmpegCall] = []
    for path in log_dir.iterdir():
        lines = path.read_text(errors="replace").splitlines()
        if len(lines) < 3:
            continue  # cut short (the worker was killed)
        argv = "\n".join(lines[:-2])
        user, system = lines[-1].split()
        # The local stand-in works in its tasks dir (older versions: beside the segment).
        vendor_sim = "/video-tasks/" in argv or ("-i pipe:0" in argv and "/segments/." in argv)
        calls.append(FfmpegCall(argv, _clock_s(user) + _clock_s(system), vendor_sim))
    return calls
