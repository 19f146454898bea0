"""Benchmark: the `generation` stage's streaming overlap against the ideal schedule.

For 4, 6 and 10 keyframes it runs the real stage (real DBOS checkpoints and queues, an
in-process worker, SQLite) under a fixed, seeded latency model scaled down ten times
(keyframe 8 s ± 2, QA 1 s, segment 45 s ± 10) with 2 image and 3 video calls at once, and
prints: the wall time of the stage with streaming overlap; the wall time of the sequential
baseline (all keyframes, then all segments); the ideal schedule of the same instance (an event
simulation with the same durations and limits and zero overhead); and the ratios. Provider
work itself is replayed from files rendered once up front, so the figures measure scheduling.

    .venv/bin/python benchmarks/generation_overlap.py

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCALE = 0.1
KEYFRAME_S, SEGMENT_S, QA_S, JITTER = 8.0 * SCALE, 45.0 * SCALE, 1.0 * SCALE, 0.23
IMAGE_SLOTS, VIDEO_SLOTS = 2, 3
SIZES = (4, 6, 10)


@dataclasses.dataclass
class TimedJudge:
    """QA that takes QA_S and passes (scheduling is what is measured here)."""

    seconds: float

    def judge_keyframe(self, image: Path, **_: Any) -> Any:
        return self._pass()

    def judge_segment(self, video: Path, **_: Any) -> Any:
        return self._pass()

    def _pass(self) -> Any:
        from ugen.qa import QaVerdict

        time.sleep(self.seconds)
        return QaVerdict(score=1.0, passed=True, threshold=0.55, categories=(), checks={},
                         reasons=())


class ReplayKeyframes:
    def __init__(self, source: Path) -> None:
        self.source = source

    def generate_keyframe(self, request: Any) -> Path:
        shutil.copyfile(self.source, request.out_path)
        return Path(request.out_path)


class ReplayVideo:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.tasks: dict[str, Path] = {}

    def submit(self, request: Any) -> str:
        task = f"replay-{request.index}-{request.seed}"
        self.tasks[task] = Path(request.out_path)
        return task

    def poll(self, task_id: str) -> Any:
        from ugen.providers.base import VideoPoll

        out = self.tasks[task_id]
        shutil.copyfile(self.source, out)
        return VideoPoll("succeeded", output=out)


def ideal(n_keyframes: int, latency: Any, seed: int, *, overlap: bool) -> float:
    """Makespan with the same durations and limits and no overhead (event simulation)."""
    from ugen.pipeline.init import attempt_seed

    n = n_keyframes - 1
    kf_time = {i: latency.draw("keyframe", f"{i}:{attempt_seed(seed, i, 0)}", KEYFRAME_S) + QA_S
               for i in range(1, n + 1)}
    seg_time = {i: latency.draw("segment", f"{i}:{attempt_seed(seed, i, 0)}", SEGMENT_S) + QA_S
                for i in range(n)}
    slots = [0.0] * IMAGE_SLOTS
    done = {0: 0.0}
    for i in range(1, n + 1):  # keyframes in index order on the image slots
        start = heapq.heappop(slots)
        done[i] = start + kf_time[i]
        heapq.heappush(slots, done[i])
    all_kf = max(done.values())
    ready = sorted((max(done[i], done[i + 1]) if overlap else all_kf, i) for i in range(n))
    vslots = [0.0] * VIDEO_SLOTS
    end = 0.0
    for at, i in ready:
        start = max(at, heapq.heappop(vslots))
        finish = start + seg_time[i]
        heapq.heappush(vslots, finish)
        end = max(end, finish)
    return end


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ugen-bench-"))
    os.environ.update({
        "UGEN_DATA_DIR": str(work / "data"),
        "UGEN_IMAGE_WORKER_CONCURRENCY": str(IMAGE_SLOTS),
        "UGEN_VIDEO_WORKER_CONCURRENCY": str(VIDEO_SLOTS),
        "UGEN_WORKER_CONCURRENCY": "1",
        "UGEN_QUEUE_POLLING_INTERVAL_S": "0.1",
        "UGEN_VIDEO_POLL_INTERVAL_S": "0.05",
        "UGEN_EXECUTOR_ID": "bench",
    })
    from ugen import service
    from ugen.core.config import get_settings
    from ugen.core.schemas import JobOptions
    from ugen.pipeline import runtime
    from ugen.pipeline.worker import start_worker
    from ugen.providers import registry
    from ugen.providers.simulated import (
        LatencyModel,
        SimulatedKeyframeProvider,
        SimulatedVideoProvider,
    )
    from ugen.store import jobs as job_store
    from ugen.store.db import session_scope

    settings = get_settings()
    image = ROOT / "examples" / "serum-bottle.png"
    # Render one keyframe and one segment for real, to replay.
    base = registry.build_providers(settings)
    from ugen.catalog import personas
    from ugen.providers.base import KeyframeRequest, KeyframeShot, SegmentRequest

    persona = next(iter(personas().values()))
    shot = KeyframeShot(0, "medium", "eye level", "friendly", "holding product", "anchor")
    kf = base.keyframes.generate_keyframe(KeyframeRequest(
        shot=shot, product_image=image, anchor=None, persona=persona, width=1080,
        height=1080, interaction_mode="holdable", environment_description=None, seed=1,
        out_path=work / "kf.png"))
    from ugen.catalog import voices

    seg_req = SegmentRequest(0, kf, kf, "push in", "Look at this.", "en",
                             voices()[persona.voice_id], 3.0, 1080, 1080, 30, "kling3_std",
                             True, 1, work / "seg.mp4")
    task = base.video.submit(seg_req)
    while (polled := base.video.poll(task)).state == "pending":
        time.sleep(0.1)
    assert polled.output is not None
    latency = LatencyModel(keyframe_s=KEYFRAME_S, segment_s=SEGMENT_S, jitter=JITTER, seed=0)
    registry.set_override(dataclasses.replace(
        base,
        keyframes=SimulatedKeyframeProvider(ReplayKeyframes(kf), latency),
        video=SimulatedVideoProvider(ReplayVideo(polled.output), latency),
        keyframe_judge=TimedJudge(QA_S),  # type: ignore[arg-type]
        segment_judge=TimedJudge(QA_S),  # type: ignore[arg-type]
    ))
    start_worker(settings)
    account = service.ensure_default_account(settings)

    def run(n_keyframes: int, schedule: str) -> float:
        os.environ["UGEN_GENERATION_SCHEDULE"] = schedule
        options = JobOptions(product_name="Bench", video_model="kling3_std", aspect_ratio="1:1",
                             segment_count=n_keyframes - 1, segment_duration=3,
                             stop_at_stage="generation", music_enabled=False, seed=0)
        with session_scope(settings) as s:
            from ugen.store import ledger

            ledger.grant(s, account, 1000, description="benchmark")
        job_id = service.submit_job(get_settings(), account_id=account, options=options,
                                    image=image).id
        while service.job_view(settings, job_id).status not in ("stopped", "failed"):
            time.sleep(0.05)
        with session_scope(settings) as s:
            st = job_store.get_stage(s, job_id, "generation")
            assert st.status == "completed", st.error
            assert st.started_at and st.finished_at
            return (st.finished_at - st.started_at).total_seconds()

    rows = []
    figures: dict[str, float] = {}
    for k in SIZES:
        overlap_wall = run(k, "overlap")
        sequential_wall = run(k, "sequential")
        ideal_overlap = ideal(k, latency, 0, overlap=True)
        ideal_sequential = ideal(k, latency, 0, overlap=False)
        row = {
            "keyframes": k, "overlap_s": overlap_wall, "sequential_s": sequential_wall,
            "ideal_s": ideal_overlap, "ideal_sequential_s": ideal_sequential,
            "ratio_to_ideal": overlap_wall / ideal_overlap,
            "speedup_vs_sequential": sequential_wall / overlap_wall,
            "ideal_speedup": ideal_sequential / ideal_overlap,
        }
        rows.append(row)
        for key in ("overlap_s", "sequential_s", "ideal_s", "ratio_to_ideal",
                    "speedup_vs_sequential", "ideal_speedup"):
            figures[f"{key}_{k}"] = round(row[key], 4)
    runtime.stop()
    shutil.rmtree(work, ignore_errors=True)

    print(f"generation stage, latency x{SCALE:g} (keyframe {KEYFRAME_S:.1f} s, QA {QA_S:.1f} s, "
          f"segment {SEGMENT_S:.1f} s, ±{JITTER:.0%}), {IMAGE_SLOTS} image / {VIDEO_SLOTS} "
          "video calls at once")
    print(f"{'keyframes':>9} {'overlap s':>10} {'sequential s':>13} {'ideal s':>8} "
          f"{'ratio/ideal':>12} {'speed-up':>9} {'ideal speed-up':>15}")
    for r in rows:
        print(f"{r['keyframes']:>9} {r['overlap_s']:>10.2f} {r['sequential_s']:>13.2f} "
              f"{r['ideal_s']:>8.2f} {r['ratio_to_ideal']:>12.3f} "
              f"{r['speedup_vs_sequential']:>9.3f} {r['ideal_speedup']:>15.3f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
