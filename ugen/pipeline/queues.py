"""Every DBOS queue of the pipeline, declared in one place with its limits."""

from __future__ import annotations

from dataclasses import dataclass

from dbos import DBOS, Queue

from ugen.core.config import Settings

JOBS_QUEUE = "ugen_jobs"
IMAGE_QUEUE = "ugen_image"
VIDEO_QUEUE = "ugen_video"


@dataclass(frozen=True)
class QueueSpec:
    name: str
    worker_concurrency: int | None
    global_concurrency: int | None


def queue_specs(settings: Settings) -> list[QueueSpec]:
    return [
        QueueSpec(JOBS_QUEUE, settings.worker_concurrency, None),
        QueueSpec(IMAGE_QUEUE, settings.image_worker_concurrency,
                  settings.image_global_concurrency),
        QueueSpec(VIDEO_QUEUE, settings.video_worker_concurrency,
                  settings.video_global_concurrency),
    ]


_registered: dict[str, Queue] = {}


def get_queue(name: str) -> Queue:
    """A queue registered by :func:`register_queues` in this process."""
    return _registered[name]


def register_queues(settings: Settings) -> None:
    """Persist the queues and their limits (needs a launched DBOS)."""
    for spec in queue_specs(settings):
        _registered[spec.name] = DBOS.register_queue(
            spec.name,
            worker_concurrency=spec.worker_concurrency,
            global_concurrency=spec.global_concurrency,
            polling_interval_sec=settings.queue_polling_interval_s,
            on_conflict="always_update",
        )
