"""Bodies of the model Playground (``POST /models/{id}/try``, ``GET /models/tasks/{id}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ugen.core.config import Settings
from ugen.service import playground as service
from ugen.store.playground import TaskView
from ugen.views import as_utc

FRAME_HELP = ("An upload (its `upload_id`, or the `ugen://uploads/<id>` URL that "
              "`POST /uploads/product-image` returned) or an http(s) URL, fetched safely and "
              "kept as an upload.")


class PlaygroundTryCreate(BaseModel):
    """One segment with a model: a prompt, optional frames and the model's options."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=service.MAX_PROMPT_CHARS,
                        description="What happens in the segment.")
    first_frame: str | None = Field(default=None, max_length=2048,
                                    description=f"The first frame. {FRAME_HELP}")
    last_frame: str | None = Field(default=None, max_length=2048,
                                   description=f"The last frame, where the model supports "
                                               f"one. {FRAME_HELP}")
    aspect_ratio: str | None = Field(default=None, max_length=8, description=(
        "One of the model's `supported_aspect_ratios` (default: its first)."))
    duration: int | None = Field(default=None, ge=1, le=60, description=(
        "Seconds; one of the model's `supported_durations` (default: its default)."))
    resolution: str | None = Field(default=None, max_length=8, description=(
        "The model's `resolution` (the only one it renders)."))
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)

    def to_request(self, model_id: str) -> service.TryRequest:
        return service.TryRequest(
            model_id=model_id, prompt=self.prompt, first_frame=self.first_frame,
            last_frame=self.last_frame, aspect_ratio=self.aspect_ratio,
            duration=self.duration, resolution=self.resolution, seed=self.seed)


class PlaygroundError(BaseModel):
    code: str = Field(description="PROVIDER_ERROR, PROVIDER_UNAVAILABLE, CONTENT_POLICY, "
                                  "MEDIA_ERROR or INTERNAL.")
    message: str


class PlaygroundTaskPublic(BaseModel):
    """A playground task and, once completed, its video."""

    task_id: str
    model_id: str
    status: Literal["queued", "running", "completed", "failed"]
    progress_percent: int
    prompt: str
    aspect_ratio: str
    duration: int
    resolution: str
    width: int
    height: int
    credits_reserved: int = Field(description="Credits held for the task at submission.")
    credits_charged: int = Field(description="Credits consumed: the reservation once the "
                                             "task completed, 0 otherwise.")
    error: PlaygroundError | None = None
    video_url: str | None = Field(default=None, description=(
        "The segment (MP4), a signed URL valid for a limited time (ask the task again for "
        "a fresh one); null until the task completed."))
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


def task_public(settings: Settings, task: TaskView) -> PlaygroundTaskPublic:
    error = (PlaygroundError(code=task.error_code, message=task.error_message or "")
             if task.error_code else None)
    return PlaygroundTaskPublic(
        task_id=task.id, model_id=task.model_id, status=task.status,
        progress_percent=task.progress_percent, prompt=task.prompt,
        aspect_ratio=task.aspect_ratio, duration=task.duration_s,
        resolution=task.resolution, width=task.width, height=task.height,
        credits_reserved=task.credits_reserved, credits_charged=task.credits_charged,
        error=error, video_url=service.video_url(settings, task),
        created_at=as_utc(task.created_at), started_at=as_utc(task.started_at),
        finished_at=as_utc(task.finished_at))
