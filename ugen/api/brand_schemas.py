"""Bodies of the tenant profile, avatar and brand-kit endpoints (``/tenants/me``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ugen.media.watermark import MAX_MARGIN, MAX_SIZE, MIN_SIZE, Position
from ugen.service.brand_kit import BrandKitView, TenantProfile


class BrandKitSettingsIn(BaseModel):
    """The watermark's settings (``PUT`` replaces them all: an omitted field takes its
    default)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    position: Position = Field(default="bottom_right", description=(
        "Where the logo is drawn: `top_left`, `top_right`, `bottom_left`, `bottom_right` or "
        "`center`."))
    opacity: float = Field(default=0.8, ge=0.0, le=1.0,
                           description="0 (invisible) to 1 (opaque).")
    size: float = Field(default=0.2, ge=MIN_SIZE, le=MAX_SIZE,
                        description="The logo's width as a fraction of the video's width.")
    margin: float = Field(default=0.04, ge=0.0, le=MAX_MARGIN,
                          description="The gap to the nearest edges, as a fraction of the "
                                      "video's width.")
    enabled_by_default: bool = Field(default=False, description=(
        "A hint for clients that a new job should tick `brand_kit_enabled` (a job's own "
        "`brand_kit_enabled` is false unless the request says true)."))


class BrandKitPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    position: Position
    opacity: float
    size: float
    margin: float
    enabled_by_default: bool
    logo_url: str | None = Field(description="The logo as a PNG (an SVG upload is rasterised), "
                                             "behind an expiring signed URL; null: no logo.")
    logo_width: int | None
    logo_height: int | None

    @classmethod
    def of(cls, view: BrandKitView) -> BrandKitPublic:
        return cls(position=view.spec.position, opacity=view.spec.opacity,
                   size=view.spec.size, margin=view.spec.margin,
                   enabled_by_default=view.enabled_by_default, logo_url=view.logo_url,
                   logo_width=view.logo_width, logo_height=view.logo_height)


class AvatarPublic(BaseModel):
    model_config = ConfigDict(frozen=True)

    avatar_url: str = Field(description="The avatar behind an expiring signed URL.")


class TenantPublic(BaseModel):
    """The account (``GET /tenants/me``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    credit_balance: int
    available_credits: int
    avatar_url: str | None
    brand_kit: BrandKitPublic

    @classmethod
    def of(cls, profile: TenantProfile) -> TenantPublic:
        return cls(id=profile.account_id, name=profile.name,
                   credit_balance=profile.credit_balance,
                   available_credits=profile.credit_balance - profile.credit_reserved,
                   avatar_url=profile.avatar_url, brand_kit=BrandKitPublic.of(profile.brand_kit))
