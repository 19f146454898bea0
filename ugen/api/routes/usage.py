"""``/jobs/{job_id}/usage``: the billable units a job used, against its estimate."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ugen import service
from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.routes.jobs import owned_job
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute

router = APIRouter(prefix="/jobs", tags=["jobs"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


class UsagePublic(BaseModel):
    estimated_units: float | None = Field(
        description="Units the job was expected to use with no retries (null: unknown "
                    "before the script exists).")
    units: float = Field(description="Units the providers' calls actually billed.")
    unit: str
    calls: int
    providers: list[str]


class JobUsagePublic(BaseModel):
    job_id: str
    usage: dict[str, UsagePublic] = Field(
        description="Per capability: script, keyframe, video, voice, music.")


@router.get("/{job_id}/usage")
def get_job_usage(job_id: str, settings: SettingsDep, account: AccountDep) -> JobUsagePublic:
    """Estimated versus actual billable units (seconds of video, images, characters)."""
    owned_job(settings, account, job_id)
    rows = service.job_usage(settings, job_id)
    return JobUsagePublic(job_id=job_id,
                          usage={k: UsagePublic(**v) for k, v in rows.items()})
