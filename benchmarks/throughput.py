"""Benchmark: jobs per hour through 1, 2 and 4 ``ugen worker`` processes, and what bounds it.

For each worker count it makes a fresh PostgreSQL database and S3 bucket (moto's server on
loopback), starts the workers as separate processes, each with a private data dir (no shared
disk: every artifact goes through the bucket), submits ``--jobs`` whole jobs at once with
``UGEN_PROVIDERS=simulated`` (the documented latency model: keyframe 0.8 s, segment 4.5 s,
±20 %, times ``--latency-scale``) and waits for them all. It prints per worker count:

- jobs per hour (jobs over the time from the first job starting to the last one finishing);
- p50/p95 job wall time (a job's run, from its workflow starting to its last stage ending;
  the time it waited in the jobs queue before that is shown apart);
- the orchestration overhead: job wall time over the job's ideal schedule, the critical path
  of its own steps with the same drawn vendor latencies and zero time between them (no queue
  hops, no polling, no checkpoints): see ``_schedule.py``;
- peak memory per worker (the worker process's high-water mark, and its process tree's peak
  RSS sampled with its FFmpeg children);
- CPU: the workers' own CPU and their FFmpeg children's, split into post-production (what an
  operator pays for: ``media_cpu_s_per_ad_s``, FFmpeg CPU seconds per second of finished ad)
  and the simulated vendor's renders (FFmpeg encoding the local stand-in segments, which a
  real vendor does on its own machines), and the verdict: CPU-bound when the workers kept
  the machine's cores busy (≥ 85 %), else vendor-bound.

FFmpeg's CPU is measured exactly per invocation: the workers run FFmpeg through a small
shell wrapper (``UGEN_FFMPEG_PATH``) that records the argv and the child's rusage.

    .venv/bin/python benchmarks/throughput.py                       # 40 jobs; 1, 2, 4 workers
    .venv/bin/python benchmarks/throughput.py --jobs 6 --workers 1,2  # a quick check

Needs PostgreSQL on 127.0.0.1:5432 (``benchmarks/_postgres.py``), ffmpeg, and the dev extra
(moto, psutil). Everything it starts or creates (workers, the S3 server, databases,
buckets, temporary dirs) is removed at the end, also on Ctrl-C. The last line printed is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._postgres import temporary_database  # noqa: E402
from benchmarks._s3 import CREDENTIALS, bucket_bytes, s3_server, temporary_bucket  # noqa: E402
from benchmarks._schedule import JobTiming, job_timings, read_ffmpeg_log  # noqa: E402

CPU_BOUND_SHARE = 0.85
"""Share of the machine's cores the workers must keep busy for a run to count as CPU-bound."""
SEGMENTS = 3
"""Segments per job (the product's default)."""
EST_CPU_S_PER_JOB = 85.0
"""Rough CPU seconds per default job on this kind of machine, for the up-front estimate."""
EST_CRITICAL_PATH_S = 85.0
"""Rough critical path of one default job alone at latency scale 1, for the estimate."""


@dataclass(frozen=True)
class Options:
    jobs: int
    workers: tuple[int, ...]
    latency_scale: float
    jobs_per_worker: int
    timeout_s: float
    keep: bool


@dataclass
class WorkerProc:
    executor_id: str
    proc: subprocess.Popen[bytes]
    peak_tree_rss: int = 0
    hwm_bytes: int = 0
    cpu_self_s: float = 0.0
    cpu_children_s: float = 0.0


@dataclass
class RunResult:
    workers: int
    jobs: list[JobTiming]
    makespan_s: float
    worker_stats: list[WorkerProc]
    media_cpu_s: float
    vendor_sim_cpu_s: float
    ffmpeg_calls: int
    ad_seconds: float
    s3_objects: int
    s3_bytes: int
    machine_busy: float
    """Share of the machine's CPU time busy during the run (ours and anyone else's)."""
    failed: list[str] = field(default_factory=list)


# --- processes ------------------------------------------------------------------------------


def _ffmpeg_wrapper(work: Path) -> tuple[Path, Path]:
    """A shell wrapper that runs the real ffmpeg and writes its argv and CPU to a file each.

    ``times`` reports the shell's reaped children, i.e. exactly this ffmpeg; one file per call
    so concurrent calls never interleave.
    """
    real = shutil.which("ffmpeg")
    if real is None:
        raise SystemExit("ffmpeg is not on PATH")
    log_dir = work / "ffmpeg-calls"
    log_dir.mkdir()
    wrapper = work / "ffmpeg"
    wrapper.write_text(
        "#!/bin/bash\n"
        f'"{real}" "$@"\n'
        "rc=$?\n"
        f'{{ printf \'%s\\n\' "$*"; times; }} > "{log_dir}/$$-$RANDOM$RANDOM" 2>/dev/null\n'
        "exit $rc\n")
    wrapper.chmod(0o755)
    return wrapper, log_dir


