"""Benchmark: the offline path against its own QA — N jobs, no QA failure expected.

Runs N offline jobs (the ``local`` providers, real DBOS checkpoints and queues, an in-process
worker, SQLite) over a deterministic matrix drawn from ``--seed``: product pictures made in
code (the shipped example, transparent cut-outs, flat featureless products on alpha and on
white, white-background photos, a JPEG photo with a busy backdrop, tall and wide products,
the smallest and a large picture; see ``tests.utils.images.PRODUCT_KINDS``), every video model
with every aspect ratio it allows (``auto`` and Kling's ``1:1`` included), every persona (and
none: one picked from the seed), every interaction mode, one to three segments, at the job's
default ``qai_mode`` (``lenient``, or ``--qai-mode``).

Jobs stop after ``generation`` (``stop_at_stage``): every QA verdict of a job is given in
``init`` (the anchor) and ``generation`` (the other keyframes and every segment); the stages
after it never judge pictures.

For every keyframe a job keeps, the whole product must be inside the frame with a margin of
2 % of the frame's short side. That is measured on the keyframe's pixels: the layout the
offline keyframe provider records says where the product should be; the product's own pixels
(its cut-out, tilted and scaled the same way) must be found there, in colour, over at least
70 % of its area (the hand holding it covers some), and every one of its pixels must lie inside
the margin. For products that can be located by features, the located product (ORB + RANSAC,
``ugen.qa.product``) must also lie inside the frame.

Every job here is a correct request on a correct picture, so every QA rejection is a false
positive and every failed job a false failure. Prints a table of jobs (image kind, model,
aspect, segments, seed, result, QA rejections per stage and regenerations, keyframes with the
whole product in frame), the rejections by category and the false-failure rate; the last line
is one JSON object (``jobs``, ``failed_jobs``, ``rejections``, ``rejections_by_category``,
``regenerations``, ``product_out_of_frame``, ...).

    .venv/bin/python benchmarks/offline_qa_sweep.py                     # 50 jobs, 2 at once
    .venv/bin/python benchmarks/offline_qa_sweep.py --jobs 10 --seed 7 --parallel 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from tests.utils.images import PRODUCT_KINDS, product_picture  # noqa: E402

MARGIN = 0.02  # of the frame's short side, kept free around the product
MIN_VERIFIED = 0.7  # share of the product's pixels found, in colour, where the layout says
SAMPLES = 6000  # product pixels compared per keyframe
MAX_TINT = 6.0  # Lab a*b* shift the scene's light may give the product as a whole (seen: < 2)
CREDITS_PER_JOB = 5000
JOB_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class JobSpec:
    """One job of the sweep."""

    index: int
    kind: str
    model: str
    aspect: str
    segments: int
    duration: int | None
    persona: str | None
    mode: str
    seed: int
    qai_mode: str


@dataclass(frozen=True)
class Framing:
    """Where a keyframe's product is, against the frame."""

    keyframe: str
    margin: float  # nearest product pixel to an edge, share of the short side (<0: outside)
    verified: float  # share of the product's pixels found in colour where the layout puts it
    located_outside: float | None  # share outside the frame of the product found by features

    @property
    def in_frame(self) -> bool:
        return (self.margin >= MARGIN and self.verified >= MIN_VERIFIED
                and (self.located_outside is None or self.located_outside <= 0.01))


@dataclass(frozen=True)
class Rejection:
    stage: str
    item: str
    attempt: int
    categories: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class JobResult:
    spec: JobSpec
    status: str
    error: str
    verdicts: int
    rejections: tuple[Rejection, ...]
    framings: tuple[Framing, ...]
    wall_s: float

    @property
    def failed(self) -> bool:
        return self.status != "stopped"


