"""Run jobs in the test process and wait for them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.core.types import TERMINAL_STATUSES

# The smallest real job: Kling allows 3 s segments.
SMALL = {"video_model": "kling3_std", "segment_duration": 3, "segment_count": 2}


def submit(settings: Settings, image: Path, **fields: Any) -> str:
    account = service.ensure_default_account(settings)
    options = JobOptions.model_validate({"product_name": "Glow Serum", **SMALL, **fields})
    return service.submit_job(settings, account_id=account, options=options, image=image)


def wait(settings: Settings, job_id: str, *, timeout: float = 240.0,
         until: frozenset[str] = frozenset(TERMINAL_STATUSES)) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = service.job_view(settings, job_id)
        if view["status"] in until:
            return view
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} still {service.job_view(settings, job_id)['status']}")


def stage(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in view["stages"] if s["stage"] == name)
