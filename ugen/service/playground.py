"""The model Playground: try any catalog model on one segment, priced and billed like a
segment of a job.

:func:`submit_try` checks the options against the model's catalog entry, resolves the frames
(uploads of the account, or http(s) URLs fetched safely and kept as uploads), prices one
segment of that model and duration, reserves the credits and the task row in one
transaction, and queues the task's workflow (:mod:`ugen.pipeline.playground`), which
consumes the reservation on success and releases it on failure.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ugen import catalog
from ugen.core.config import Settings
from ugen.net import FetchError
from ugen.pipeline import runtime
from ugen.pipeline.playground import ledger_key, start_task
from ugen.pipeline.prepare import JobValidationError
from ugen.service.uploads import fetch_product_image
from ugen.store import ledger
from ugen.store import playground as task_store
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.signed_urls import sign_stored, verify

UPLOAD_SCHEME = "ugen://uploads/"
TASKS_PREFIX = "/api/v1/models/tasks"
MAX_PROMPT_CHARS = 2500
SHORT_SIDE: dict[str, int] = {"720p": 720, "1080p": 1080, "4k": 2160}
"""The short side of a render at each catalog resolution."""
LAST_FRAME_VENDORS = frozenset({"google", "kuaishou"})
"""Catalog vendors whose adapters take a last frame (Kling ``image_tail``, Veo
``lastFrame``)."""

FrameField = Literal["first_frame", "last_frame"]


class ModelNotFoundError(LookupError):
    """No such (available) model."""


class TaskNotFoundError(LookupError):
    """No such task, or another account's (the two are not told apart)."""


class TryOptionError(ValueError):
    """An option the model does not allow, or a frame that cannot be used (HTTP 422)."""

    def __init__(self, field: str, message: str, value: object, reason: str) -> None:
        super().__init__(f"{field} {message}")
        self.field = field
        self.message = message
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class TryRequest:
    """A playground try as asked for (frames as given: upload id, upload URL or URL)."""

    model_id: str
    prompt: str
    first_frame: str | None = None
    last_frame: str | None = None
    aspect_ratio: str | None = None
    duration: int | None = None
    resolution: str | None = None
    seed: int | None = None


def available_model(model_id: str) -> catalog.VideoModel:
    """Raises: ModelNotFoundError."""
    model = catalog.video_models().get(model_id)
    if model is None or model.status == "coming_soon":
        raise ModelNotFoundError(model_id)
    return model


def supports_last_frame(model: catalog.VideoModel) -> bool:
    return model.vendor in LAST_FRAME_VENDORS


def try_price(model: catalog.VideoModel, duration: int) -> int:
    """Credits of one segment of ``model`` lasting ``duration`` seconds (the video line of a
    job's estimate, :func:`ugen.core.estimate.estimate`, for one segment)."""
    if model.pricing_unit == "second":
        return duration * model.credits_per_unit
    return model.credits_per_unit


def render_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """Width and height of a render (``auto`` renders vertical, as a job does)."""
    short = SHORT_SIDE.get(resolution.lower(), 1080)
    long = short * 16 // 9
    long += long % 2
    return {"16:9": (long, short), "1:1": (short, short)}.get(aspect_ratio, (short, long))


@dataclass(frozen=True)
class CheckedOptions:
    aspect_ratio: str
    duration: int
    resolution: str


def check_options(model: catalog.VideoModel, req: TryRequest) -> CheckedOptions:
    """The try's options, each one the model allows (its default where not given).

    Raises:
        TryOptionError
    """
    prompt = req.prompt.strip()
    if not prompt or len(req.prompt) > MAX_PROMPT_CHARS:
        raise TryOptionError("prompt", f"must be 1 to {MAX_PROMPT_CHARS} characters",
                             req.prompt[:80], "invalid_prompt")
    aspect = req.aspect_ratio or model.supported_aspect_ratios[0]
    if aspect not in model.supported_aspect_ratios:
        raise TryOptionError("aspect_ratio", f"must be one of "
                             f"{', '.join(model.supported_aspect_ratios)} for {model.id}",
                             aspect, "unsupported_aspect_ratio")
    duration = req.duration if req.duration is not None else model.default_duration
    if duration not in model.supported_durations:
        raise TryOptionError("duration", f"must be one of "
                             f"{', '.join(map(str, model.supported_durations))} s for "
                             f"{model.id}", duration, "unsupported_duration")
    resolution = req.resolution or model.resolution
    if resolution.lower() != model.resolution.lower():
        raise TryOptionError("resolution", f"must be {model.resolution} for {model.id}",
                             resolution, "unsupported_resolution")
    if req.last_frame is not None and not supports_last_frame(model):
        raise TryOptionError("last_frame", f"is not supported by {model.id}",
                             req.last_frame, "last_frame_unsupported")
    return CheckedOptions(aspect, duration, model.resolution)


