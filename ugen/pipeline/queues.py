"""Every DBOS queue of the pipeline, declared in one place with its limits."""

from __future__ import annotations

from dataclasses import dataclass

from dbos import DBOS, Queue

from ugen.core.config import Settings

JOBS_QUEUE = "ugen_jobs"
IMAGE_QUEUE = "ugen_image"
MEDIA_QUEUE = "ugen_media"
VIDEO_QUEUE = "ugen_video"
WEBHOOKS_QUEUE = "ugen_webhooks"


@dataclass(frozen=True)
class QueueSpec:
    name: str
    worker_concurrency: int | None
    global_concurrency: int | None


def _spec(name: str, worker: int | None, global_: int | None) -> QueueSpec:
    # A worker cannot be allowed more than the whole fleet.
    if worker is not None and global_ is not None:
        worker = min(worker, global_)
    return QueueSpec(name, worker, global_)


def queue_specs(settings: Settings) -> list[QueueSpec]:
    return [
        _spec(JOBS_QUEUE, settings.worker_concurrency, None),
        _spec(IMAGE_QUEUE, settings.image_worker_concurrency, settings.image_global_concurrency),
        _spec(VIDEO_QUEUE, settings.video_worker_concurrency, settings.video_global_concurrency),
        _spec(MEDIA_QUEUE, settings.media_worker_concurrency, None),
        _spec(WEBHOOKS_QUEUE, settings.webhook_worker_concurrency, None),
    ]


_registered: dict[str, Queue] = {}


def get_queue(name: str) -> Queue:
    """A pipeline queue (registered here, or by another process in the shared database).

    Recovered workflows may run before this process finished registering its queues.
    """
    queue = _registered.get(name) or DBOS.retrieve_queue(name)
    if queue is None:
        raise LookupError(f"queue {name} is not registered; start a worker first")
    return queue


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
