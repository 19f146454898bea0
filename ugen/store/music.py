"""Custom music of an account: uploaded tracks, private to the account, soft-deleted.

Every query takes the account: another account's track is as absent as a missing one. A
deleted track keeps its row (``is_active`` false, ``deleted_at`` set) and its file in the
artifact store; it is no longer listed and no new job may use it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.store.models import Base, utcnow

CUSTOM_MUSIC_PREFIX = "music/custom/"
"""Where uploaded tracks are kept: ``music/custom/{account_id}/{music_id}.{ext}``."""


class CustomMusic(Base):
    """One uploaded track of an account."""

    __tablename__ = "custom_music"
    __table_args__ = (Index("ix_custom_music_account", "account_id", "is_active", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(40))
    artifact_key: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class CustomMusicRecord:
    """A custom track as the service layer sees it."""

    id: str
    account_id: str
    title: str
    format: str
    content_type: str
    artifact_key: str
    size_bytes: int
    duration_s: float
    is_active: bool
    created_at: datetime


def _record(row: CustomMusic) -> CustomMusicRecord:
    return CustomMusicRecord(row.id, row.account_id, row.title, row.format, row.content_type,
                             row.artifact_key, row.size_bytes, row.duration_s, row.is_active,
                             row.created_at)


def new_music_id() -> str:
    return str(uuid.uuid4())


def add_custom_music(session: Session, *, music_id: str, account_id: str, title: str,
                     format: str, content_type: str, artifact_key: str, size_bytes: int,
                     duration_s: float) -> CustomMusicRecord:
    """Insert an active track of the account."""
    row = CustomMusic(id=music_id, account_id=account_id, title=title, format=format,
                      content_type=content_type, artifact_key=artifact_key,
                      size_bytes=size_bytes, duration_s=duration_s, is_active=True,
                      created_at=utcnow())
    session.add(row)
    session.flush()
    return _record(row)


def list_custom_music(session: Session, account_id: str) -> list[CustomMusicRecord]:
    """The account's active tracks, newest first."""
    rows = session.scalars(select(CustomMusic)
                           .where(CustomMusic.account_id == account_id,
                                  CustomMusic.is_active.is_(True))
                           .order_by(CustomMusic.created_at.desc(), CustomMusic.id.desc()))
    return [_record(r) for r in rows]


def get_custom_music(session: Session, account_id: str, music_id: str, *,
                     active_only: bool = True) -> CustomMusicRecord | None:
    """One track of the account (None: unknown, another account's, or deleted when
    ``active_only``)."""
    row = session.get(CustomMusic, music_id)
    if row is None or row.account_id != account_id or (active_only and not row.is_active):
        return None
    return _record(row)


def deactivate_custom_music(session: Session, account_id: str, music_id: str) -> bool:
    """Soft-delete an active track of the account; False when there is none to delete."""
    row = session.get(CustomMusic, music_id)
    if row is None or row.account_id != account_id or not row.is_active:
        return False
    row.is_active = False
    row.deleted_at = utcnow()
    session.flush()
    return True
