"""Drive a video provider's submit/poll protocol to the end, as the generation stage does."""

from __future__ import annotations

import time

from ugen.providers.base import VideoPoll, VideoProvider
from ugen.providers.retry import call_with_retries


def poll_until_done(adapter: VideoProvider, task_id: str, timeout: float = 90) -> VideoPoll:
    """Poll ``task_id`` (transient errors retried) until it is no longer pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = call_with_retries(lambda: adapter.poll(task_id))
        if result.state != "pending":
            return result
        time.sleep(0.1)
    raise TimeoutError(task_id)
