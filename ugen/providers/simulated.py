"""Providers wrapped in a seeded latency and fault model, for benchmarks and fault tests.

Latencies are drawn from a seeded generator per (call type, item), so a run is reproducible.
A simulated video task carries its ready time in its id, so polling after a crash still waits
for the same deadline instead of starting over.

Faults are drawn per call: transient ones (429 with ``retry_after``, 503, timeouts) are
retried by the pipeline with backoff; permanent ones (a rejected request, a content-policy
refusal) fail the stage with the vendor's reason.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ugen.providers.base import (
    ContentPolicyError,
    KeyframeProvider,
    KeyframeRequest,
    PermanentProviderError,
    SegmentRequest,
    TransientProviderError,
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


@dataclass
class FaultModel:
    """Chances per call of each kind of failure (0..1), drawn from a seeded generator."""

    transient_rate: float = 0.0
    permanent_rate: float = 0.0
    policy_rate: float = 0.0
    seed: int = 0
    _calls: dict[str, itertools.count[int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, kind: str, key: str) -> None:
        """Raise the fault this call draws, if any."""
        with self._lock:
            counter = self._calls.setdefault(f"{kind}:{key}", itertools.count())
            n = next(counter)
        rng = random.Random(f"{self.seed}:{kind}:{key}:{n}")
        roll = rng.random()
        if roll < self.policy_rate:
            raise ContentPolicyError(f"simulated {kind}: the request was refused by the "
                                     "content policy", provider="simulated")
        roll -= self.policy_rate
        if roll < self.permanent_rate:
            raise PermanentProviderError(f"simulated {kind}: invalid request (400)",
                                         provider="simulated")
        roll -= self.permanent_rate
        if roll < self.transient_rate:
            flavour = rng.choice(("429 rate limited", "503 service unavailable", "timeout"))
            retry_after = 0.05 if flavour.startswith("429") else None
            raise TransientProviderError(f"simulated {kind}: {flavour}", provider="simulated",
                                         retry_after=retry_after)


class SimulatedKeyframeProvider:
    def __init__(self, inner: KeyframeProvider, latency: LatencyModel,
                 faults: FaultModel | None = None) -> None:
        self.inner = inner
        self.latency = latency
        self.faults = faults or FaultModel()

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        key = f"{request.shot.index}:{request.seed}"
        self.faults.check("keyframe", key)
        delay = self.latency.draw("keyframe", key, self.latency.keyframe_s)
        started = time.monotonic()
        path = self.inner.generate_keyframe(request)
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        return path


class SimulatedVideoProvider:
    def __init__(self, inner: VideoProvider, latency: LatencyModel,
                 faults: FaultModel | None = None) -> None:
        self.inner = inner
        self.latency = latency
        self.faults = faults or FaultModel()

    def submit(self, request: SegmentRequest) -> str:
        key = f"{request.index}:{request.seed}"
        self.faults.check("video submit", key)
        inner_id = self.inner.submit(request)
        delay = self.latency.draw("segment", key, self.latency.segment_s)
        return f"sim:{time.time() + delay:.3f}:{inner_id}"

    def poll(self, task_id: str) -> VideoPoll:
        _, ready_at, inner_id = task_id.split(":", 2)
        if time.time() < float(ready_at):
            return VideoPoll("pending")
        return self.inner.poll(inner_id)
