"""Retry transient provider failures with exponential backoff and jitter, inside a step.

Permanent errors (and anything that is not a :class:`TransientProviderError`) pass through at
once, so the stage fails with the provider's reason.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from ugen.providers.base import TransientProviderError

T = TypeVar("T")


def call_with_retries(fn: Callable[[], T], *, attempts: int = 4, base_delay_s: float = 0.5,
                      max_delay_s: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn``; on a transient error wait ``base * 2**n`` (± 25%) and try again.

    A ``retry_after`` attribute on the error (seconds, from the vendor) is honoured when longer.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except TransientProviderError as err:
            if attempt == attempts:
                raise
            delay = min(max_delay_s, base_delay_s * 2 ** (attempt - 1))
            delay *= random.uniform(0.75, 1.25)
            if err.retry_after is not None:
                delay = max(delay, err.retry_after)
            sleep(delay)
    raise AssertionError("unreachable")
