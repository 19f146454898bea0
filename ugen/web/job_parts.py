"""The job page in parts: the summary, the pipeline, and each stage's head and details, each
rendered into the element of the same id.

The page renders every part; the live stream renders again only the parts that may have
changed (the summary and the pipeline when the job moved, a stage's parts when its record
changed or an event of that stage arrived) and sends those whose HTML differs.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from ugen import service
from ugen.core.config import Settings
from ugen.core.types import STAGES
from ugen.pipeline.errors import StageError
from ugen.pipeline.outputs import CompleteOutput
from ugen.service import social as social_service
from ugen.social.posts import PostView
from ugen.views import JobPublic, StageDetailPublic, StagePublic
from ugen.web.signing import MediaSigner
from ugen.web.stages import STAGE_INFO
from ugen.web.templating import Templates

DELIVERIES_SHOWN = 20
"""Webhook delivery attempts listed in the ``complete`` stage's details."""

StateKey = tuple[object, ...]


@dataclass(frozen=True)
class JobPage:
    """What the job page shows: the job, its stages with what they made, and (once it
    ended) the webhook deliveries of its outcome."""

    job: JobPublic
    stages: tuple[StageDetailPublic, ...]
    deliveries: tuple[service.DeliveryAttempt, ...]
    posts: tuple[PostView, ...] = ()
    """The job's social posts (once it completed), oldest first."""
    post_platforms: tuple[str, ...] = ()
    """The platforms the account can post the video to (connected and active)."""

    def stage(self, name: str) -> StageDetailPublic:
        return self.stages[STAGES.index(name)]

    @property
    def final(self) -> CompleteOutput | None:
        """The final video and poster, once the job completed."""
        out = self.stage("complete").outputs if self.job.status == "completed" else None
        return out if isinstance(out, CompleteOutput) else None


def read_job_page(settings: Settings, account_id: str, job_id: str) -> JobPage:
    """Raises: service.JobNotFoundError: no such job, or another account's."""
    job, stages = service.job_with_stages(settings, job_id, account_id=account_id)
    deliveries: list[service.DeliveryAttempt] = []
    if job.ended:
        deliveries, _ = service.webhook_attempts(settings, account_id, job_id=job_id,
                                                 page_size=DELIVERIES_SHOWN)
    posts: tuple[PostView, ...] = ()
    platforms: tuple[str, ...] = ()
    if job.status == "completed":
        posts = tuple(social_service.posts_of(settings, account_id, job_id))
        platforms = tuple(c.platform for c in social_service.connections_of(
            settings, account_id) if c.status == "active")
    return JobPage(job, tuple(stages), tuple(deliveries), posts, platforms)


def stage_key(stage: StagePublic | StageDetailPublic) -> StateKey:
    """What changes when a stage's record changes."""
    error = stage.error.message if isinstance(stage.error, StageError) else stage.error
    return (stage.status, stage.run_number, stage.started_at, stage.finished_at,
            stage.credits_used, error)


def job_key(job: JobPublic) -> StateKey:
    """What changes when the job moves (its signed URLs, renewed every second, aside)."""
    return (job.status, job.current_stage, job.progress_percent, job.run_number,
            job.credits_reserved, job.credits_consumed, job.error_stage, job.error_message,
            tuple(stage_key(st) for st in job.stages))


def state_token(job: JobPublic) -> str:
    """A short digest of :func:`job_key`: a page names the state it shows with it, so its
    live stream sends only what changed after that."""
    return hashlib.sha256(repr(job_key(job)).encode()).hexdigest()[:16]


class RenderedDetails:
    """Stage details already rendered, by what they are drawn from.

    A stage's details are a function of its record, its attempts, the job's options (which
    a retry may change: the run is in the key), the anchor (for ``generation``), the
    webhook deliveries (for ``complete``) and the signed URLs' step; a finished job's page
    is rendered again and again from the same. At most ``size`` are kept (oldest first out).
    """

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._kept: dict[tuple[object, ...], str] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(page: JobPage, name: str, step: int) -> tuple[object, ...]:
        st = page.stage(name)
        extra: tuple[object, ...] = ()
        if name == "generation":
            extra = stage_key(page.stage("init"))
        elif name == "complete":
            extra = (tuple((d.delivery_id, d.attempt, d.state) for d in page.deliveries),
                     tuple((p.id, p.status, p.updated_at) for p in page.posts),
                     page.post_platforms)
        return (page.job.job_id, page.job.run_number, name, stage_key(st),
                tuple((a.item, a.run_number, a.attempt) for a in st.attempts), extra, step)

    def get(self, key: tuple[object, ...]) -> str | None:
        with self._lock:
            return self._kept.get(key)

    def put(self, key: tuple[object, ...], html: str) -> None:
        if self.size <= 0:
            return
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = html


class JobParts:
    """Renders the parts of one job's page for one signed-in session."""

    def __init__(self, templates: Templates, signer: MediaSigner, csrf: str,
                 rendered: RenderedDetails | None = None) -> None:
        self.templates = templates
        self.signer = signer
        self.csrf = csrf
        self.rendered = rendered or RenderedDetails(size=0)

    def _context(self, page: JobPage) -> dict[str, object]:
        return {"job": page.job, "page": page, "csrf": self.csrf,
                "url": self.signer.for_job(page.job.job_id)}

    def summary(self, page: JobPage) -> dict[str, str]:
        """The summary (status, progress, credits, actions) and the pipeline."""
        context = self._context(page)
        return {"job-summary": self.templates.render("job/_summary.html", **context),
                "pipeline": self.templates.render("job/_pipeline.html", **context)}

    def stages(self, page: JobPage, names: Iterable[str] = STAGES) -> dict[str, str]:
        """Each named stage's head (status, figures, error) and details."""
        context = self._context(page)
        parts: dict[str, str] = {}
        for name in names:
            st = page.stage(name)
            info = STAGE_INFO[STAGES.index(st.name)]
            parts[f"{name}-head"] = self.templates.render("job/_stage_head.html", st=st,
                                                          info=info, **context)
            key = RenderedDetails.key(page, name, self.signer.step())
            body = self.rendered.get(key)
            if body is None:
                body = self.templates.render(f"job/stages/{name}.html", st=st, info=info,
                                             **context)
                self.rendered.put(key, body)
            parts[f"{name}-body"] = body
        return parts

    def all(self, page: JobPage) -> dict[str, str]:
        return {**self.summary(page), **self.stages(page)}
