"""Every DBOS queue of the pipeline, declared in one place with its limits.

Video work is limited at two levels, both persisted in the database so they hold across
jobs, workers and restarts:

- one queue per video provider (``ugen_video_veo``, ``ugen_video_kling``): every render
  (a submission and its polling) holds one of its slots, so a vendor account never has more
  tasks in flight, or more submissions per period, than configured;
- one queue per video model that has limits of its own in ``UGEN_VIDEO_LIMITS``
  (``ugen_video_model_kling3_pro``): a segment of that model holds one of its slots from
  its first submission to its last QA verdict, and each of its renders waits for a
  provider slot. A segment of a model without limits of its own goes straight to its
  provider's queue and renders in that slot (one queue hop, not two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dbos import DBOS, Queue
from dbos._queue import QueueRateLimit

from ugen.catalog import video_models
from ugen.core.config import QueueLimits, Settings
from ugen.providers.vendor import VENDORS, load_vendor_models
from ugen.webhooks.queue import WEBHOOKS_QUEUE

JOBS_QUEUE = "ugen_jobs"
IMAGE_QUEUE = "ugen_image"
MEDIA_QUEUE = "ugen_media"
SOCIAL_QUEUE = "ugen_social"
"""Posts to social platforms (``ugen.pipeline.posting``)."""
REVIEW_QUEUE = "ugen_review"
"""Jobs with human review, and their waits for a reviewer (``ugen.pipeline.review``): no
limits, as they only wait; their stages' work holds slots of the jobs queue."""

QueueGroup = Literal["jobs", "image", "video", "media", "webhooks", "social"]
QUEUE_GROUPS: tuple[QueueGroup, ...] = ("jobs", "image", "video", "media", "webhooks",
                                        "social")


@dataclass(frozen=True)
class QueueSpec:
    name: str
    group: QueueGroup
    worker_concurrency: int | None
    global_concurrency: int | None
    limiter: QueueRateLimit | None = None


def provider_queue(provider: str) -> str:
    """The queue of render attempts sent to the video ``provider``."""
    return f"ugen_video_{provider}"


def model_queue(model_id: str) -> str:
    """The queue of segments of ``model_id`` (only for models with limits of their own)."""
    return f"ugen_video_model_{model_id}"


def provider_of(settings: Settings, model_id: str) -> str:
    """The video provider (``veo``, ``kling``) whose queue renders ``model_id``."""
    entry = load_vendor_models(settings.video_vendors_file).get(model_id)
    if entry is None:
        raise ValueError(f"video model {model_id} has no entry in the video vendors file")
    return entry.vendor


def model_limited(settings: Settings, model_id: str) -> bool:
    return model_id in settings.video_limits


def _spec(name: str, group: QueueGroup, worker: int | None, global_: int | None,
          limits: QueueLimits | None = None) -> QueueSpec:
    if limits is not None and limits.concurrency is not None:
        global_ = limits.concurrency
    # A worker cannot be allowed more than the whole fleet.
    if worker is not None and global_ is not None:
        worker = min(worker, global_)
    limiter: QueueRateLimit | None = None
    if limits is not None and limits.requests is not None:
        limiter = {"limit": limits.requests, "period": limits.period_s}
    return QueueSpec(name, group, worker, global_, limiter)


def _video_specs(settings: Settings) -> list[QueueSpec]:
    models = video_models()
    providers = sorted(VENDORS)
    unknown = sorted(set(settings.video_limits) - set(providers) - set(models))
    if unknown:
        raise ValueError(f"UGEN_VIDEO_LIMITS names {', '.join(unknown)}: neither a video "
                         f"provider ({', '.join(providers)}) nor a model "
                         f"({', '.join(models)})")
    specs = [_spec(provider_queue(p), "video", settings.video_worker_concurrency,
                   settings.video_global_concurrency, settings.video_limits.get(p))
             for p in providers]
    specs += [_spec(model_queue(m), "video", None, None, settings.video_limits[m])
              for m in models if model_limited(settings, m)]
    return specs


def queue_specs(settings: Settings) -> list[QueueSpec]:
    return [
        _spec(JOBS_QUEUE, "jobs", settings.worker_concurrency, None),
        _spec(REVIEW_QUEUE, "jobs", None, None),
        _spec(IMAGE_QUEUE, "image", settings.image_worker_concurrency,
              settings.image_global_concurrency),
        *_video_specs(settings),
        _spec(MEDIA_QUEUE, "media", settings.media_worker_concurrency, None),
        _spec(WEBHOOKS_QUEUE, "webhooks", settings.webhook_worker_concurrency, None),
        _spec(SOCIAL_QUEUE, "social", settings.social_worker_concurrency, None),
    ]


def queue_names(settings: Settings, groups: list[str]) -> list[str]:
    """The queues of the named groups (``video`` is every provider and model queue)."""
    unknown = [g for g in groups if g not in QUEUE_GROUPS]
    if unknown:
        raise ValueError(f"unknown queue {', '.join(unknown)}; choose from "
                         f"{', '.join(QUEUE_GROUPS)}")
    return [spec.name for spec in queue_specs(settings) if spec.group in groups]


_registered: dict[str, Queue] = {}


def get_queue(name: str) -> Queue:
    """A pipeline queue (registered here, or by another process in the shared database).

    Recovered workflows may run before this process finished registering its queues.
    """
    queue = _registered.get(name) or DBOS.retrieve_queue(name)
    if queue is None:
        raise LookupError(f"queue {name} is not registered; start a worker first")
    return queue


def register_queues(settings: Settings, *, update: bool = True) -> None:
    """Persist the queues and their limits (needs a launched DBOS).

    Workers write their limits (``update``); a client only creates queues that do not exist
    yet, so an API or CLI process with other settings never loosens the workers' limits.
    """
    for spec in queue_specs(settings):
        _registered[spec.name] = DBOS.register_queue(
            spec.name,
            worker_concurrency=spec.worker_concurrency,
            global_concurrency=spec.global_concurrency,
            limiter=spec.limiter,
            polling_interval_sec=settings.queue_polling_interval_s,
            on_conflict="always_update" if update else "never_update",
        )