def _worker_env(base: dict[str, str], *, data_dir: Path, db_url: str, bucket: str,
                endpoint: str, opts: Options, ffmpeg: Path) -> dict[str, str]:
    per_worker_items = opts.jobs_per_worker * SEGMENTS
    env = {k: v for k, v in base.items() if not k.startswith(("UGEN_", "AWS_"))}
    env.update(CREDENTIALS)
    env.update({
        "UGEN_DATA_DIR": str(data_dir),
        "UGEN_DATABASE_URL": db_url,
        "UGEN_STORAGE_URL": f"s3://{bucket}/bench",
        "UGEN_S3_ENDPOINT_URL": endpoint,
        "UGEN_PROVIDERS": "simulated",
        "UGEN_SIMULATED_LATENCY_SCALE": str(opts.latency_scale),
        "UGEN_WORKER_CONCURRENCY": str(opts.jobs_per_worker),
        # The simulated vendor has no account limits: give every job's keyframes and
        # segments a slot, so the overhead measures orchestration, not a vendor quota.
        "UGEN_IMAGE_WORKER_CONCURRENCY": str(per_worker_items),
        "UGEN_VIDEO_WORKER_CONCURRENCY": str(per_worker_items),
        # Media stages of a worker's jobs do not queue behind each other: sharing the cores
        # shows as longer steps (and the CPU-bound verdict), not as queue waits.
        "UGEN_MEDIA_WORKER_CONCURRENCY": str(opts.jobs_per_worker),
        "UGEN_FFMPEG_PATH": str(ffmpeg),
        "UGEN_LOG_FORMAT": "text",
    })
    return env


def _start_worker(executor_id: str, env: dict[str, str], log: Path) -> WorkerProc:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ugen.cli", "worker", "--executor-id", executor_id],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return WorkerProc(executor_id, proc)


def _stop_group(proc: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM the process group (the worker and its FFmpeg children), then SIGKILL."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with suppress(ProcessLookupError):  # children left in the group (an orphaned FFmpeg)
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@contextmanager
def running_workers(count: int, env_for: Any, logs: Path, db_url: str) -> Iterator[
        list[WorkerProc]]:
    """Start ``count`` workers (the first alone: it migrates the empty database); stop them."""
    started: list[WorkerProc] = []
    try:
        for i in range(count):
            started.append(_start_worker(f"bench-w{i + 1}", env_for(i), logs / f"w{i + 1}.log"))
            if i == 0:
                _wait_heartbeats(db_url, 1, started)
        _wait_heartbeats(db_url, count, started)
        yield started
    finally:
        for w in started:
            _stop_group(w.proc)


def _wait_heartbeats(db_url: str, count: int, started: list[WorkerProc],
                     timeout_s: float = 120.0) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(db_url))
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for w in started:
                if w.proc.poll() is not None:
                    raise RuntimeError(f"worker {w.executor_id} exited with "
                                       f"{w.proc.returncode}; see its log")
            try:
                with engine.connect() as conn:
                    seen = conn.execute(text("SELECT count(*) FROM workers")).scalar_one()
                if seen >= count:
                    return
            except Exception:  # the table appears once the first worker has migrated
                pass
            time.sleep(0.3)
    finally:
        engine.dispose()
    raise TimeoutError(f"{count} workers not up after {timeout_s} s")


def _sqlalchemy_url(db_url: str) -> str:
    return db_url.replace("postgresql://", "postgresql+psycopg://", 1)


