"""Playground tasks: one-off segments made with any catalog model (the ``playground_tasks``
table).

A task row is what its submission asked for (model, prompt, frames, options), what was
reserved for it, and how it is doing: ``queued`` → ``running`` → ``completed`` or
``failed`` (with the reason), its progress, the vendor's task id once submitted, the stored
video and the credits charged. Its workflow (:mod:`ugen.pipeline.playground`) is the only
writer after submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ugen.store.models import Base, utcnow

TaskStatus = Literal["queued", "running", "completed", "failed"]
TERMINAL: tuple[TaskStatus, ...] = ("completed", "failed")


class PlaygroundTask(Base):
    """One playground try."""

    __tablename__ = "playground_tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    model_id: Mapped[str] = mapped_column(String(40))
    prompt: Mapped[str] = mapped_column(Text)
    aspect_ratio: Mapped[str] = mapped_column(String(8))
    duration_s: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    first_frame: Mapped[str | None] = mapped_column(String(300), default=None)
    """Artifact key of the first frame (an upload of the account), if one was given."""
    last_frame: Mapped[str | None] = mapped_column(String(300), default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    credits_reserved: Mapped[int] = mapped_column(Integer, default=0)
    credits_charged: Mapped[int] = mapped_column(Integer, default=0)
    vendor_task_id: Mapped[str | None] = mapped_column(String(200), default=None)
    video: Mapped[str | None] = mapped_column(String(300), default=None)
    """Artifact key of the finished segment."""
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    error_message: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


@dataclass(frozen=True)
class TaskSpec:
    """What a try asks for, as validated and priced at submission."""

    task_id: str
    account_id: str
    model_id: str
    prompt: str
    aspect_ratio: str
    duration_s: int
    resolution: str
    width: int
    height: int
    seed: int
    first_frame: str | None
    last_frame: str | None
    credits: int


@dataclass(frozen=True)
class TaskView:
    """A task as read (a copy: no session needed to use it)."""

    id: str
    account_id: str
    model_id: str
    prompt: str
    aspect_ratio: str
    duration_s: int
    resolution: str
    width: int
    height: int
    seed: int
    first_frame: str | None
    last_frame: str | None
    status: TaskStatus
    progress_percent: int
    credits_reserved: int
    credits_charged: int
    vendor_task_id: str | None
    video: str | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _view(row: PlaygroundTask) -> TaskView:
    return TaskView(
        id=row.id, account_id=row.account_id, model_id=row.model_id, prompt=row.prompt,
        aspect_ratio=row.aspect_ratio, duration_s=row.duration_s, resolution=row.resolution,
        width=row.width, height=row.height, seed=row.seed, first_frame=row.first_frame,
        last_frame=row.last_frame, status=row.status,  # type: ignore[arg-type]
        progress_percent=row.progress_percent, credits_reserved=row.credits_reserved,
        credits_charged=row.credits_charged, vendor_task_id=row.vendor_task_id,
        video=row.video, error_code=row.error_code, error_message=row.error_message,
        created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at)


def add_task(session: Session, spec: TaskSpec) -> None:
    session.add(PlaygroundTask(
        id=spec.task_id, account_id=spec.account_id, model_id=spec.model_id,
        prompt=spec.prompt, aspect_ratio=spec.aspect_ratio, duration_s=spec.duration_s,
        resolution=spec.resolution, width=spec.width, height=spec.height, seed=spec.seed,
        first_frame=spec.first_frame, last_frame=spec.last_frame,
        credits_reserved=spec.credits, status="queued", progress_percent=0))
    session.flush()


def get_task(session: Session, task_id: str) -> TaskView | None:
    row = session.get(PlaygroundTask, task_id, populate_existing=True)
    return _view(row) if row is not None else None


def list_tasks(session: Session, account_id: str, *, limit: int = 20) -> list[TaskView]:
    """The account's latest tasks, newest first."""
    rows = session.scalars(select(PlaygroundTask)
                           .where(PlaygroundTask.account_id == account_id)
                           .order_by(PlaygroundTask.created_at.desc()).limit(limit))
    return [_view(r) for r in rows]


def mark_running(session: Session, task_id: str, *, progress: int) -> None:
    """The task started (or made progress); never moves a finished task or progress back."""
    session.execute(update(PlaygroundTask)
                    .where(PlaygroundTask.id == task_id,
                           PlaygroundTask.status.in_(("queued", "running")))
                    .values(status="running",
                            started_at=func.coalesce(PlaygroundTask.started_at, utcnow())))
    session.execute(update(PlaygroundTask)
                    .where(PlaygroundTask.id == task_id,
                           PlaygroundTask.progress_percent < progress,
                           PlaygroundTask.status == "running")
                    .values(progress_percent=progress))


def set_vendor_task(session: Session, task_id: str, vendor_task_id: str) -> None:
    session.execute(update(PlaygroundTask).where(PlaygroundTask.id == task_id)
                    .values(vendor_task_id=vendor_task_id))


def finish(session: Session, task_id: str, *, video: str, credits_charged: int) -> None:
    session.execute(update(PlaygroundTask)
                    .where(PlaygroundTask.id == task_id,
                           PlaygroundTask.status.not_in(TERMINAL))
                    .values(status="completed", progress_percent=100, video=video,
                            credits_charged=credits_charged, finished_at=utcnow()))


def fail(session: Session, task_id: str, *, code: str, message: str) -> None:
    session.execute(update(PlaygroundTask)
                    .where(PlaygroundTask.id == task_id,
                           PlaygroundTask.status.not_in(TERMINAL))
                    .values(status="failed", error_code=code[:40],
                            error_message=message[:1000], credits_charged=0,
                            finished_at=utcnow()))
