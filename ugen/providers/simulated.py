"""Providers wrapped in a seeded latency model, for benchmarks and fault tests.

Latencies are drawn from a seeded generator per (call type, item), so a run is reproducible.
A simulated video task carries its ready time in its id, so polling after a crash still waits
for the same deadline instead of starting over.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from ugen.providers.base import (
    KeyframeProvider,
    KeyframeRequest,
    SegmentRequest,
    VideoPoll,
    VideoProvider,
)


@dataclass(frozen=True)
class LatencyModel:
    keyframe_s: float = 0.8
    segment_s: float = 4.5
    jitter: float = 0.2  # +/- share of the mean
    scale: float = 1.0
    seed: int = 0

    def draw(self, kind: str, key: str, mean: float) -> float:
        rng = random.Random(f"{self.seed}:{kind}:{key}")
        return max(0.0, mean * (1 + rng.uniform(-self.jitter, self.jitter)) * self.scale)


class SimulatedKeyframeProvider:
    def __init__(self, inner: KeyframeProvider, latency: LatencyModel) -> None:
        self.inner = inner
        self.latency = latency

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        delay = self.latency.draw("keyframe", f"{request.shot.index}:{request.seed}",
                                  self.latency.keyframe_s)
        started = time.monotonic()
        path = self.inner.generate_keyframe(request)
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        return path


class SimulatedVideoProvider:
    def __init__(self, inner: VideoProvider, latency: LatencyModel) -> None:
        self.inner = inner
        self.latency = latency

    def submit(self, request: SegmentRequest) -> str:
        inner_id = self.inner.submit(request)
        delay = self.latency.draw("segment", f"{request.index}:{request.seed}",
                                  self.latency.segment_s)
        return f"sim:{time.time() + delay:.3f}:{inner_id}"

    def poll(self, task_id: str) -> VideoPoll:
        _, ready_at, inner_id = task_id.split(":", 2)
        if time.time() < float(ready_at):
            return VideoPoll("pending")
        return self.inner.poll(inner_id)


