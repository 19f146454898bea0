"""``/jobs/{job_id}/review``: the keyframes that wait for a reviewer, and the decisions."""

from __future__ import annotations

from fastapi import APIRouter

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError
from ugen.api.review_schemas import ReviewCreate, ReviewPublic
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.service import JobNotFoundError
from ugen.service import review as review_service

router = APIRouter(prefix="/jobs", tags=["review"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


@router.get("/{job_id}/review")
def get_review(job_id: str, settings: SettingsDep, account: AccountDep) -> ReviewPublic:
    """The keyframes that wait for a reviewer (signed image URL, QA score, round) and the
    decisions so far."""
    try:
        return ReviewPublic.of(review_service.review_state(settings, job_id, account))
    except JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None


@router.post("/{job_id}/review", responses={409: {"model": ErrorPublic}})
def post_review(job_id: str, body: ReviewCreate, settings: SettingsDep,
                account: AccountDep) -> ReviewPublic:
    """Approve or reject pending keyframes (a rejection needs a reason). An approved
    keyframe is kept (its segments start at once); a rejected one is made again with the
    reason in its prompt, up to ``human_review_max_rejections`` times, then
    ``human_review_budget`` decides. All decisions are taken, or none (409)."""
    decisions = [review_service.ReviewDecision(d.keyframe, d.approved, d.reason)
                 for d in body.decisions]
    try:
        state = review_service.submit_review(settings, job_id, decisions, account)
    except JobNotFoundError:
        raise ApiError(404, "JOB_NOT_FOUND", f"no job {job_id}") from None
    except review_service.ReviewStateError as err:
        raise ApiError(409, "REVIEW_NOT_PENDING", str(err)) from None
    return ReviewPublic.of(state)
