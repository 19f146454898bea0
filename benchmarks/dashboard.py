"""Benchmark: how fast the dashboard's pages are served, and how soon a page shows an event.

On a fresh SQLite database it seeds, through the store, an account with 1,000 jobs of every
status and one finished 10-segment job shaped as the pipeline writes it (every stage's typed
outputs, 21 keyframe and 10 segment attempts, its event log, two webhook deliveries), then:

- the server time of ``/jobs/{job_id}`` (that job, every stage's details) and of ``/`` (the
  first page of the 1,000 jobs, and of the failed ones): each page requested ``--requests``
  times, after a warm-up, straight through the site's ASGI application in this process (no
  network, no client library: what the server does for one request, its session check, reads,
  rendering and middleware included), as wall time and as the CPU time the process spent;
- the delay from an event being written to the job's page showing it: the job is set
  running, its page is opened in Chromium (Debian's, driven by Playwright) from a real
  server, and ``--events`` events of its ``generation`` stage are written one at a time at
  random moments; the page notes when each line appears in its event log (a
  MutationObserver, on the same clock), and the delay is that moment minus the moment the
  event's transaction committed. The stream polls every ``UGEN_EVENTS_POLL_INTERVAL_S``
  (0.5 s by default), so about half that is expected on average.

    .venv/bin/python benchmarks/dashboard.py [--requests 200] [--events 30]

It prints the machine's load average (other work on it lengthens every figure) and a
table; the last line is one JSON object with ``job_page_p95_ms``,
``jobs_list_p95_ms`` and ``event_to_screen_ms`` (the 95th percentile), among others.
Targets: both pages at most 50 ms at the 95th percentile on SQLite, events on screen
within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Timing:
    name: str
    wall_ms: list[float]
    cpu_ms: list[float]
    size: int

    def pct(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))],
                     1)


async def _call(app: Any, path: str, cookie: str) -> tuple[int, int]:
    """One GET through the ASGI application: (status, body bytes)."""
    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1:8000"), (b"cookie", cookie.encode()),
                         (b"accept", b"text/html")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    sent = False
    status, size = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


def time_page(app: Any, name: str, path: str, cookie: str, requests: int) -> Timing:
    async def run() -> Timing:
        for _ in range(10):  # warm-up: templates compiled, statements cached
            status, size = await _call(app, path, cookie)
            assert status == 200, (path, status)
        wall, cpu = [], []
        for _ in range(requests):
            w0, c0 = time.perf_counter(), time.process_time()
            status, size = await _call(app, path, cookie)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert status == 200
        return Timing(name, wall, cpu, size)

    return asyncio.run(run())


def event_to_screen(settings: Any, account_id: str, job_id: str, count: int) -> list[float]:
    """Delays (ms) from each event's commit to its line in the page's event log."""
    from playwright.sync_api import sync_playwright

    from tests.utils.server import running_server
    from ugen import service
    from ugen.store import jobs as job_store
    from ugen.store.db import session_scope
    from ugen.web import create_site

    with session_scope(settings) as s:  # the job is running again: its page is live
        job_store.set_job_fields(s, job_id, only_if_active=False, status="running",
                                 current_stage="generation", progress_percent=40,
                                 finished_at=None)
        job_store.set_stage(s, job_id, "generation", status="running", finished_at=None)
    delays: list[float] = []
    with running_server(create_site(settings)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1440, "height": 900},
                                   base_url=url).new_page()
        page.goto(f"/login/link?token={service.create_login_link(settings, account_id)}")
        page.goto(f"/jobs/{job_id}")
        page.evaluate("""() => {
          window.__seen = {};
          new MutationObserver(records => {
            const at = performance.timeOrigin + performance.now();
            for (const r of records) for (const node of r.addedNodes) {
              const m = (node.textContent || '').match(/probe (\\d+)/);
              if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = at;
            }
          }).observe(document.getElementById('event-lines'), {childList: true});
        }""")
        page.wait_for_timeout(1500)  # the stream is connected and has sent what changed
        rng = random.Random(7)
        for n in range(count):
            with session_scope(settings) as s:
                job_store.add_event(s, job_id, "qa_verdict", run_number=1, stage="generation",
                                    message=f"probe {n}")
            written = time.time() * 1000
            page.wait_for_function(f"() => '{n}' in window.__seen", timeout=10_000)
            delays.append(page.evaluate(f"window.__seen['{n}']") - written)
            page.wait_for_timeout(rng.uniform(100, 700))  # a random phase of the poll
        browser.close()
    return delays


def seed(settings: Any) -> tuple[str, str, str]:
    from tests.web.seeded_jobs import seed_job, seed_many
    from ugen import service
    from ugen.store.api_keys import create_account

    account_id, _ = create_account(settings, "bench", 1000)
    seed_many(settings, account_id, 1000)
    job = seed_job(settings, account_id, segments=10, webhook=True)
    token = service.create_login_link(settings, account_id)
    session = service.sign_in_with_link(settings, token)
    assert session is not None
    return account_id, job.job_id, f"ugen_session={session.token}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--no-browser", action="store_true",
                        help="skip the event-to-screen measurement")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="ugen-bench-dashboard-"))
    for name in [n for n in os.environ if n.startswith("UGEN_")]:
        del os.environ[name]
    os.environ["UGEN_DATA_DIR"] = str(root / "data")
    try:
        from ugen.core.config import get_settings
        from ugen.store.db import migrate
        from ugen.web import create_site

        settings = get_settings()
        migrate(settings)
        account_id, job_id, cookie = seed(settings)
        app = create_site(settings)
        timings = [
            time_page(app, "job page (10 segments)", f"/jobs/{job_id}", cookie, args.requests),
            time_page(app, "jobs list (1,000 jobs)", "/", cookie, args.requests),
            time_page(app, "jobs list, failed only", "/?status=failed", cookie, args.requests),
        ]
        delays = ([] if args.no_browser or not Path(CHROMIUM).exists()
                  else event_to_screen(settings, account_id, job_id, args.events))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on "
          f"{os.cpu_count()} cores")
    print(f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'CPU p50 ms':>11} "
          f"{'bytes':>8}")
    for t in timings:
        print(f"{t.name:<26} {t.pct(t.wall_ms, 50):>8} {t.pct(t.wall_ms, 95):>8} "
              f"{round(max(t.wall_ms), 1):>8} {t.pct(t.cpu_ms, 50):>11} {t.size:>8}")
    summary: dict[str, Any] = {
        "job_page_p50_ms": timings[0].pct(timings[0].wall_ms, 50),
        "job_page_p95_ms": timings[0].pct(timings[0].wall_ms, 95),
        "job_page_cpu_p50_ms": timings[0].pct(timings[0].cpu_ms, 50),
        "job_page_bytes": timings[0].size,
        "jobs_list_p50_ms": timings[1].pct(timings[1].wall_ms, 50),
        "jobs_list_p95_ms": timings[1].pct(timings[1].wall_ms, 95),
        "jobs_list_cpu_p50_ms": timings[1].pct(timings[1].cpu_ms, 50),
        "requests": args.requests, "load_avg_1m": round(load_before, 1),
    }
    if delays:
        d = Timing("", delays, [], 0)
        print(f"{'event to screen':<26} {d.pct(delays, 50):>8} {d.pct(delays, 95):>8} "
              f"{round(max(delays), 1):>8} {'':>11} {len(delays):>6} ev")
        summary.update(event_to_screen_ms=d.pct(delays, 95),
                       event_to_screen_p50_ms=d.pct(delays, 50),
                       event_to_screen_mean_ms=round(statistics.mean(delays), 1),
                       events=len(delays))
    else:
        summary["event_to_screen_ms"] = None
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
