"""Run jobs in the test process and wait for them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.core.types import TERMINAL_STATUSES
from ugen.pipeline.outputs import OutputT
from ugen.store.artifacts import ArtifactKey, artifact_store

# The smallest real job: Kling allows 3 s segments.
SMALL = {"video_model": "kling3_std", "segment_duration": 3, "segment_count": 2}


def submit(settings: Settings, image: Path, **fields: Any) -> str:
    account = service.ensure_default_account(settings)
    options = JobOptions.model_validate({"product_name": "Glow Serum", **SMALL, **fields})
    return service.submit_job(settings, account_id=account, options=options, image=image).id


def view(settings: Settings, job_id: str) -> dict[str, Any]:
    """The job as ``ugen show --json`` reports it, flattened for tests: the job view's fields,
    its stages with what they made (``stage`` names each), every attempt, the provider calls
    and the local paths of its files."""
    report = service.job_report(settings, job_id)
    stages = [{**d.model_dump(mode="json"), "stage": d.name} for d in report.stages]
    return {**report.job.model_dump(mode="json"), "stages": stages,
            "attempts": [a.model_dump(mode="json") for d in report.stages for a in d.attempts],
            "provider_calls": report.provider_calls,
            "final_video_path": report.final_video_path,
            "thumbnail_path": report.thumbnail_path}


def wait(settings: Settings, job_id: str, *, timeout: float = 240.0,
         until: frozenset[str] = frozenset(TERMINAL_STATUSES)) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.job_view(settings, job_id).status in until:
            return view(settings, job_id)
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} still {service.job_view(settings, job_id).status}")


def stage(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in view["stages"] if s["stage"] == name)


def output(settings: Settings, job_id: str, model: type[OutputT]) -> OutputT:
    """What a finished stage of the job made, typed."""
    return service.stage_output(settings, job_id, model)


def path_of(settings: Settings, key: str) -> Path:
    return artifact_store(settings).path(ArtifactKey(key))
