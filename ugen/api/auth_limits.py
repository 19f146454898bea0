"""Repeated failed authentication from one client address is answered 429.

Each API process keeps, per client address, the times of its failed API-key checks (a key
that is unknown, revoked, expired or malformed; a request without a key is no guess and is
not counted) in a sliding window of ``UGEN_AUTH_FAILURE_WINDOW_S``. Once an address has
``UGEN_AUTH_FAILURE_LIMIT`` failures in the window, its requests are answered 429
``TOO_MANY_AUTH_FAILURES`` with ``Retry-After`` before any key is looked at, valid or not,
until the oldest failure leaves the window. Other addresses are not affected.

The window lives in memory: cheap (a lock and a short deque per address), per process, and
bounded (the least recently failing addresses are forgotten first). The address is the one
the server sees; behind a reverse proxy, let the server take it from ``X-Forwarded-For``
(uvicorn's ``--forwarded-allow-ips``), else every client shares the proxy's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from ugen.api.errors import ApiError
from ugen.core.config import Settings

MAX_TRACKED_ADDRESSES = 100_000
"""Addresses remembered at once; past that the least recently failing one is dropped."""
UNKNOWN_CLIENT = "unknown"
"""The address of requests whose server gives none (a Unix socket)."""


class FailedAuthLimiter:
    """Failed API-key checks per client address in a sliding window (this process only)."""

    def __init__(self, *, limit: int, window_s: float,
                 max_tracked: int = MAX_TRACKED_ADDRESSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_tracked = max_tracked
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> FailedAuthLimiter:
        return cls(limit=settings.auth_failure_limit, window_s=settings.auth_failure_window_s)

    def _recent(self, client: str, now: float) -> deque[float] | None:
        times = self._failures.get(client)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
            return None
        return times

    def check(self, client: str | None) -> None:
        """Refuse an address that failed too often lately.

        Raises:
            ApiError: 429 ``TOO_MANY_AUTH_FAILURES`` with ``Retry-After``.
        """
        if self.limit <= 0:
            return
        client = client or UNKNOWN_CLIENT
        now = self._clock()
        with self._lock:
            times = self._recent(client, now)
            if times is None or len(times) < self.limit:
                return
            # Free again once enough failures have left the window.
            wait = times[len(times) - self.limit] + self.window_s - now
        retry_after = max(1, math.ceil(wait))
        raise ApiError(429, "TOO_MANY_AUTH_FAILURES",
                       f"too many failed API-key checks from this address; retry after "
                       f"{retry_after} s",
                       {"limit": self.limit, "window_s": self.window_s,
                        "retry_after": retry_after},
                       headers={"Retry-After": str(retry_after)})

    def record_failure(self, client: str | None) -> None:
        """Count one failed API-key check of ``client``."""
        if self.limit <= 0:
            return
        client = client or UNKNOWN_CLIENT
        now = self._clock()
        with self._lock:
            times = self._recent(client, now)
            if times is None:
                times = self._failures[client] = deque(maxlen=self.limit)
                while len(self._failures) > self.max_tracked:
                    self._failures.popitem(last=False)
            else:
                self._failures.move_to_end(client)
            times.append(now)
