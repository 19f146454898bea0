"""``/models``: the video models jobs accept, with capabilities and prices, and the
Playground: one segment with any model (``POST /models/{id}/try``), followed as a task
(``GET /models/tasks/{task_id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ugen import catalog
from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.playground_schemas import (
    PlaygroundTaskPublic,
    PlaygroundTryCreate,
    task_public,
)
from ugen.api.schemas import ErrorPublic, ModelCapabilities, ModelPricing, ModelPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.service import playground
from ugen.store.signed_urls import SignedUrlError

router = APIRouter(prefix="/models", tags=["models"], route_class=StrictJsonRoute)


def _public(m: catalog.VideoModel) -> ModelPublic:
    return ModelPublic(
        id=m.id, name=m.name, family=m.family, vendor=m.vendor, tier=m.tier, status=m.status,
        description=m.description, default_duration=m.default_duration,
        capabilities=ModelCapabilities(
            supported_aspect_ratios=list(m.supported_aspect_ratios),
            supported_durations=list(m.supported_durations), resolution=m.resolution,
            fps=m.fps, supports_sound=m.supports_sound, supports_elements=m.supports_elements),
        pricing=ModelPricing(unit=m.pricing_unit, credits_per_unit=m.credits_per_unit),
    )


@router.get("", responses={401: {"model": ErrorPublic}})
def list_models(account: AccountDep) -> list[ModelPublic]:
    """List the available video models (a bare array, not paginated)."""
    return [_public(m) for m in catalog.video_models().values() if m.status != "coming_soon"]


@router.get("/{model_id}", responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def get_model(model_id: str, account: AccountDep) -> ModelPublic:
    """Get one video model."""
    model = catalog.video_models().get(model_id)
    if model is None or model.status == "coming_soon":
        raise ApiError(404, "MODEL_NOT_FOUND", f"no model {model_id!r}",
                       {"available": list(catalog.video_models())})
    return _public(model)


# --- the Playground ---------------------------------------------------------------------------

def _no_model(model_id: str) -> ApiError:
    return ApiError(404, "MODEL_NOT_FOUND", f"no model {model_id!r}",
                    {"available": [m.id for m in catalog.video_models().values()
                                   if m.status != "coming_soon"]})


def _no_task(task_id: str) -> ApiError:
    return ApiError(404, "TASK_NOT_FOUND", f"no playground task {task_id}")


@router.post("/{model_id}/try", status_code=202,
             responses={401: {"model": ErrorPublic}, 402: {"model": ErrorPublic},
                        404: {"model": ErrorPublic}})
def try_model(model_id: str, body: PlaygroundTryCreate, settings: SettingsDep,
              account: AccountDep) -> PlaygroundTaskPublic:
    """Make one segment with the model from a prompt and optional frames (Playground).

    Answers at once with the queued task; follow it with `GET /models/tasks/{task_id}`.
    One segment of the model and duration is reserved now (402 when the balance is short),
    consumed when the task completes and released when it fails."""
    try:
        task = playground.submit_try(settings, account, body.to_request(model_id))
    except playground.ModelNotFoundError:
        raise _no_model(model_id) from None
    except playground.TryOptionError as err:
        raise field_error(err.field, err.message, err.value, reason=err.reason) from None
    return task_public(settings, task)


@router.get("/tasks/{task_id}", responses={401: {"model": ErrorPublic},
                                           404: {"model": ErrorPublic}})
def get_task(task_id: str, settings: SettingsDep, account: AccountDep) -> PlaygroundTaskPublic:
    """A Playground task: status, progress, error, credits and (completed) its video's
    signed URL."""
    try:
        return task_public(settings, playground.get_try(settings, account, task_id))
    except playground.TaskNotFoundError:
        raise _no_task(task_id) from None


@router.get("/tasks/{task_id}/video", response_class=FileResponse,
            responses={200: {
                "description": "The MP4's bytes (`application/octet-stream` is listed first "
                               "so that client generators return the bytes).",
                "content": {t: {"schema": {"type": "string", "format": "binary"}}
                            for t in ("application/octet-stream", "video/mp4")}},
                403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})
def task_video(task_id: str, settings: SettingsDep,
               expires: Annotated[str | None, Query()] = None,
               signature: Annotated[str | None, Query()] = None) -> FileResponse:
    """A Playground task's video, through the signed URL its task gave (no API key: the
    signature is the key); ``Range`` is supported."""
    try:
        path = playground.signed_video(settings, task_id, expires, signature)
    except SignedUrlError as err:
        code = "URL_EXPIRED" if err.reason == "expired" else "INVALID_SIGNATURE"
        raise ApiError(403, code, str(err), {"reason": err.reason}) from None
    except playground.TaskNotFoundError:
        raise _no_task(task_id) from None
    return FileResponse(path, media_type="video/mp4")
