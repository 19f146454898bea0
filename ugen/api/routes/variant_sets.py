"""``/variant-sets``: an ad-variant matrix (every hook x body x CTA as a job), its estimate,
and its jobs' progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ugen.api.deps import AccountDep, PageQ, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.routes.uploads import product_image_path
from ugen.api.schemas import ErrorPublic, total_pages
from ugen.api.strict_json import StrictJsonRoute
from ugen.api.variant_schemas import (
    SetEstimate,
    VariantSetCreate,
    VariantSetPublic,
    VariantSetsPublic,
)
from ugen.core.schemas import JobOptions
from ugen.service import variant_sets as variants
from ugen.store.limits import JobLimits
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(prefix="/variant-sets", tags=["variant-sets"],
                   responses={401: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


def _lines(body: VariantSetCreate) -> variants.Lines:
    return variants.Lines(tuple(body.hooks), tuple(body.bodies), tuple(body.ctas),
                          tuple(body.aspect_ratios))


def _base(body: VariantSetCreate) -> JobOptions:
    return JobOptions.model_validate(body.shared_fields())


def _unprocessable(err: variants.VariantSetError, body: VariantSetCreate) -> Exception:
    return field_error(err.field, str(err), getattr(body, err.field, None),
                       reason="variant_set")


@router.post("/estimate", responses={422: {"model": ErrorPublic}})
def estimate_variant_set(body: VariantSetCreate, settings: SettingsDep,
                         account: AccountDep) -> SetEstimate:
    """Price every combination as the set makes it, and the saving against as many
    independent jobs (nothing is reserved or created; the image is not fetched)."""
    try:
        return variants.plan_set(settings, _base(body), _lines(body)).estimate
    except variants.VariantSetError as err:
        raise _unprocessable(err, body) from None


@router.post("", status_code=201,
             responses={200: {"model": VariantSetPublic, "description": "The set of a "
                              "repeated idempotency_key with the same body."},
                        402: {"model": ErrorPublic}, 409: {"model": ErrorPublic}})
def create_variant_set(body: VariantSetCreate, response: Response, settings: SettingsDep,
                       account: AccountDep) -> VariantSetPublic:
    """Create a job for every combination of the lines; reserve each at its independent
    price (what the set does not spend is released as each job ends)."""
    if body.webhook_url is not None:
        try:
            check_webhook_url(body.webhook_url, allow_private=settings.allow_private_urls)
        except UnsafeWebhookUrlError as err:
            raise field_error("webhook_url", str(err), body.webhook_url,
                              reason=err.reason) from err
    base, lines = _base(body), _lines(body)
    try:
        variants.plan_set(settings, base, lines)  # refuse bad lines before any fetch
    except variants.VariantSetError as err:
        raise _unprocessable(err, body) from None
    image = product_image_path(settings, account, body.product_image_url)
    try:
        set_id, created = variants.create_set(
            settings, account_id=account, base=base, lines=lines, image=image,
            idempotency_key=body.idempotency_key,
            request_hash=body.set_request_hash() if body.idempotency_key else None,
            limits=JobLimits(max_concurrent=settings.max_concurrent_jobs,
                             max_daily=settings.max_daily_jobs))
    except variants.VariantSetError as err:
        raise _unprocessable(err, body) from None
    except variants.VariantSetConflictError as err:
        raise ApiError(409, "IDEMPOTENCY_CONFLICT", str(err),
                       {"variant_set_id": err.set_id}) from None
    if not created:
        response.status_code = 200
    return _load(settings, account, set_id)


def _load(settings: SettingsDep, account: str, set_id: str) -> VariantSetPublic:
    try:
        view = variants.variant_set_view(settings, set_id, account)
    except variants.VariantSetNotFoundError:
        raise ApiError(404, "VARIANT_SET_NOT_FOUND", f"no variant set {set_id}") from None
    return VariantSetPublic.model_validate(view.model_dump())


@router.get("")
def list_variant_sets(settings: SettingsDep, account: AccountDep, page: PageQ = 1,
                      page_size: Annotated[int, Query(ge=1, le=100)] = 20
                      ) -> VariantSetsPublic:
    """The account's variant sets, newest first."""
    items, total = variants.list_variant_sets(settings, account, page=page,
                                              page_size=page_size)
    return VariantSetsPublic(items=items, total=total, page=page, page_size=page_size,
                             total_pages=total_pages(total, page_size))


@router.get("/{variant_set_id}")
def get_variant_set(variant_set_id: str, settings: SettingsDep,
                    account: AccountDep) -> VariantSetPublic:
    """The set: its lines, estimate, and each combination with its job's status."""
    return _load(settings, account, variant_set_id)
