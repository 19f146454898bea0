"""Benchmark: throughput and latency of the HTTP API under load.

Starts the API as ``--workers`` processes of its own, as docs/deploy.md runs API processes
behind a proxy: each a uvicorn server on its own loopback port, the client's connections
spread over them evenly as a proxy spreads them (the proxy's own cost is not counted);
``--balance shared`` starts one ``uvicorn --workers`` on one socket instead, where a burst
of new connections tends to go to whichever process wakes first. SQLite, no pipeline worker
(created jobs stay queued). It creates an account, a key, an upload and one job through the
API, then measures:

- ``GET /api/v1/jobs/{job_id}`` (the status a client polls) from ``--connections`` keep-alive
  connections for ``--seconds`` seconds, after a warm-up, twice: back to back (the most the
  server can serve: ``status_rps``; ``saturated_p99_ms`` is then just connections / rate),
  and at an offered ``--rate`` of requests per second spread over the same connections, on
  a fixed schedule with latency counted from the scheduled time (``status_p50_ms``,
  ``status_p99_ms``: what clients see at that load);
- ``POST /api/v1/jobs`` (validate, price, reserve, queue) for ``--creates`` jobs from
  ``--create-connections`` connections, on SQLite (one writer at a time) and again on a
  throwaway PostgreSQL database (``--postgres-admin-url``; ``create_p99_ms_postgres``,
  target at most 100 ms; the phase is skipped, saying so, when no server answers).

The client is a small asyncio HTTP/1.1 keep-alive client in this process (no HTTP library
between it and the socket), so that on a small machine the client is not what is measured.

    .venv/bin/python benchmarks/api_load.py [--workers 2] [--connections 100] [--seconds 10]
    .venv/bin/python benchmarks/api_load.py --only-postgres [--profile DIR] [--balance shared]

``--only-postgres`` runs the PostgreSQL creation phase alone; ``--profile DIR`` records the
server's processes with py-spy during it (``pip install py-spy``; one raw stack file per
process, samples of the thread holding the GIL: Python's own CPU).

Besides latency it reports the CPU time the server processes and the client spent per request
(from /proc), which does not depend on what else the machine is running, and (``--only-postgres``)
each server process's CPU seconds (how the work was shared). It prints a table;
the last line printed is one JSON object with the figures (``status_rps``,
``status_p50_ms``, ``status_p99_ms``, ``create_rps``, ``create_p99_ms``, ...). Targets on a
2-core machine: status at least 1000 req/s with p99 at most 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._ports import free_port  # noqa: E402

HOST = "127.0.0.1"
JOB = {"product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3,
       "segment_count": 1}


@dataclass
class Run:
    """Latencies (seconds) and outcomes of one measured phase."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    server_cpu_by_process: list[float] = field(default_factory=list)
    """CPU seconds of each server process (workers and supervisor), most first."""
    client_cpu_s: float = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return round(ordered[index] * 1000, 2)

    @property
    def rps(self) -> float:
        return round(len(self.latencies) / self.wall_s, 1) if self.wall_s else 0.0

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per request."""
        return round(seconds * 1000 / len(self.latencies), 3) if self.latencies else 0.0


# --- a minimal HTTP/1.1 keep-alive client ----------------------------------------------------

def _request(method: str, path: str, key: str, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nX-API-Key: {key}\r\n"
            f"Accept: application/json\r\n")
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"response without Content-Length: {head!r}")
    await reader.readexactly(length)
    return status


async def _connection(port: int, run: Run, *, request: bytes = b"", until: float = 0.0,
                      queue: asyncio.Queue[bytes] | None = None) -> None:
    """Send ``request`` until ``until``, or each request of ``queue`` until it is empty."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while True:
            if queue is not None:
                if queue.empty():
                    return
                request = queue.get_nowait()
            elif time.perf_counter() >= until:
                return
            start = time.perf_counter()
            writer.write(request)
            status = await _response(reader)
            run.add(status, time.perf_counter() - start)
    finally:
        writer.close()
        await writer.wait_closed()


def process_cpu_s(pgid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process of a process group."""
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state; 2 the process group
            found[int(stat.parent.name)] = ((int(fields[11]) + int(fields[12]))  # utime, stime
                                            / os.sysconf("SC_CLK_TCK"))
    return found


def process_group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group."""
    return sum(process_cpu_s(pgid).values())


@dataclass(frozen=True)
class Fleet:
    """The API's processes: ``ports`` to connect to, ``pgids`` to measure."""

    procs: tuple[subprocess.Popen[bytes], ...]
    ports: tuple[int, ...]

    @property
    def pgids(self) -> tuple[int, ...]:
        return tuple(p.pid for p in self.procs)  # each leads its own process group

    def port(self, connection: int) -> int:
        """The port of the ``connection``-th connection: spread evenly, like a proxy."""
        return self.ports[connection % len(self.ports)]


def fleet_cpu_s(fleet: Fleet) -> dict[int, float]:
    return {pid: cpu for pgid in fleet.pgids for pid, cpu in process_cpu_s(pgid).items()}


async def _measured(run: Run, fleet: Fleet, *connections: Any) -> Run:
    server_cpu, client_cpu = fleet_cpu_s(fleet), time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*connections)
    run.wall_s = time.perf_counter() - start
    after = fleet_cpu_s(fleet)
    run.server_cpu_by_process = sorted(
        (round(after[pid] - server_cpu.get(pid, 0.0), 2) for pid in after), reverse=True)
    run.server_cpu_s = sum(run.server_cpu_by_process)
    run.client_cpu_s = time.process_time() - client_cpu
    return run


