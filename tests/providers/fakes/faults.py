"""Scripted failures for the fake vendor servers: the next N answers of a route fail."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    status: int
    body: dict[str, object]
    headers: dict[str, str] = field(default_factory=dict)


class Faults:
    """``faults.add(429, body, headers={"Retry-After": "1"}, times=2)``; the route pops them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, status: int, body: dict[str, object], *, headers: dict[str, str] | None = None,
            times: int = 1) -> None:
        with self._lock:
            self._queue.extend(Fault(status, body, dict(headers or {})) for _ in range(times))

    def pop(self) -> Fault | None:
        with self._lock:
            return self._queue.pop(0) if self._queue else None
