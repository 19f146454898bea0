"""``/models``: the video models jobs accept, with capabilities and prices."""

from __future__ import annotations

from fastapi import APIRouter

from ugen import catalog
from ugen.api.deps import AccountDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic, ModelCapabilities, ModelPricing, ModelPublic
from ugen.api.strict_json import StrictJsonRoute

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