def plan(jobs: int, seed: int, qai_mode: str = "lenient") -> list[JobSpec]:
    """The sweep's jobs: every kind, model × aspect, persona and mode, spread evenly."""
    from ugen import catalog

    combos = [(m, a) for m, model in catalog.video_models().items()
              for a in model.supported_aspect_ratios]
    personas: list[str | None] = [*sorted(p.id for p in catalog.personas().values()), None]
    modes = catalog.INTERACTION_MODES
    specs = []
    for i in range(jobs):
        model, aspect = combos[(i * 7) % len(combos)]
        kling = model.startswith("kling")
        specs.append(JobSpec(
            index=i, kind=PRODUCT_KINDS[i % len(PRODUCT_KINDS)], model=model, aspect=aspect,
            segments=1 + (i % 3 if kling else i % 2),
            duration=3 + (i // 3) % 3 if kling else None,
            persona=personas[(i // 2) % len(personas)], mode=modes[(i // 3) % len(modes)],
            seed=seed + i, qai_mode=qai_mode))
    return specs


# --- running jobs (DBOS must be running in this process) ------------------------------------


def run_jobs(settings: Any, specs: list[JobSpec], images: Path, *,
             at_once: int = 1) -> list[JobResult]:
    """Run ``specs`` on the worker of this process, ``at_once`` submitted together (their
    times then overlap)."""
    results: list[JobResult] = []
    for start in range(0, len(specs), at_once):
        batch = specs[start:start + at_once]
        submitted = [_submit(settings, spec, images) for spec in batch]
        results.extend(_result(settings, spec, job_id, image, started)
                       for spec, (job_id, image, started) in zip(batch, submitted,
                                                                 strict=True))
    return results


def _submit(settings: Any, spec: JobSpec, images: Path) -> tuple[str, Path, float]:
    from tests.utils.jobs import submit
    from ugen import service
    from ugen.store import ledger
    from ugen.store.db import session_scope

    account = service.ensure_default_account(settings)
    with session_scope(settings) as s:
        ledger.grant(s, account, CREDITS_PER_JOB, description="offline QA sweep")
    image = product_picture(spec.kind, images / f"job{spec.index:03d}", seed=spec.seed)
    started = time.monotonic()
    job_id = submit(settings, image, video_model=spec.model, aspect_ratio=spec.aspect,
                    segment_count=spec.segments, segment_duration=spec.duration,
                    persona_id=spec.persona, interaction_mode=spec.mode, seed=spec.seed,
                    qai_mode=spec.qai_mode, stop_at_stage="generation", music_enabled=False)
    return job_id, image, started


def _result(settings: Any, spec: JobSpec, job_id: str, image: Path,
            started: float) -> JobResult:
    from tests.utils.jobs import wait

    view = wait(settings, job_id, timeout=JOB_TIMEOUT_S)
    attempts = [(str(stage["stage"]), attempt) for stage in view["stages"]
                for attempt in stage.get("attempts") or []]
    return JobResult(
        spec=spec, status=view["status"],
        error=f"{view.get('error_stage') or ''}: {view.get('error_message') or ''}"
        if view["status"] != "stopped" else "",
        verdicts=len(attempts),
        rejections=tuple(Rejection(
            stage=stage, item=str(a["item"]), attempt=int(a["attempt"]),
            categories=tuple(a.get("categories") or ()),
            reason="; ".join(r for r in a.get("reasons") or ()
                             if not r.startswith("score "))[:160])
            for stage, a in attempts if not a["passed"]),
        framings=tuple(measure_framing(path, image)
                       for path in _kept_keyframes(settings, attempts)),
        wall_s=time.monotonic() - started)


def _kept_keyframes(settings: Any, attempts: list[tuple[str, dict[str, Any]]]) -> list[Path]:
    """The file of each keyframe the job kept: its last passing attempt (a failed item: its
    last attempt)."""
    from ugen.store.artifacts import ArtifactKey, LocalArtifactStore

    last: dict[str, dict[str, Any]] = {}
    for _, attempt in attempts:
        item = str(attempt["item"])
        if not item.startswith("kf_"):
            continue
        order = (attempt["passed"], attempt["run_number"], attempt["attempt"])
        held = last.get(item)
        if held is None or order >= (held["passed"], held["run_number"], held["attempt"]):
            last[item] = attempt
    store = LocalArtifactStore(settings.artifacts_dir)
    paths = []
    for item in sorted(last):
        artifact = last[item]["artifact"]
        key = artifact["key"] if isinstance(artifact, dict) else artifact
        paths.append(store.path(ArtifactKey(str(key))))
    return paths


# --- whole product in frame, measured on the keyframe's pixels --------------------------------


def measure_framing(keyframe: Path, product: Path) -> Framing:
    """Where the product is in ``keyframe`` against the frame (see the module docstring)."""
    from ugen.providers.local._cutout import load_cutout
    from ugen.providers.local.keyframes import load_sidecar

    picture = cv2.imread(str(keyframe), cv2.IMREAD_COLOR)
    layout = load_sidecar(keyframe)
    if picture is None or layout is None:
        return Framing(keyframe.name, -1.0, 0.0, None)
    height, width = picture.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in layout["product_bbox"])
    cut = load_cutout(product).image
    size = (max(2, round(x1 - x0)), max(2, round(y1 - y0)))
    rgba = np.asarray(cut.resize(size), dtype=np.uint8)
    ys, xs = np.nonzero(rgba[:, :, 3] > 128)
    if len(xs) == 0:
        return Framing(keyframe.name, -1.0, 0.0, None)
    step = max(1, len(xs) // SAMPLES)
    ys, xs = ys[::step], xs[::step]
    # the product plane turns the product about its centre (counter-clockwise, degrees)
    angle = np.radians(float(layout["product_angle"]))
    dx, dy = xs + 0.5 - size[0] / 2, ys + 0.5 - size[1] / 2
    fx = (x0 + x1) / 2 + dx * np.cos(angle) + dy * np.sin(angle)
    fy = (y0 + y1) / 2 - dx * np.sin(angle) + dy * np.cos(angle)
    edge = np.minimum.reduce([fx, width - fx, fy, height - fy]) / min(width, height)
    inside = (fx >= 0) & (fx < width) & (fy >= 0) & (fy < height)
    seen = np.zeros(len(fx), dtype=bool)
    px, py = fx[inside].astype(int), fy[inside].astype(int)
    shown = _lab(picture[py, px])
    own = _lab(np.ascontiguousarray(rgba[ys[inside], xs[inside], 2::-1]))
    # the scene's light grades the product evenly (a little less saturated, tinted): that
    # is fitted and taken off, what is left must be small (a misplaced product leaves the
    # backdrop's colours, which no even grading explains)
    chroma = _graded_residual(own[:, 1:], shown[:, 1:])
    light = (shown[:, 0] + 5.0) / (own[:, 0] + 5.0)
    seen[inside] = (chroma < 10.0) & (light > 0.55) & (light < 1.3)
    return Framing(keyframe.name, round(float(edge.min()), 4), round(float(seen.mean()), 3),
                   _located_outside(picture, product))


def _graded_residual(own: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """|shown − (k·own + shift)| per pixel (Lab a*b*): k (0.7–1.05: grading, not recolouring)
    and shift are medians, so the fingers over the product do not pull them."""
    if len(own) < 2:
        return np.zeros(len(own))
    size = np.linalg.norm(own, axis=1)
    vivid = size > 15.0
    k = float(np.median(np.linalg.norm(shown[vivid], axis=1) / size[vivid])) \
        if vivid.sum() >= 20 else 1.0
    k = min(1.05, max(0.7, k))
    shift = np.median(shown - k * own, axis=0)
    if float(np.linalg.norm(shift)) > MAX_TINT:
        return np.full(len(own), np.inf)
    return np.asarray(np.linalg.norm(shown - (k * own + shift), axis=1))


def _lab(bgr: np.ndarray) -> np.ndarray:
    pixels = bgr.reshape(-1, 1, 3).astype(np.float32) / 255.0
    return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_BGR2Lab).reshape(-1, 3))


_FEATURES: dict[str, Any] = {}


def _located_outside(picture: np.ndarray, product: Path) -> float | None:
    """Share of the product outside the frame, the product found by features (None when it
    is too plain for them or not found)."""
    from ugen.qa.imaging import WORK_LONG_SIDE, fit_long_side
    from ugen.qa.pixels import PRODUCT_MIN_INLIERS, PRODUCT_MIN_LOCATABLE
    from ugen.qa.product import match_product, product_features

    key = str(product)
    if key not in _FEATURES:
        _FEATURES[key] = product_features(product)
    features = _FEATURES[key]
    if features is None or features.locatable < PRODUCT_MIN_LOCATABLE:
        return None
    match = match_product(features, fit_long_side(picture, WORK_LONG_SIDE))
    if match.placement is None or match.inliers < PRODUCT_MIN_INLIERS:
        return None
    return round(match.outside, 4)


# --- the sweep ------------------------------------------------------------------------------


def _child(args: tuple[list[JobSpec], str]) -> list[JobResult]:
    """A worker process: its own data dir and database, its share of the jobs."""
    specs, work = args
    os.environ.update({"UGEN_DATA_DIR": str(Path(work) / "data"),
                       "UGEN_EXECUTOR_ID": f"sweep-{os.getpid()}",
                       "UGEN_VIDEO_POLL_INTERVAL_S": "0.1"})
    from ugen.core.config import get_settings
    from ugen.pipeline import runtime
    from ugen.pipeline.worker import start_worker
    from ugen.store.db import migrate

    settings = get_settings()
    migrate(settings)
    start_worker(settings)
    try:
        return run_jobs(settings, specs, Path(work))
    finally:
        runtime.stop(drain_s=5.0)


def sweep(specs: list[JobSpec], parallel: int, work: Path) -> list[JobResult]:
    """Run ``specs`` on ``parallel`` worker processes (each its own database)."""
    shares = [specs[i::parallel] for i in range(parallel)]
    dirs = [work / f"worker{i}" for i in range(parallel)]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    if parallel == 1:
        results = _child((shares[0], str(dirs[0])))
    else:
        with multiprocessing.get_context("spawn").Pool(parallel) as pool:
            results = [r for part in pool.map(_child, list(zip(shares, map(str, dirs),
                                                               strict=True))) for r in part]
    return sorted(results, key=lambda r: r.spec.index)


def summary(results: list[JobResult], wall_s: float) -> dict[str, Any]:
    """The figures of a sweep (the last line's JSON object)."""
    rejections = [r for res in results for r in res.rejections]
    by_category = Counter(c for r in rejections for c in r.categories)
    framings = [f for res in results for f in res.framings]
    failed = sum(1 for r in results if r.failed)
    return {
        "jobs": len(results), "failed_jobs": failed,
        "false_failure_rate": round(failed / max(1, len(results)), 4),
        "verdicts": sum(r.verdicts for r in results), "rejections": len(rejections),
        "rejections_by_category": dict(sorted(by_category.items())),
        "regenerations": sum(_regenerations(r) for r in results),
        "keyframes": len(framings),
        "product_out_of_frame": sum(1 for f in framings if not f.in_frame),
        "min_margin": min((f.margin for f in framings), default=0.0),
        "min_verified": min((f.verified for f in framings), default=0.0),
        "wall_s": round(wall_s, 1),
    }


def _regenerations(result: JobResult) -> int:
    """Rejected items made again (a failed job's last rejection ended it instead)."""
    return len(result.rejections) - (1 if result.failed and result.rejections else 0)


def table(results: list[JobResult]) -> list[str]:
    from ugen import catalog

    slugs = {p.id: p.slug for p in catalog.personas().values()}
    lines = [f"{'#':>3} {'image kind':<15} {'model':<10} {'aspect':<6} {'seg':>3} "
             f"{'persona':<7} {'mode':<14} {'seed':>6} {'result':<8} {'init rej':>8} "
             f"{'gen rej':>7} {'regen':>5} {'in frame':>8} {'margin':>7} {'s':>6}"]
    for r in results:
        s = r.spec
        persona = slugs.get(s.persona, "?") if s.persona else "(seed)"
        init = sum(1 for x in r.rejections if x.stage == "init")
        gen = sum(1 for x in r.rejections if x.stage == "generation")
        regen = _regenerations(r)
        framed = sum(1 for f in r.framings if f.in_frame)
        margin = min((f.margin for f in r.framings), default=0.0)
        lines.append(
            f"{s.index:>3} {s.kind:<15} {s.model:<10} {s.aspect:<6} {s.segments:>3} "
            f"{persona:<7} {s.mode:<14} {s.seed:>6} {'ok' if not r.failed else r.status:<8} "
            f"{init:>8} {gen:>7} {regen:>5} {f'{framed}/{len(r.framings)}':>8} {margin:>7.1%} "
            f"{r.wall_s:>6.1f}")
    for r in results:
        for x in r.rejections:
            lines.append(f"    job {r.spec.index}: {x.stage} {x.item} attempt {x.attempt} "
                         f"rejected: {', '.join(x.categories)} — {x.reason}")
        if r.failed:
            lines.append(f"    job {r.spec.index} FAILED {r.error}")
        for f in r.framings:
            if not f.in_frame:
                lines.append(f"    job {r.spec.index}: {f.keyframe} product not wholly in "
                             f"frame (margin {f.margin:.1%}, {f.verified:.0%} of it found, "
                             f"features outside {f.located_outside})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=50, help="number of jobs (default 50)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first job")
    parser.add_argument("--parallel", type=int, default=2,
                        help="worker processes running jobs at once (default 2)")
    parser.add_argument("--qai-mode", default="lenient", choices=("lenient", "standard",
                                                                 "strict"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ugen-qa-sweep-"))
    specs = plan(args.jobs, args.seed, args.qai_mode)
    started = time.monotonic()
    try:
        results = sweep(specs, max(1, args.parallel), work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures = summary(results, time.monotonic() - started)
    figures.update(seed=args.seed, parallel=args.parallel, qai_mode=args.qai_mode)
    print(f"offline QA sweep: {len(results)} jobs from seed {args.seed}, stopped after "
          f"generation, qai_mode {args.qai_mode}, {args.parallel} at once"
          + (f" (work dir {work})" if args.keep else ""))
    print("\n".join(table(results)))
    print()
    print("QA rejections by category: " + (", ".join(
        f"{k} {v}" for k, v in figures["rejections_by_category"].items()) or "none"))
    print(f"QA verdicts {figures['verdicts']}, rejected {figures['rejections']} "
          f"({figures['rejections'] / max(1, figures['verdicts']):.1%}), regenerations "
          f"{figures['regenerations']}")
    print(f"failed jobs {figures['failed_jobs']} of {figures['jobs']}: false-failure rate "
          f"{figures['false_failure_rate']:.1%}")
    print(f"keyframes {figures['keyframes']}, product not wholly in frame (margin "
          f"{MARGIN:.0%}) {figures['product_out_of_frame']}, smallest margin "
          f"{figures['min_margin']:.1%}; wall time {figures['wall_s']:.0f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