class Sampler(threading.Thread):
    """Samples each worker's process-tree RSS, keeps the peak and the last CPU times."""

    def __init__(self, workers: list[WorkerProc], interval_s: float = 0.25) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.workers = workers
        self.interval_s = interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            for w in self.workers:
                self.sample(w)

    @staticmethod
    def sample(w: WorkerProc) -> None:
        import psutil

        try:
            root = psutil.Process(w.proc.pid)
            procs = [root, *root.children(recursive=True)]
            rss = 0
            for p in procs:
                with suppress(psutil.Error):
                    rss += p.memory_info().rss
            w.peak_tree_rss = max(w.peak_tree_rss, rss)
            cpu = root.cpu_times()
            w.cpu_self_s = cpu.user + cpu.system
            w.cpu_children_s = cpu.children_user + cpu.children_system
            w.hwm_bytes = max(w.hwm_bytes, _vm_hwm(w.proc.pid))
        except psutil.Error:
            pass


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _vm_hwm(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# --- one run --------------------------------------------------------------------------------


def _submit(env: dict[str, str], count: int, work: Path) -> list[str]:
    """Submit ``count`` jobs from a client process of its own (as the API would)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--submit", str(count)],
        env={**env, "UGEN_DATA_DIR": str(work / "client")}, capture_output=True,
        timeout=60 + 5 * count, check=False, start_new_session=True)
    if out.returncode != 0:
        raise RuntimeError(f"submitting jobs failed:\n{out.stderr.decode()[-3000:]}")
    ids: list[str] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return ids


def _submit_main(count: int) -> None:
    """``--submit N``: the client process; prints the job ids as one JSON line."""
    from ugen import service
    from ugen.core.config import get_settings
    from ugen.core.schemas import JobOptions
    from ugen.pipeline import runtime
    from ugen.store import ledger
    from ugen.store.db import session_scope

    settings = get_settings()
    account = service.ensure_default_account(settings)
    with session_scope(settings) as s:
        ledger.grant(s, account, 10_000 * count, description="throughput benchmark")
    image = ROOT / "examples" / "serum-bottle.png"
    ids = [service.submit_job(settings, account_id=account, image=image,
                              options=JobOptions(product_name="Bench Serum", seed=1000 + i,
                                                 segment_count=SEGMENTS, aspect_ratio="9:16")).id
           for i in range(count)]
    runtime.stop()
    print(json.dumps(ids))


def _wait_done(db_url: str, ids: list[str], timeout_s: float, workers: list[WorkerProc]
               ) -> None:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(_sqlalchemy_url(db_url))
    query = text("SELECT count(*) FROM jobs WHERE id IN :ids AND status IN "
                 "('completed', 'failed', 'cancelled', 'stopped')").bindparams(
        bindparam("ids", expanding=True))
    deadline = time.monotonic() + timeout_s
    last = -1
    try:
        while time.monotonic() < deadline:
            for w in workers:
                if w.proc.poll() is not None:
                    raise RuntimeError(f"worker {w.executor_id} died ({w.proc.returncode})")
            with engine.connect() as conn:
                done = conn.execute(query, {"ids": ids}).scalar_one()
            if done != last:
                print(f"  {done}/{len(ids)} jobs ended", file=sys.stderr)
                last = done
            if done == len(ids):
                return
            time.sleep(1.0)
    finally:
        engine.dispose()
    raise TimeoutError(f"jobs not done after {timeout_s:.0f} s")


def run_once(n_workers: int, opts: Options, endpoint: str, work_root: Path) -> RunResult:
    """Run ``opts.jobs`` jobs through ``n_workers`` workers on a fresh database and bucket."""
    work = work_root / f"w{n_workers}"
    (work / "logs").mkdir(parents=True)
    ffmpeg, ffmpeg_log = _ffmpeg_wrapper(work)
    with temporary_database() as db_url, temporary_bucket(endpoint) as bucket:
        def env_for(i: int) -> dict[str, str]:
            return _worker_env(dict(os.environ), data_dir=work / f"data-w{i + 1}",
                               db_url=db_url, bucket=bucket, endpoint=endpoint, opts=opts,
                               ffmpeg=ffmpeg)

        with running_workers(n_workers, env_for, work / "logs", db_url) as workers:
            sampler = Sampler(workers)
            sampler.start()
            ticks_before = _cpu_ticks()
            try:
                ids = _submit(env_for(0), opts.jobs, work)
                _wait_done(db_url, ids, opts.timeout_s, workers)
            finally:
                ticks_after = _cpu_ticks()
                sampler.stopped.set()
                sampler.join()
                for w in workers:
                    Sampler.sample(w)  # the last CPU times, before the workers stop
        timings, failed = job_timings(_sqlalchemy_url(db_url), ids)
        objects, size = bucket_bytes(endpoint, bucket)
    calls = read_ffmpeg_log(ffmpeg_log)
    return RunResult(
        workers=n_workers, jobs=timings,
        makespan_s=(max(t.finished for t in timings) - min(t.started for t in timings)
                    if timings else 0.0),
        worker_stats=workers, ffmpeg_calls=len(calls),
        media_cpu_s=sum(c.cpu_s for c in calls if not c.vendor_sim),
        vendor_sim_cpu_s=sum(c.cpu_s for c in calls if c.vendor_sim),
        ad_seconds=sum(t.ad_seconds for t in timings), s3_objects=objects, s3_bytes=size,
        failed=failed, machine_busy=((ticks_after[0] - ticks_before[0])
                                     / max(1, ticks_after[1] - ticks_before[1])))


# --- report ---------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def summarise(r: RunResult, cores: int) -> dict[str, Any]:
    walls = [t.wall_s for t in r.jobs]
    ratios = [t.wall_s / t.ideal_s for t in r.jobs if t.ideal_s > 0]
    cpu = sum(w.cpu_self_s + w.cpu_children_s for w in r.worker_stats)
    busy = cpu / (r.makespan_s * cores) if r.makespan_s else 0.0
    per_job_cpu = cpu / len(r.jobs) if r.jobs else float("nan")
    return {
        "workers": r.workers, "jobs": len(r.jobs), "failed": len(r.failed),
        "wall_s": r.makespan_s,
        "jobs_per_hour": len(r.jobs) * 3600 / r.makespan_s if r.makespan_s else 0.0,
        "p50_s": _pct(walls, 0.50), "p95_s": _pct(walls, 0.95),
        "queued_p50_s": _pct([t.queued_s for t in r.jobs], 0.50),
        "ideal_p50_s": _pct([t.ideal_s for t in r.jobs], 0.50),
        "overhead_p50": _pct(ratios, 0.50), "overhead_p95": _pct(ratios, 0.95),
        "peak_hwm_mb": max((w.hwm_bytes for w in r.worker_stats), default=0) / 2**20,
        "peak_tree_mb": max((w.peak_tree_rss for w in r.worker_stats), default=0) / 2**20,
        "cpu_s": cpu, "cpu_s_per_job": per_job_cpu, "cores_busy": busy,
        "cpu_ceiling_jobs_per_hour": cores * 3600 / per_job_cpu if per_job_cpu else 0.0,
        "media_cpu_s_per_ad_s": r.media_cpu_s / r.ad_seconds if r.ad_seconds else 0.0,
        "vendor_sim_cpu_s_per_ad_s": (r.vendor_sim_cpu_s / r.ad_seconds
                                      if r.ad_seconds else 0.0),
        "ffmpeg_calls": r.ffmpeg_calls, "ad_s_per_job": r.ad_seconds / max(1, len(r.jobs)),
        "s3_mb": r.s3_bytes / 2**20,
        "machine_busy": r.machine_busy,
        "verdict": ("vendor-bound" if r.machine_busy < CPU_BOUND_SHARE else
                    "CPU-bound" if busy >= CPU_BOUND_SHARE else "CPU-bound (others' load)"),
    }


def print_report(rows: list[dict[str, Any]], opts: Options, cores: int) -> None:
    print(f"\nthroughput: {opts.jobs} jobs of {SEGMENTS} segments, latency x"
          f"{opts.latency_scale:g} (keyframe {0.8 * opts.latency_scale:.1f} s, segment "
          f"{4.5 * opts.latency_scale:.1f} s, ±20 %), {opts.jobs_per_worker} jobs per worker, "
          f"PostgreSQL + moto S3, {cores} cores")
    head = (f"{'workers':>7} {'jobs':>5} {'wall s':>7} {'jobs/h':>7} {'p50 s':>6} "
            f"{'p95 s':>6} {'ovh p50':>7} {'ovh p95':>7} {'RSS MB':>7} {'tree MB':>7} "
            f"{'ours':>5} {'all':>5} {'media':>6} {'vendor':>6}  verdict")
    print(head)
    for r in rows:
        print(f"{r['workers']:>7} {r['jobs']:>5} {r['wall_s']:>7.1f} {r['jobs_per_hour']:>7.1f} "
              f"{r['p50_s']:>6.1f} {r['p95_s']:>6.1f} {r['overhead_p50']:>7.3f} "
              f"{r['overhead_p95']:>7.3f} {r['peak_hwm_mb']:>7.0f} {r['peak_tree_mb']:>7.0f} "
              f"{r['cores_busy']:>5.0%} {r['machine_busy']:>5.0%} "
              f"{r['media_cpu_s_per_ad_s']:>6.2f} "
              f"{r['vendor_sim_cpu_s_per_ad_s']:>6.2f}  {r['verdict']}")
    print("  RSS MB: peak of one worker process (VmHWM); tree MB: with its FFmpeg children;\n"
          "  ours / all: the workers' CPU / the whole machine's busy time, over wall x cores "
          f"(CPU-bound when all >= {CPU_BOUND_SHARE:.0%});\n"
          "  media / vendor: FFmpeg CPU s per ad s of our work / of the simulated vendor's "
          "stand-in renders.")
    base = rows[0]
    for r in rows:
        growth = r["jobs_per_hour"] / base["jobs_per_hour"] if base["jobs_per_hour"] else 0
        print(f"  {r['workers']} worker(s): {growth:.2f}x the throughput of {base['workers']}; "
              f"{r['cpu_s_per_job']:.1f} CPU s per job (FFmpeg post-production "
              f"{r['media_cpu_s_per_ad_s'] * r['ad_s_per_job']:.1f} s for a "
              f"{r['ad_s_per_job']:.1f} s ad) caps {cores} cores at "
              f"{r['cpu_ceiling_jobs_per_hour']:.0f} jobs/h; ideal job {r['ideal_p50_s']:.1f} s, "
              f"queued p50 {r['queued_p50_s']:.1f} s; {r['failed']} failed")


def _estimate(opts: Options, cores: int) -> float:
    total = 0.0
    for w in opts.workers:
        # The critical path holds one keyframe and one segment latency (0.8 s + 4.5 s at x1).
        path = EST_CRITICAL_PATH_S + 5.3 * (opts.latency_scale - 1)
        vendor = opts.jobs * path / (w * opts.jobs_per_worker)
        cpu = opts.jobs * EST_CPU_S_PER_JOB / cores
        total += max(vendor, cpu) + 15  # plus start-up and tear-down
    return total


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=40, help="jobs per worker count (40)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (1,2,4)")
    parser.add_argument("--latency-scale", type=float, default=1.0,
                        help="UGEN_SIMULATED_LATENCY_SCALE (1: keyframe 0.8 s, segment 4.5 s)")
    parser.add_argument("--jobs-per-worker", type=int, default=2,
                        help="UGEN_WORKER_CONCURRENCY of each worker (2, the default)")
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds to wait for one worker count's jobs")
    parser.add_argument("--keep", action="store_true",
                        help="keep the worker logs and FFmpeg call records (path printed)")
    parser.add_argument("--submit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.submit is not None:
        _submit_main(args.submit)
        raise SystemExit(0)
    workers = tuple(int(w) for w in args.workers.split(","))
    if args.jobs < 1 or not workers or min(workers) < 1:
        parser.error("--jobs and --workers must be positive")
    return Options(args.jobs, workers, args.latency_scale, args.jobs_per_worker,
                   args.timeout, args.keep)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the run as Ctrl-C does, so every ``finally`` cleans up."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    opts = parse_args(argv)
    cores = os.cpu_count() or 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"estimate: about {_estimate(opts, cores) / 60:.0f} min for {opts.jobs} jobs through "
          f"{', '.join(map(str, opts.workers))} workers", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="ugen-throughput-"))
        if not opts.keep:
            stack.callback(shutil.rmtree, work, True)
        endpoint, _ = stack.enter_context(s3_server())
        for n in opts.workers:
            started = time.monotonic()
            print(f"{n} worker(s): {opts.jobs} jobs", file=sys.stderr)
            rows.append(summarise(run_once(n, opts, endpoint, work), cores))
            print(f"  took {time.monotonic() - started:.0f} s", file=sys.stderr)
        if opts.keep:
            print(f"worker logs kept in {work}", file=sys.stderr)
    print_report(rows, opts, cores)
    by = {r["workers"]: r for r in rows}
    vendor_bound = [r for r in rows if r["verdict"] == "vendor-bound"] or rows[:1]
    figures: dict[str, Any] = {
        "jobs_per_hour_1": round(by[1]["jobs_per_hour"], 1) if 1 in by else None,
        "jobs_per_hour_4": round(by[4]["jobs_per_hour"], 1) if 4 in by else None,
        "overhead_p95": round(min(r["overhead_p95"] for r in vendor_bound), 3),
        "media_cpu_s_per_ad_s": round(statistics.median(
            r["media_cpu_s_per_ad_s"] for r in rows), 3),
        "jobs": opts.jobs, "latency_scale": opts.latency_scale,
    }
    for r in rows:
        n = r["workers"]
        for key in ("jobs_per_hour", "p50_s", "p95_s", "overhead_p50", "overhead_p95",
                    "peak_hwm_mb", "peak_tree_mb", "cores_busy", "machine_busy",
                    "cpu_s_per_job",
                    "media_cpu_s_per_ad_s", "vendor_sim_cpu_s_per_ad_s"):
            figures[f"{key}_{n}"] = round(r[key], 3)
        figures[f"verdict_{n}"] = r["verdict"]
        figures[f"failed_{n}"] = r["failed"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
