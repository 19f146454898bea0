"""Signed media URLs on the dashboard's pages, the same for a while.

A signed URL names its expiry, so signing "now" gives a new URL every second: a page part
rendered again would differ although nothing changed, the live stream would send it again
and the browser would load its images and videos again. Here the signing time is rounded
down to a step (an hour, or a quarter of the URLs' lifetime when that is shorter), so a URL
stays the same within the step and is still valid at least three quarters of its lifetime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from ugen.core.config import Settings
from ugen.store.signed_urls import FILES_PREFIX, sign_artifact

MAX_STEP_S = 3600
MAX_KEPT = 50_000
"""Signed URLs kept at most (about 10 MB); more, and the kept ones are forgotten."""


class MediaSigner:
    """Signs the artifacts of jobs for the dashboard's pages."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.step_s = max(1, min(MAX_STEP_S, settings.download_url_ttl_s // 4))
        self.clock = clock
        self._signed: dict[tuple[str, str], str] = {}
        self._step = -1
        self._lock = threading.Lock()

    def _signed_at(self) -> int:
        now = int(self.clock())
        return now - now % self.step_s

    def step(self) -> int:
        """Which step it is: URLs signed within one step are the same."""
        return self._signed_at()

    def url(self, job_id: str, key: str) -> str:
        """The signed URL of one artifact (``{job_id}/{name}``) of the job (kept for the
        rest of the step: pages show the same media again and again)."""
        at = self._signed_at()
        with self._lock:
            if at != self._step:
                self._signed.clear()
                self._step = at
            found = self._signed.get((job_id, key))
        if found is None:
            found = sign_artifact(self.settings, job_id, key, now=at)
            with self._lock:
                if len(self._signed) >= MAX_KEPT:
                    self._signed.clear()
                self._signed[(job_id, key)] = found
        return found

    def for_job(self, job_id: str) -> Callable[[str], str]:
        """A function from an artifact key of the job to its signed URL (for templates)."""
        return lambda key: self.url(job_id, key)

    def again(self, url: str | None) -> str | None:
        """A signed ``/api/v1/files/...`` URL signed again at this step's time."""
        if url is None:
            return None
        path = urlsplit(url).path
        job_id, sep, name = path.removeprefix(f"{FILES_PREFIX}/").partition("/")
        if not path.startswith(f"{FILES_PREFIX}/") or not job_id or not sep or not name:
            raise ValueError(f"not a signed file URL: {url!r}")
        return self.url(job_id, f"{job_id}/{name}")