async def measure_for(fleet: Fleet, request: bytes, connections: int, seconds: float) -> Run:
    """``connections`` connections sending ``request`` back to back for ``seconds``."""
    run = Run()
    until = time.perf_counter() + seconds
    return await _measured(run, fleet, *(
        _connection(fleet.port(i), run, request=request, until=until)
        for i in range(connections)))


async def _paced(port: int, run: Run, request: bytes, interval: float, start: float,
                 until: float) -> None:
    """Send ``request`` on a fixed schedule (one every ``interval`` s from ``start``); each
    latency runs from the scheduled time, so a server falling behind is charged for the
    wait (no coordinated omission)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        due = start
        while due < until:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(request)
            status = await _response(reader)
            run.add(status, time.perf_counter() - due)
            due += interval
    finally:
        writer.close()
        await writer.wait_closed()


async def measure_rate(fleet: Fleet, request: bytes, connections: int, rate: float,
                       seconds: float) -> Run:
    """An offered load of ``rate`` requests/s spread evenly over ``connections``."""
    run = Run()
    interval = connections / rate
    start = time.perf_counter() + 0.05
    return await _measured(run, fleet, *(
        _paced(fleet.port(i), run, request, interval, start + i * interval / connections,
               start + seconds) for i in range(connections)))


async def measure_all(fleet: Fleet, requests: list[bytes], connections: int) -> Run:
    """Send every request once, spread over ``connections`` connections.

    With ``--balance shared`` the uvicorn workers share one listening socket and asyncio
    accepts every pending connection when it wakes, so connections opened together often
    all go to one worker process (``server_cpu_by_process`` shows how the work was
    shared)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    run = Run()
    return await _measured(run, fleet, *(
        _connection(fleet.port(i), run, queue=queue) for i in range(connections)))


# --- the server and the data -----------------------------------------------------------------

def _env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UGEN_")}
    env.update({"UGEN_DATA_DIR": str(data_dir), "UGEN_MAX_CONCURRENT_JOBS": "0",
                "UGEN_MAX_DAILY_JOBS": "0", "PYTHONPATH": str(ROOT)})
    if database_url:
        env["UGEN_DATABASE_URL"] = database_url
    return env


