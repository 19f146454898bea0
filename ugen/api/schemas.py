"""Request and response bodies of the HTTP API (``...Create`` in, ``...Public`` out)."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ugen.core.schemas import ONE_LINE, JobOptions
from ugen.core.types import QaiMode, StageName
from ugen.net.addresses import UnsafeUrlError, split_url
from ugen.service.account import LedgerLine
from ugen.service.templates import qai_mode_of
from ugen.views import (
    CostComponentPublic,
    EstimatePublic,
    JobPublic,
    StageDetailPublic,
    StagePublic,
    as_utc,
    estimate_public,
)

__all__ = ["CostComponentPublic", "EstimatePublic", "JobPublic", "StageDetailPublic",
           "StagePublic", "as_utc", "estimate_public"]

UPLOAD_SCHEME = "ugen://uploads/"


def upload_url(upload_id: str) -> str:
    return f"{UPLOAD_SCHEME}{upload_id}"


def upload_id_of(url: str) -> str | None:
    """The upload id of a ``ugen://uploads/<uuid>`` URL, or None for any other URL."""
    if not url.startswith(UPLOAD_SCHEME):
        return None
    raw = url.removeprefix(UPLOAD_SCHEME)
    try:
        parsed = uuid.UUID(raw)
    except ValueError:
        return None
    return str(parsed) if str(parsed) == raw else None


# --- errors (documented shape; used in the OpenAPI responses) ------------------------------

class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorPublic(BaseModel):
    error: ErrorBody


# --- uploads ---------------------------------------------------------------------------------

class UploadPublic(BaseModel):
    upload_id: str
    url: str = Field(description="Pass it as `product_image_url` of `POST /jobs`.")
    content_type: str
    width: int
    height: int
    size_bytes: int


# --- jobs ------------------------------------------------------------------------------------

_NOT_OPTIONS = frozenset({"product_image_url", "template_id", "qai_enabled"})
"""Fields of the create-job body that are not the job's options."""


class TemplatedOptions(JobOptions):
    """Job options that may name a template: its config fills what the body does not set."""

    template_id: Annotated[str, Field(max_length=64), ONE_LINE] | None = Field(
        None, description="A template of the account (`GET /templates`): its config is "
                          "taken for every field this body does not set.")
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
    def _fits_model(self) -> TemplatedOptions:
        # With a template, the options are checked once merged with its config.
        if self.template_id is None:
            JobOptions._fits_model(self)  # type: ignore[operator]  # the parent check
        return self

    def own_fields(self) -> dict[str, Any]:
        """The job options this body set itself (they win over a template's config)."""
        return self.model_dump(include=self.model_fields_set - _NOT_OPTIONS)

    def to_options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(exclude=set(_NOT_OPTIONS)))


class JobCreate(TemplatedOptions):
    """The create-job body: the job's options and the product image."""

    product_image_url: str = Field(
        max_length=2000,
        description="`url` of an upload from `POST /api/v1/uploads/product-image`, or an "
                    "http(s) URL of a JPEG, PNG, WebP or GIF image on a public host, fetched "
                    "when the job is created.")

    @field_validator("product_image_url")
    @classmethod
    def _image_url(cls, value: str) -> str:
        if value.startswith(UPLOAD_SCHEME):
            if upload_id_of(value) is None:
                raise ValueError("an upload URL is ugen://uploads/<upload_id>")
            return value
        try:
            split_url(value)
        except UnsafeUrlError as err:
            raise ValueError(f"must be an upload URL (ugen://uploads/<upload_id>) or an "
                             f"absolute http(s) URL: it {err}") from None
        return value

    def request_hash(self) -> str:
        """sha256 of the normalised body, without the idempotency key itself."""
        body = self.model_dump(mode="json", exclude={"idempotency_key", "qai_enabled"})
        if body["template_id"] is None:  # the hash of a body without one is unchanged
            del body["template_id"]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class EstimateCreate(TemplatedOptions):
    """The create-job body; the image and the product name are not needed to price a job."""

    product_name: Annotated[str, Field(min_length=1, max_length=200), ONE_LINE] = "estimate"
    product_image_url: Annotated[str, Field(max_length=2000), ONE_LINE] | None = None


class JobsPublic(BaseModel):
    items: list[JobPublic]
    total: int
    page: int
    page_size: int
    total_pages: int


class RetryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_stage: StageName | None = Field(
        None, description="Default: the first stage that did not complete.")
    qai_mode: QaiMode | None = Field(
        None, description="Another QA mode from this run on; keyframes and segments of "
                          "earlier runs that pass it are reused, not paid for again.")
    max_retries_keyframe: Annotated[int, Field(ge=0, le=5)] | None = None
    max_retries_video: Annotated[int, Field(ge=0, le=5)] | None = None


class RetryPublic(BaseModel):
    job_id: str
    from_stage: StageName
    run_number: int
    credits_reserved: int
    changes: dict[str, str | int] = Field(
        default_factory=dict, description="The job fields this retry changed.")


# --- catalog ---------------------------------------------------------------------------------

class ModelCapabilities(BaseModel):
    supported_aspect_ratios: list[str]
    supported_durations: list[int]
    resolution: str
    fps: int
    supports_sound: bool
    supports_elements: bool


class ModelPricing(BaseModel):
    unit: str = Field(description="`segment` (flat per segment) or `second` of output.")
    credits_per_unit: int


class ModelPublic(BaseModel):
    id: str
    name: str
    family: str
    vendor: str
    tier: str
    status: str
    description: str
    default_duration: int
    capabilities: ModelCapabilities
    pricing: ModelPricing


class PersonaPublic(BaseModel):
    id: str
    slug: str
    name: str
    description: str
    voice_id: str


class PersonasPublic(BaseModel):
    items: list[PersonaPublic]
    total: int
    page: int
    page_size: int
    total_pages: int


class VoicePublic(BaseModel):
    id: str
    name: str
    gender: str
    description: str


class VoicesPublic(BaseModel):
    items: list[VoicePublic]
    total: int
    page: int
    page_size: int
    total_pages: int


# --- credits ---------------------------------------------------------------------------------

class BalancePublic(BaseModel):
    credit_balance: int
    credit_reserved: int
    available_credits: int


class TransactionsPublic(BaseModel):
    items: list[LedgerLine]
    total: int
    page: int
    page_size: int
    total_pages: int


def total_pages(total: int, page_size: int) -> int:
    return -(-total // page_size) if total else 0
