"""``/templates``: an account's reusable job configs (at most 20), listed default first.

A job is made from one with ``template_id`` on ``POST /jobs`` (see :mod:`.jobs`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.api.template_schemas import TemplateCreate, TemplatePublic, TemplateUpdate
from ugen.core.config import Settings
from ugen.service import templates
from ugen.webhooks.urls import UnsafeWebhookUrlError, check_webhook_url

router = APIRouter(prefix="/templates", tags=["templates"], route_class=StrictJsonRoute,
                   responses={401: {"model": ErrorPublic}})
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "No such template of the account."}}


def not_found(template_id: str) -> ApiError:
    return ApiError(404, "TEMPLATE_NOT_FOUND", f"no template {template_id}",
                    {"template_id": template_id})


def _checked_webhook(settings: Settings, config: templates.TemplateConfigBase | None) -> None:
    url = None if config is None else config.stored().get("webhook_url")
    if url is None:
        return
    try:
        check_webhook_url(url, allow_private=settings.allow_private_urls)
    except UnsafeWebhookUrlError as err:
        raise field_error("config.webhook_url", str(err), url, reason=err.reason) from err


@router.get("")
def list_templates(settings: SettingsDep, account: AccountDep,
                   limit: Annotated[int, Query(ge=1, le=100)] = 50) -> list[TemplatePublic]:
    """The account's templates: the default first, then the most used, then latest updated."""
    return [TemplatePublic.of(t) for t in templates.list_templates(settings, account,
                                                                   limit=limit)]


@router.post("", status_code=201, responses={409: {
    "model": ErrorPublic, "description": "`TEMPLATE_LIMIT_REACHED`: the account keeps 20 "
                                         "templates already."}})
def create_template(body: TemplateCreate, settings: SettingsDep,
                    account: AccountDep) -> TemplatePublic:
    """Store a job config to reuse; `is_default` true unsets the previous default."""
    _checked_webhook(settings, body.config)
    try:
        record = templates.create_template(settings, account, name=body.name,
                                           description=body.description, config=body.config,
                                           is_default=body.is_default)
    except templates.TemplateLimitError as err:
        raise ApiError(409, "TEMPLATE_LIMIT_REACHED", str(err),
                       {"max": err.maximum, "current": err.current}) from None
    return TemplatePublic.of(record)


@router.get("/{template_id}", responses=_NOT_FOUND)
def get_template(template_id: str, settings: SettingsDep,
                 account: AccountDep) -> TemplatePublic:
    """One template of the account."""
    try:
        return TemplatePublic.of(templates.template(settings, account, template_id))
    except templates.TemplateNotFoundError:
        raise not_found(template_id) from None


@router.patch("/{template_id}", responses=_NOT_FOUND)
def update_template(template_id: str, body: TemplateUpdate, settings: SettingsDep,
                    account: AccountDep) -> TemplatePublic:
    """Change a template's name, description, config (replaced whole) or default flag."""
    sent = body.model_fields_set
    for required in ("name", "config"):
        if required in sent and getattr(body, required) is None:
            raise field_error(required, "must not be null", None)
    _checked_webhook(settings, body.config)
    changes = templates.TemplateChanges(
        name=body.name, description=body.description,
        clear_description="description" in sent and body.description is None,
        config=None if body.config is None else body.config.stored(),
        is_default=body.is_default)
    try:
        return TemplatePublic.of(templates.update_template(settings, account, template_id,
                                                           changes))
    except templates.TemplateNotFoundError:
        raise not_found(template_id) from None


@router.delete("/{template_id}", status_code=204, response_class=Response,
               responses=_NOT_FOUND)
def delete_template(template_id: str, settings: SettingsDep, account: AccountDep) -> Response:
    """Delete a template; jobs made from it keep their options."""
    try:
        templates.delete_template(settings, account, template_id)
    except templates.TemplateNotFoundError:
        raise not_found(template_id) from None
    return Response(status_code=204)