def start_server(data_dir: Path, port: int, workers: int,
                 database_url: str | None = None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "ugen.api.main:create_app", "--factory",
           "--host", HOST, "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=_env(data_dir, database_url), start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/openapi.json", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


def start_fleet(data_dir: Path, workers: int, database_url: str | None = None, *,
                balance: str = "proxy") -> Fleet:
    """The API as ``workers`` processes: ``proxy``, each its own server on its own port
    (as docs/deploy.md runs them behind a proxy); ``shared``, one uvicorn ``--workers``."""
    if balance == "shared":
        port = free_port()
        return Fleet((start_server(data_dir, port, workers, database_url),), (port,))
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for _ in range(workers):
            ports.append(free_port())
            procs.append(start_server(data_dir, ports[-1], 1, database_url))
    except BaseException:
        for proc in procs:
            stop_server(proc)
        raise
    return Fleet(tuple(procs), tuple(ports))


def stop_fleet(fleet: Fleet) -> None:
    for proc in fleet.procs:
        stop_server(proc)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def setup_data(data_dir: Path, database_url: str | None = None) -> str:
    """Migrate the database and create the account; return its API key."""
    os.environ.pop("UGEN_DATABASE_URL", None)
    os.environ.update(_env(data_dir, database_url))
    from ugen.core.config import get_settings
    from ugen.store.api_keys import create_account
    from ugen.store.db import dispose_engines, migrate

    settings = get_settings()
    migrate(settings)
    _, key = create_account(settings, "load", 10_000_000)
    dispose_engines()
    return key


def _api(port: int, key: str, method: str, path: str, *, body: bytes = b"",
         content_type: str = "application/json") -> dict[str, object]:
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=body or None,
                                 method=method, headers={"X-API-Key": key,
                                                         "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=60) as r:
        data: dict[str, object] = json.loads(r.read())
        return data


def upload_and_create(port: int, key: str, image: Path) -> tuple[str, str]:
    """Upload the product image and create one job; return (upload url, job id)."""
    boundary = "ugenbenchboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n").encode()
    body += image.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    upload = _api(port, key, "POST", "/api/v1/uploads/product-image", body=body,
                  content_type=f"multipart/form-data; boundary={boundary}")
    url = str(upload["url"])
    job = _api(port, key, "POST", "/api/v1/jobs",
               body=json.dumps({**JOB, "product_image_url": url}).encode())
    return url, str(job["job_id"])


def product_image(path: Path) -> Path:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    ImageDraw.Draw(img).rounded_rectangle((160, 128, 352, 470), radius=30,
                                          fill=(212, 120, 60, 255))
    img.save(path)
    return path


# --- main ------------------------------------------------------------------------------------

def _row(name: str, run: Run) -> str:
    ok = sum(n for s, n in run.statuses.items() if s < 400)
    return (f"{name:<18}{len(run.latencies):>9}{ok:>8}{run.rps:>9}"
            f"{run.percentile_ms(50):>9}{run.percentile_ms(99):>9}"
            f"{round(max(run.latencies) * 1000, 1):>9}{run.cpu_ms(run.server_cpu_s):>12}"
            f"{run.cpu_ms(run.client_cpu_s):>12}")


def _py_spy(fleet: Fleet, out: Path) -> list[subprocess.Popen[bytes]]:
    """One ``py-spy record`` per process serving requests (each uvicorn worker)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.mkdir(parents=True, exist_ok=True)
    pids = []
    for pgid in fleet.pgids:
        workers = [pid for pid in process_cpu_s(pgid) if pid != pgid]
        pids.extend(workers or [pgid])  # a single-process server serves in its leader
    spies = [subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "250",
                               "--nonblocking", "--gil", "--format", "raw",
                               "--output", str(out / f"{pid}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid in pids]
    time.sleep(1.0)  # py-spy attaches
    return spies


def _postgres_creates(args: argparse.Namespace, tmp: Path) -> tuple[Run | None, str]:
    """``POST /api/v1/jobs`` as on SQLite, on a throwaway PostgreSQL database."""
    from benchmarks._postgres import NoPostgres, temporary_database
    from ugen.store.db import dispose_engines

    try:
        with temporary_database(args.postgres_admin_url) as url:
            data_dir = tmp / "data"
            key = setup_data(data_dir, url)
            fleet = start_fleet(data_dir, args.workers, url, balance=args.balance)
            try:
                upload, _ = upload_and_create(fleet.ports[0], key,
                                              product_image(tmp / "p.png"))
                body = json.dumps({**JOB, "product_image_url": upload}).encode()
                warm = [_request("POST", "/api/v1/jobs", key, body)
                        for _ in range(args.create_connections * 2)]
                asyncio.run(measure_all(fleet, warm, args.create_connections))
                creates = [_request("POST", "/api/v1/jobs", key, body)
                           for _ in range(args.creates)]
                spies = _py_spy(fleet, Path(args.profile)) if args.profile else []
                try:
                    return asyncio.run(measure_all(fleet, creates,
                                                   args.create_connections)), ""
                finally:
                    for spy in spies:
                        spy.send_signal(2)  # SIGINT: py-spy writes its graph and exits
                        spy.wait(timeout=60)
            finally:
                stop_fleet(fleet)
                dispose_engines()
    except NoPostgres as err:
        return None, str(err)


def postgres_only(args: argparse.Namespace) -> None:
    """``--only-postgres``: the PostgreSQL creation phase and its figures."""
    tmp_root = tempfile.mkdtemp(prefix="ugen-api-load-pg-")
    try:
        postgres, note = _postgres_creates(args, Path(tmp_root))
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    if postgres is None:
        print(f"POST on PostgreSQL: skipped, {note}")
        return
    print(f"{'phase':<18}{'requests':>9}{'ok':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'server cpu':>12}{'client cpu':>12}")
    print(_row(f"POST x{args.create_connections} PG", postgres))
    print(json.dumps({
        "create_p50_ms_postgres": postgres.percentile_ms(50),
        "create_p99_ms_postgres": postgres.percentile_ms(99),
        "create_rps_postgres": postgres.rps,
        "create_errors_postgres": sum(n for s, n in postgres.statuses.items() if s >= 400),
        "create_server_cpu_ms_postgres": postgres.cpu_ms(postgres.server_cpu_s),
        "create_server_cpu_s_by_process_postgres": postgres.server_cpu_by_process,
        "workers": args.workers, "balance": args.balance,
        "create_connections": args.create_connections,
        "creates": args.creates, "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="API server processes")
    parser.add_argument("--balance", choices=("proxy", "shared"), default="proxy",
                        help="proxy: each process its own port, the connections spread "
                             "over them evenly (as behind the proxy of docs/deploy.md); "
                             "shared: one uvicorn --workers on one socket")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--creates", type=int, default=1000,
                        help="jobs created per phase (p99 of 1000: the 10th worst)")
    parser.add_argument("--create-connections", type=int, default=10)
    parser.add_argument("--postgres-admin-url",
                        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="where the throwaway database for the PostgreSQL phase is made")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="offered status requests/s for the latency phase")
    parser.add_argument("--only-postgres", action="store_true",
                        help="run only the PostgreSQL creation phase (its figures alone)")
    parser.add_argument("--profile", metavar="DIR",
                        help="record the server's CPU with py-spy (if installed) during the "
                             "PostgreSQL creation phase: one flame graph per process in DIR")
    args = parser.parse_args()
    if args.only_postgres:
        postgres_only(args)
        return

    with tempfile.TemporaryDirectory(prefix="ugen-api-load-") as tmp:
        data_dir = Path(tmp) / "data"
        key = setup_data(data_dir)
        fleet = start_fleet(data_dir, args.workers, balance=args.balance)
        try:
            url, job_id = upload_and_create(fleet.ports[0], key,
                                            product_image(Path(tmp) / "p.png"))
            status_request = _request("GET", f"/api/v1/jobs/{job_id}", key)
            asyncio.run(measure_for(fleet, status_request, args.connections, args.warmup))
            status = asyncio.run(measure_for(fleet, status_request, args.connections,
                                             args.seconds))
            paced = asyncio.run(measure_rate(fleet, status_request, args.connections,
                                             args.rate, args.seconds))
            body = json.dumps({**JOB, "product_image_url": url}).encode()
            creates = [_request("POST", "/api/v1/jobs", key, body)
                       for _ in range(args.creates)]
            create = asyncio.run(measure_all(fleet, creates, args.create_connections))
        finally:
            stop_fleet(fleet)

    postgres, postgres_note = _postgres_creates(args, Path(tmp_root := tempfile.mkdtemp(
        prefix="ugen-api-load-pg-")))
    shutil.rmtree(tmp_root, ignore_errors=True)

    stack = ("httptools, uvloop" if importlib.util.find_spec("httptools")
             and importlib.util.find_spec("uvloop") else "h11, asyncio")
    shape = (f"{args.workers} uvicorn processes on their own ports" if args.balance == "proxy"
             else f"uvicorn --workers {args.workers}")
    print(f"API load: {shape} ({stack}), SQLite, no pipeline "
          f"worker; {os.cpu_count()} CPUs, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'phase':<18}{'requests':>9}{'ok':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'server cpu':>12}{'client cpu':>12}")
    print(_row(f"GET job x{args.connections}", status))
    print(_row(f"GET @{args.rate:g}/s", paced))
    print(_row(f"POST job x{args.create_connections}", create))
    if postgres is not None:
        print(_row(f"POST x{args.create_connections} PG", postgres))
    else:
        print(f"POST on PostgreSQL: skipped, {postgres_note}")
    figures = {
        "status_rps": status.rps, "status_p50_ms": paced.percentile_ms(50),
        "status_p99_ms": paced.percentile_ms(99), "status_rate": args.rate,
        "status_rate_achieved_rps": paced.rps,
        "saturated_p50_ms": status.percentile_ms(50),
        "saturated_p99_ms": status.percentile_ms(99), "status_requests": len(status.latencies),
        "status_errors": sum(n for s, n in status.statuses.items() if s >= 400),
        "create_rps": create.rps, "create_p50_ms": create.percentile_ms(50),
        "create_p99_ms": create.percentile_ms(99), "create_requests": len(create.latencies),
        "create_errors": sum(n for s, n in create.statuses.items() if s >= 400),
        "create_p50_ms_postgres": postgres.percentile_ms(50) if postgres else None,
        "create_p99_ms_postgres": postgres.percentile_ms(99) if postgres else None,
        "create_rps_postgres": postgres.rps if postgres else None,
        "create_errors_postgres": sum(n for s, n in postgres.statuses.items() if s >= 400)
        if postgres else None,
        "workers": args.workers, "balance": args.balance, "connections": args.connections,
        "create_connections": args.create_connections, "seconds": args.seconds,
        "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
        "mean_status_ms": round(statistics.fmean(status.latencies) * 1000, 2),
        "status_server_cpu_ms": status.cpu_ms(status.server_cpu_s),
        "status_client_cpu_ms": status.cpu_ms(status.client_cpu_s),
        "create_server_cpu_ms": create.cpu_ms(create.server_cpu_s),
        # What two dedicated cores could serve if the server alone used them.
        "status_rps_cpu_bound_2_cores": round(2000 / status.cpu_ms(status.server_cpu_s), 1)
        if status.server_cpu_s else None,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
