"""Bodies of ``/templates``: ``TemplateCreate`` and ``TemplateUpdate`` in, ``TemplatePublic``
out (a bare array when listed, as documented)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ugen.service.templates import (
    TemplateConfig,
    TemplateDescription,
    TemplateName,
    TemplateRecord,
)


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: TemplateName
    description: TemplateDescription | None = None
    config: TemplateConfig = Field(
        description="The job options to reuse; null fields are not stored.")
    is_default: bool = Field(False, description="Make it the account's default (the "
                                                "previous default stops being one).")


class TemplateUpdate(BaseModel):
    """Fields to change; absent ones stay. ``config`` replaces the stored config whole."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: TemplateName | None = None
    description: TemplateDescription | None = Field(None, description="null clears it.")
    config: TemplateConfig | None = None
    is_default: bool | None = None


class TemplatePublic(BaseModel):
    id: str
    name: str
    description: str | None
    config: dict[str, Any] = Field(description="The stored job options, by their Jobs names.")
    is_default: bool
    use_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: TemplateRecord) -> TemplatePublic:
        return cls.model_validate(record.model_dump())