def _upload_key(settings: Settings, account_id: str, upload_id: str,
                field: FrameField) -> str:
    try:
        canonical = str(uuid.UUID(upload_id))
    except ValueError:
        canonical = ""
    found = (sorted(o.key for o in artifact_store(settings).iter_keys(
        f"uploads/{account_id}/{canonical}.")) if canonical and canonical == upload_id
        else [])
    if not found:
        raise TryOptionError(field, "is no upload of this account; upload the image again",
                             upload_id, "upload_not_found")
    return found[0]


def frame_key(settings: Settings, account_id: str, value: str, field: FrameField) -> str:
    """The artifact key of a frame given as an upload id, an upload URL, or an http(s) URL
    (fetched safely and kept as an upload).

    Raises:
        TryOptionError
    """
    if value.startswith(("https://", "http://")):
        try:
            stored = fetch_product_image(settings, account_id, value)
        except FetchError as err:
            raise TryOptionError(field, f"could not be fetched: {err}", value,
                                 err.reason) from err
        except JobValidationError as err:
            raise TryOptionError(field, f"is not an acceptable image: {err.message}", value,
                                 "invalid_image") from err
        return _upload_key(settings, account_id, stored.upload_id, field)
    return _upload_key(settings, account_id, value.removeprefix(UPLOAD_SCHEME), field)


def submit_try(settings: Settings, account_id: str, req: TryRequest) -> task_store.TaskView:
    """Check, price, reserve and queue one playground try; the queued task.

    Raises:
        ModelNotFoundError, TryOptionError, ledger.InsufficientCreditsError
    """
    model = available_model(req.model_id)
    opts = check_options(model, req)
    first = (frame_key(settings, account_id, req.first_frame, "first_frame")
             if req.first_frame else None)
    last = (frame_key(settings, account_id, req.last_frame, "last_frame")
            if req.last_frame else None)
    width, height = render_size(opts.aspect_ratio, opts.resolution)
    credits = try_price(model, opts.duration)
    task_id = str(uuid.uuid4())
    spec = task_store.TaskSpec(
        task_id=task_id, account_id=account_id, model_id=model.id, prompt=req.prompt,
        aspect_ratio=opts.aspect_ratio, duration_s=opts.duration, resolution=opts.resolution,
        width=width, height=height,
        seed=req.seed if req.seed is not None else secrets.randbelow(2**31),
        first_frame=first, last_frame=last, credits=credits)
    if runtime.active_role() is None:
        runtime.start(settings, role="client")
    with session_scope(settings) as s:
        task_store.add_task(s, spec)
        ledger.reserve(s, account_id, task_id, credits, key=f"{ledger_key(task_id)}:reserve",
                       description=f"playground try {model.id}: {opts.duration} s "
                                   f"{opts.resolution} {opts.aspect_ratio}")
    start_task(settings, task_id, model.id)
    return get_try(settings, account_id, task_id)


def get_try(settings: Settings, account_id: str, task_id: str) -> task_store.TaskView:
    """Raises: TaskNotFoundError (also for another account's task)."""
    with session_scope(settings) as s:
        task = task_store.get_task(s, task_id)
    if task is None or task.account_id != account_id:
        raise TaskNotFoundError(task_id)
    return task


def recent_tries(settings: Settings, account_id: str, *,
                 limit: int = 10) -> list[task_store.TaskView]:
    with session_scope(settings) as s:
        return task_store.list_tasks(s, account_id, limit=limit)


# --- the video's signed URL (the same HMAC scheme as job files' URLs) -----------------------

def video_path(task_id: str) -> str:
    return f"{TASKS_PREFIX}/{task_id}/video"


def video_url(settings: Settings, task: task_store.TaskView, *,
              now: float | None = None) -> str | None:
    """The finished video's URL, valid ``download_url_ttl_s``: the store's presigned URL
    (S3), else this API's ``/models/tasks/{id}/video`` URL signed like ``/files`` URLs
    (:func:`ugen.store.signed_urls.verify` checks it); None before the task completed."""
    if task.video is None or task.status != "completed":
        return None
    return sign_stored(settings, ArtifactKey(task.video), video_path(task.id),
                       filename=f"playground-{task.id}.mp4", now=now)


def signed_video(settings: Settings, task_id: str, expires: str | None,
                 signature: str | None) -> Path:
    """The video file a signed URL names.

    Raises:
        ugen.store.signed_urls.SignedUrlError: missing, altered or expired signature;
        TaskNotFoundError: no such task, or no video (yet).
    """
    verify(settings, video_path(task_id), expires, signature)
    with session_scope(settings) as s:
        task = task_store.get_task(s, task_id)
    if task is None or task.video is None:
        raise TaskNotFoundError(task_id)
    path = artifact_store(settings).path(ArtifactKey(task.video))
    if not path.is_file():
        raise TaskNotFoundError(task_id)
    return path
