"""The brand kit and avatar of an account: which stored files they are, and the watermark's
settings.

The files themselves are artifacts (``brand/<account>/logo-<uuid>.png``,
``brand/<account>/avatar-<uuid>.<ext>``); a row names the current one. Replacing one swaps the
name under a row lock and hands back the previous name for the caller to delete once the
swap is committed, so a concurrent upload never deletes the file that won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.store.models import Base, utcnow

DEFAULT_POSITION = "bottom_right"
DEFAULT_OPACITY = 0.8
DEFAULT_SIZE = 0.2
DEFAULT_MARGIN = 0.04


class BrandKit(Base):
    """One account's logo and watermark settings."""

    __tablename__ = "brand_kits"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    logo_key: Mapped[str | None] = mapped_column(String(300))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[str] = mapped_column(String(16), default=DEFAULT_POSITION)
    opacity: Mapped[float] = mapped_column(Float, default=DEFAULT_OPACITY)
    size: Mapped[float] = mapped_column(Float, default=DEFAULT_SIZE)
    margin: Mapped[float] = mapped_column(Float, default=DEFAULT_MARGIN)
    enabled_by_default: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TenantAvatar(Base):
    """One account's avatar picture."""

    __tablename__ = "tenant_avatars"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    avatar_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class BrandKitRecord:
    """An account's brand kit as stored (the defaults where it has none yet)."""

    account_id: str
    logo_key: str | None
    logo_width: int | None
    logo_height: int | None
    position: str
    opacity: float
    size: float
    margin: float
    enabled_by_default: bool


@dataclass(frozen=True)
class AvatarRecord:
    account_id: str
    avatar_key: str
    content_type: str


def _record(account_id: str, row: BrandKit | None) -> BrandKitRecord:
    if row is None:
        return BrandKitRecord(account_id, None, None, None, DEFAULT_POSITION, DEFAULT_OPACITY,
                              DEFAULT_SIZE, DEFAULT_MARGIN, False)
    return BrandKitRecord(account_id, row.logo_key, row.logo_width, row.logo_height,
                          row.position, row.opacity, row.size, row.margin,
                          row.enabled_by_default)


def _locked_kit(session: Session, account_id: str) -> BrandKit:
    row = session.execute(select(BrandKit).where(BrandKit.account_id == account_id)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        row = BrandKit(account_id=account_id, position=DEFAULT_POSITION,
                       opacity=DEFAULT_OPACITY, size=DEFAULT_SIZE, margin=DEFAULT_MARGIN,
                       enabled_by_default=False)
        session.add(row)
    return row


def get_brand_kit(session: Session, account_id: str) -> BrandKitRecord:
    return _record(account_id, session.get(BrandKit, account_id))


def swap_logo(session: Session, account_id: str, key: str, width: int, height: int
              ) -> str | None:
    """Make ``key`` the account's logo; return the previous logo's key (None: none)."""
    row = _locked_kit(session, account_id)
    old = row.logo_key
    row.logo_key, row.logo_width, row.logo_height = key, width, height
    row.updated_at = utcnow()
    return old if old != key else None


def set_settings(session: Session, account_id: str, *, position: str, opacity: float,
                 size: float, margin: float, enabled_by_default: bool) -> BrandKitRecord:
    """Replace the account's watermark settings (the logo stays)."""
    row = _locked_kit(session, account_id)
    row.position, row.opacity, row.size, row.margin = position, opacity, size, margin
    row.enabled_by_default = enabled_by_default
    row.updated_at = utcnow()
    session.flush()
    return _record(account_id, row)


def get_avatar(session: Session, account_id: str) -> AvatarRecord | None:
    row = session.get(TenantAvatar, account_id)
    return None if row is None else AvatarRecord(account_id, row.avatar_key, row.content_type)


def swap_avatar(session: Session, account_id: str, key: str, content_type: str
                ) -> str | None:
    """Make ``key`` the account's avatar; return the previous avatar's key (None: none)."""
    row = session.execute(select(TenantAvatar).where(TenantAvatar.account_id == account_id)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        session.add(TenantAvatar(account_id=account_id, avatar_key=key,
                                 content_type=content_type))
        return None
    old = row.avatar_key
    row.avatar_key, row.content_type, row.updated_at = key, content_type, utcnow()
    return old if old != key else None
