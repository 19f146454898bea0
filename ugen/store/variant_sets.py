"""Ad-variant matrices: a set of jobs made from one product and every combination of hooks,
bodies and calls to action, and the keyframes and segments its jobs share.

``variant_sets`` keeps the set (its shared options, its lines, its estimate);
``variant_set_jobs`` names each combination's job; ``shared_items`` is the content-addressed
store of what the set's jobs made: one row per (set, content key), claimed by the first job
that needs the item (the unique key decides concurrent claims), made and paid by that job
only, then reused by every other job of the set whose item has the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.store.models import Base, utcnow

SharedStatus = Literal["claimed", "ready"]


class VariantSet(Base):
    """One product and its lines: every combination is a job."""

    __tablename__ = "variant_sets"
    __table_args__ = (UniqueConstraint("account_id", "idempotency_key",
                                       name="ux_variant_sets_idempotency"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The options every job of the set shares (custom_script and aspect ratio aside)."""
    lines: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"hooks": [...], "bodies": [...], "ctas": [...], "aspect_ratios": [...]}``"""
    estimate: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VariantSetJob(Base):
    """One combination of a set and the job that makes it."""

    __tablename__ = "variant_set_jobs"

    variant_set_id: Mapped[str] = mapped_column(ForeignKey("variant_sets.id"),
                                                primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    hook: Mapped[int] = mapped_column(Integer)
    body: Mapped[int] = mapped_column(Integer)
    cta: Mapped[int] = mapped_column(Integer)
    aspect_ratio: Mapped[str] = mapped_column(String(8))


class SharedItem(Base):
    """A keyframe or segment of a set, by the hash of everything that determines it."""

    __tablename__ = "shared_items"
    __table_args__ = (UniqueConstraint("account_id", "scope", "content_key",
                                       name="ux_shared_items_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(36))
    """The variant set: items are shared only inside one set of one account."""
    content_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    owner_job_id: Mapped[str] = mapped_column(String(36))
    artifact: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reuses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- sets -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Combination:
    position: int
    hook: int
    body: int
    cta: int
    aspect_ratio: str


def add_set(session: Session, row: VariantSet) -> bool:
    """Insert a set; False when its idempotency key is taken (a concurrent request)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def add_job(session: Session, set_id: str, combo: Combination, job_id: str) -> None:
    session.add(VariantSetJob(variant_set_id=set_id, position=combo.position, job_id=job_id,
                              hook=combo.hook, body=combo.body, cta=combo.cta,
                              aspect_ratio=combo.aspect_ratio))


def get_set(session: Session, set_id: str) -> VariantSet | None:
    return session.get(VariantSet, set_id)


def find_by_idempotency_key(session: Session, account_id: str, key: str) -> VariantSet | None:
    return session.scalar(select(VariantSet).where(VariantSet.account_id == account_id,
                                                   VariantSet.idempotency_key == key))


def set_jobs(session: Session, set_id: str) -> list[VariantSetJob]:
    return list(session.scalars(select(VariantSetJob)
                                .where(VariantSetJob.variant_set_id == set_id)
                                .order_by(VariantSetJob.position)))


def list_sets(session: Session, account_id: str, *, offset: int,
              limit: int) -> tuple[list[VariantSet], int]:
    total = session.scalar(select(func.count()).select_from(VariantSet)
                           .where(VariantSet.account_id == account_id)) or 0
    rows = list(session.scalars(select(VariantSet).where(VariantSet.account_id == account_id)
                                .order_by(VariantSet.created_at.desc(), VariantSet.id)
                                .offset(offset).limit(limit)))
    return rows, int(total)


def set_of_job(session: Session, job_id: str) -> tuple[str, str] | None:
    """(variant set id, account id) of a job made for a set, else None."""
    row = session.execute(select(VariantSetJob.variant_set_id, VariantSet.account_id)
                          .join(VariantSet, VariantSet.id == VariantSetJob.variant_set_id)
                          .where(VariantSetJob.job_id == job_id)).first()
    return None if row is None else (str(row[0]), str(row[1]))


# --- shared items -----------------------------------------------------------------------------

def get_item(session: Session, account_id: str, scope: str, content_key: str) -> SharedItem | None:
    return session.scalar(select(SharedItem).where(
        SharedItem.account_id == account_id, SharedItem.scope == scope,
        SharedItem.content_key == content_key).execution_options(populate_existing=True))


def claim(session: Session, *, account_id: str, scope: str, content_key: str, kind: str,
          item: str, job_id: str) -> bool:
    """Claim the item for ``job_id``; False when a row exists already (whoever inserted
    first makes it: the unique key decides a race)."""
    try:
        with session.begin_nested():
            session.add(SharedItem(account_id=account_id, scope=scope,
                                   content_key=content_key, kind=kind, item=item,
                                   status="claimed", owner_job_id=job_id))
    except IntegrityError:
        return False
    return True


def take_over(session: Session, row_id: int, *, from_job: str, to_job: str) -> bool:
    """Move a claim whose owner gave up (its job ended without making the item) to
    ``to_job``; False when another job took it first."""
    done = session.execute(update(SharedItem)
                           .where(SharedItem.id == row_id, SharedItem.status == "claimed",
                                  SharedItem.owner_job_id == from_job)
                           .values(owner_job_id=to_job, updated_at=utcnow()))
    return bool(done.rowcount > 0)  # type: ignore[attr-defined]


def reclaim(session: Session, row_id: int, *, sha: str, to_job: str) -> bool:
    """Claim a ready item whose file is gone again, for ``to_job`` to make; False when
    another job did first."""
    done = session.execute(update(SharedItem)
                           .where(SharedItem.id == row_id, SharedItem.status == "ready",
                                  SharedItem.sha256 == sha)
                           .values(status="claimed", owner_job_id=to_job, artifact=None,
                                   sha256=None, updated_at=utcnow()))
    return bool(done.rowcount > 0)  # type: ignore[attr-defined]


def publish(session: Session, *, account_id: str, scope: str, content_key: str, job_id: str,
            artifact: str, sha256: str, verdict: dict[str, Any]) -> None:
    """The owner made the item and it passed QA: others may reuse it now."""
    session.execute(update(SharedItem)
                    .where(SharedItem.account_id == account_id, SharedItem.scope == scope,
                           SharedItem.content_key == content_key,
                           SharedItem.owner_job_id == job_id)
                    .values(status="ready", artifact=artifact, sha256=sha256, verdict=verdict,
                            updated_at=utcnow()))


def count_reuse(session: Session, row_id: int) -> None:
    session.execute(update(SharedItem).where(SharedItem.id == row_id)
                    .values(reuses=SharedItem.reuses + 1))


def items_of_set(session: Session, set_id: str) -> list[SharedItem]:
    return list(session.scalars(select(SharedItem).where(SharedItem.scope == set_id)
                                .order_by(SharedItem.id)))
