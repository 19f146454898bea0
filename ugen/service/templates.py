"""Templates: an account's reusable job configs, and jobs made from them.

A template's ``config`` holds the job's options except the per-job ones (the product, the
idempotency key): :class:`TemplateConfig` has every :class:`~ugen.core.schemas.JobOptions`
field, optional, with the documented alternative names (``output_aspect_ratio``,
``captions_enabled``, ``music_enabled``, ``qai_enabled``). Only the fields a template sets
are stored, by their Jobs names. A job made from a template takes the stored config under
the fields its own request set (:func:`options_with_template`), and the use is counted in
the transaction that creates the job (``prepare``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from ugen.core.config import Settings
from ugen.core.schemas import ONE_LINE, TEXT, JobOptions
from ugen.store import templates as template_store
from ugen.store.db import session_scope
from ugen.store.models import Template
from ugen.store.templates import (
    MAX_TEMPLATES,
    TemplateChanges,
    TemplateLimitError,
    TemplateNotFoundError,
)
from ugen.views import as_utc

__all__ = ["MAX_TEMPLATES", "TemplateChanges", "TemplateConfig", "TemplateConfigBase",
           "TemplateDescription", "TemplateLimitError", "TemplateName",
           "TemplateNotFoundError", "TemplateRecord", "create_template", "delete_template",
           "list_templates", "options_with_template", "qai_mode_of", "template",
           "update_template"]

TemplateName = Annotated[str, Field(min_length=1, max_length=100), ONE_LINE]
TemplateDescription = Annotated[str, Field(max_length=1000), TEXT]

PER_JOB_FIELDS = frozenset({"product_name", "idempotency_key"})
"""Job fields a template never holds: they belong to one job."""
_PLACEHOLDER_NAME = "template"
"""The product name a config is checked with (a template has no product)."""


def qai_mode_of(enabled: bool) -> str:
    """The ``qai_mode`` of the documented ``qai_enabled``: QA always runs here, so "off" is
    the most lenient gate and "on" the documented standard threshold."""
    return "standard" if enabled else "lenient"


def _optional(field: FieldInfo) -> tuple[Any, Any]:
    annotation: Any = field.annotation
    if field.metadata:
        annotation = Annotated[(annotation, *field.metadata)]
    return (annotation | None,
            Field(None, validation_alias=field.validation_alias, description=field.description))


class TemplateConfigBase(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              allow_inf_nan=False)

    qai_enabled: bool | None = Field(
        None, description="Documented alternative to `qai_mode`: true is `standard`, false "
                          "`lenient`; `qai_mode` wins when both are given.")

    @model_validator(mode="before")
    @classmethod
    def _qai_enabled(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("qai_enabled"), bool):
            data = dict(data)
            enabled = data.pop("qai_enabled")
            if data.get("qai_mode") is None:
                data["qai_mode"] = qai_mode_of(enabled)
        return data

    @model_validator(mode="after")
    def _makes_a_job(self) -> TemplateConfigBase:
        """The set fields must make a valid job with any product (catalog names, the
        model's ratios and durations, a script long enough)."""
        try:
            JobOptions.model_validate({"product_name": _PLACEHOLDER_NAME, **self.stored()})
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise PydanticCustomError("job_options", "{where}{message}", {
                "where": f"{where}: " if where else "", "message": message}) from None
        return self

    def stored(self) -> dict[str, Any]:
        """The fields to store: every one set and not null, by its Jobs name."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"qai_enabled"})


TemplateConfig = create_model(  # type: ignore[call-overload]
    "TemplateConfig", __base__=TemplateConfigBase, __module__=__name__,
    __doc__="A template's job options: any field of the create-job body but the product "
            "and the idempotency key; null or absent fields are not stored.",
    **{name: _optional(field) for name, field in JobOptions.model_fields.items()
       if name not in PER_JOB_FIELDS})


class TemplateRecord(BaseModel):
    """A template as its owner sees it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str | None
    config: dict[str, Any]
    is_default: bool
    use_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Template) -> TemplateRecord:
        return cls(id=row.id, name=row.name, description=row.description,
                   config=dict(row.config), is_default=row.is_default,
                   use_count=row.use_count, last_used_at=as_utc(row.last_used_at),
                   created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


def list_templates(settings: Settings, account_id: str, *,
                   limit: int = 50) -> list[TemplateRecord]:
    """The account's templates, default first, then most used, then latest updated."""
    with session_scope(settings) as s:
        return [TemplateRecord.of(t)
                for t in template_store.list_templates(s, account_id, limit=limit)]


def template(settings: Settings, account_id: str, template_id: str) -> TemplateRecord:
    """Raises: TemplateNotFoundError (also for another account's template)."""
    with session_scope(settings) as s:
        return TemplateRecord.of(template_store.get_template(s, account_id, template_id))


def create_template(settings: Settings, account_id: str, *, name: str,
                    description: str | None, config: TemplateConfigBase,
                    is_default: bool = False) -> TemplateRecord:
    """Store a template; as the default it replaces the previous one in one transaction.

    Raises:
        TemplateLimitError: the account keeps :data:`MAX_TEMPLATES` already.
    """
    with session_scope(settings) as s:
        row = template_store.create_template(s, account_id, name=name,
                                             description=description,
                                             config=config.stored(), is_default=is_default)
        return TemplateRecord.of(row)


def update_template(settings: Settings, account_id: str, template_id: str,
                    changes: TemplateChanges) -> TemplateRecord:
    """Raises: TemplateNotFoundError."""
    with session_scope(settings) as s:
        return TemplateRecord.of(
            template_store.update_template(s, account_id, template_id, changes))


def delete_template(settings: Settings, account_id: str, template_id: str) -> None:
    """Raises: TemplateNotFoundError. Jobs made from it keep their options."""
    with session_scope(settings) as s:
        template_store.delete_template(s, account_id, template_id)


def options_with_template(settings: Settings, account_id: str, template_id: str,
                          own_fields: dict[str, Any]) -> JobOptions:
    """The job's options: the template's stored config under the job's own fields.

    Args:
        own_fields: the fields the job's request set explicitly (they win).

    Raises:
        TemplateNotFoundError: no such template of the account.
        pydantic.ValidationError: the merged options make no valid job.
    """
    with session_scope(settings) as s:
        config = dict(template_store.get_template(s, account_id, template_id).config)
    return JobOptions.model_validate({**config, **own_fields})
