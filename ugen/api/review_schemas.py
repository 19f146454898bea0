"""Bodies of ``/jobs/{job_id}/review``: a reviewer's decisions on keyframes, and what waits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ugen.core.schemas import ONE_LINE
from ugen.service.review import ReviewState

Reason = Annotated[str, Field(min_length=1, max_length=500), ONE_LINE]


class ReviewDecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    keyframe: Annotated[int, Field(ge=0, le=64)] = Field(
        description="The keyframe's index (0 is the anchor).")
    approved: bool
    reason: Reason | None = Field(
        None, description="Why (required to reject): a rejected keyframe is made again with "
                          "it in its prompt.")

    @model_validator(mode="after")
    def _reason_to_reject(self) -> ReviewDecisionCreate:
        if not self.approved and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: Annotated[list[ReviewDecisionCreate], Field(min_length=1, max_length=65)]


class PendingKeyframePublic(BaseModel):
    keyframe: int
    round: int = Field(description="0 for the first image shown, one more per rejection.")
    attempt: int = Field(description="The generation attempt that made the image.")
    qa_score: float
    image_url: str = Field(description="Signed, like every media URL of the API.")
    since: datetime


class ReviewedKeyframePublic(BaseModel):
    keyframe: int
    round: int
    attempt: int
    qa_score: float
    decision: Literal["approved", "rejected", "timed_out"]
    reason: str | None
    decided_at: datetime | None


class ReviewPublic(BaseModel):
    job_id: str
    status: str
    human_review_max_rejections: int
    human_review_budget: Literal["accept_best", "fail"]
    pending: list[PendingKeyframePublic]
    decided: list[ReviewedKeyframePublic]

    @classmethod
    def of(cls, state: ReviewState) -> ReviewPublic:
        return cls.model_validate({
            "job_id": state.job_id, "status": state.status,
            "human_review_max_rejections": state.max_rejections,
            "human_review_budget": state.budget,
            "pending": [vars(p) for p in state.pending],
            "decided": [vars(d) for d in state.decided]})
