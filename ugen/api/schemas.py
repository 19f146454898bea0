"""Request and response bodies of the HTTP API (``...Create`` in, ``...Public`` out)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any, overload

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ugen.core.schemas import JobOptions
from ugen.core.types import JobStatus, StageName, StageStatus, TransactionType
from ugen.net.addresses import UnsafeUrlError, split_url

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

class JobCreate(JobOptions):
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

    def to_options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(exclude={"product_image_url"}))

    def request_hash(self) -> str:
        """sha256 of the normalised body, without the idempotency key itself."""
        body = self.model_dump(mode="json", exclude={"idempotency_key"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


class EstimateCreate(JobOptions):
    """The create-job body; the image and the product name are not needed to price a job."""

    product_name: str = Field("estimate", min_length=1, max_length=200)
    product_image_url: str | None = None

    def to_options(self) -> JobOptions:
        return JobOptions.model_validate(self.model_dump(exclude={"product_image_url"}))


class StagePublic(BaseModel):
    name: StageName
    status: StageStatus
    run_number: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    credits_used: int
    error: str | None


class CostComponentPublic(BaseModel):
    component: str
    stage: StageName
    quantity: float
    unit: str
    unit_credits: int
    credits: int
    note: str = ""


class EstimatePublic(BaseModel):
    total: int
    components: list[CostComponentPublic]
    by_stage: dict[str, int] = Field(default_factory=dict)


class JobPublic(BaseModel):
    job_id: str
    status: JobStatus
    current_stage: StageName | None
    progress_percent: int
    run_number: int
    stages: list[StagePublic]
    estimate: EstimatePublic
    credits_reserved: int
    credits_consumed: int
    final_video_url: str | None = Field(description="Expiring signed download URL of the MP4 "
                                         "(no API key needed), once completed.")
    thumbnail_url: str | None = Field(description="Expiring signed URL of the poster JPEG, "
                                       "once completed.")
    error_stage: StageName | None
    error_message: str | None
    idempotency_key: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    params: dict[str, Any]


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


class RetryPublic(BaseModel):
    job_id: str
    from_stage: StageName
    run_number: int
    credits_reserved: int


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


class TransactionPublic(BaseModel):
    id: int
    type: TransactionType
    amount: int
    balance_before: int
    balance_after: int
    reserved_after: int
    job_id: str | None
    description: str
    created_at: datetime


class TransactionsPublic(BaseModel):
    items: list[TransactionPublic]
    total: int
    page: int
    page_size: int
    total_pages: int


def total_pages(total: int, page_size: int) -> int:
    return -(-total // page_size) if total else 0


@overload
def as_utc(value: datetime) -> datetime: ...


@overload
def as_utc(value: None) -> None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def estimate_public(data: dict[str, Any]) -> EstimatePublic:
    """A stored ``Estimate.to_dict()`` as the API shows it."""
    return EstimatePublic(
        total=int(data.get("total", 0)),
        components=[CostComponentPublic(**c) for c in data.get("components", [])],
        by_stage=dict(data.get("by_stage", {})),
    )
