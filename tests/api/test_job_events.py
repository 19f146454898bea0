"""``GET /jobs/{id}/events``: Server-Sent Events from the job's event log, resumable."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from tests.utils.server import running_server
from ugen import service
from ugen.api.main import create_app
from ugen.core.config import Settings
from ugen.store import jobs as job_store
from ugen.store.api_keys import create_api_key, revoke_api_key
from ugen.store.db import session_scope

JOBS = "/api/v1/jobs"


def parse_sse(text: str) -> list[dict[str, Any]]:
    """The events of an SSE body: ``id`` (or None), ``event``, ``data``; comments as such."""
    out: list[dict[str, Any]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields: dict[str, Any] = {"id": None}
        for line in block.split("\n"):
            if line.startswith(":"):
                fields["comment"] = line[1:].strip()
            else:
                name, _, value = line.partition(": ")
                fields[name] = json.loads(value) if name == "data" else value
        out.append(fields)
    return out


@pytest.fixture
def fast_events(settings: Settings) -> Iterator[Settings]:
    settings.events_poll_interval_s = 0.05
    yield settings


def _cancel_later(settings: Settings, job_id: str, delay: float = 0.5) -> threading.Timer:
    """Cancel the job from another thread while the stream is open (no worker runs it)."""
    timer = threading.Timer(delay, service.cancel_job, args=(settings, job_id))
    timer.start()
    return timer


def test_job_events_stream_until_cancelled(fast_events: Settings, client: TestClient,
                                           account: tuple[str, str],
                                           create_job: Callable[..., Any]) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    timer = _cancel_later(fast_events, job_id)
    with client.stream("GET", f"{JOBS}/{job_id}/events", headers=headers(key)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = r.read().decode()
    timer.join()
    events = [e for e in parse_sse(body) if "event" in e]
    logged = [e for e in events if e["id"] is not None]
    assert [e["event"] for e in logged] == ["job_created", "job_cancelled"]
    with session_scope(fast_events) as s:
        rows = job_store.list_events(s, job_id)
    assert [int(e["id"]) for e in logged] == [row.id for row in rows]
    assert logged[0]["data"]["job_id"] == job_id and logged[0]["data"]["stage"] == "prepare"
    assert logged[-1]["data"]["type"] == "job_cancelled"
    progress = [e["data"] for e in events if e["event"] == "progress"]
    assert progress[-1]["status"] == "cancelled" and progress[-1]["job_id"] == job_id
    assert events[-1]["event"] == "progress"  # the stream ended after the terminal state


def test_job_events_resume_after_last_event_id(fast_events: Settings, client: TestClient,
                                               account: tuple[str, str],
                                               create_job: Callable[..., Any]) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    service.cancel_job(fast_events, job_id)
    full = parse_sse(client.get(f"{JOBS}/{job_id}/events", headers=headers(key)).text)
    first_id = next(e["id"] for e in full if e["id"] is not None)

    resumed = client.get(f"{JOBS}/{job_id}/events",
                         headers={**headers(key), "Last-Event-ID": first_id})
    assert [e["event"] for e in parse_sse(resumed.text) if e["id"]] == ["job_cancelled"]
    by_query = client.get(f"{JOBS}/{job_id}/events?last_event_id={first_id}",
                          headers=headers(key))
    assert [e["event"] for e in parse_sse(by_query.text) if e["id"]] == ["job_cancelled"]


def test_job_events_keep_alive_while_idle(fast_events: Settings, client: TestClient,
                                          account: tuple[str, str],
                                          create_job: Callable[..., Any]) -> None:
    _, key = account
    fast_events.events_keepalive_s = 0.1
    fast_events.events_max_stream_s = 0.6
    job_id = create_job(key).json()["job_id"]  # stays queued: no worker runs
    body = client.get(f"{JOBS}/{job_id}/events", headers=headers(key)).text
    assert any(e.get("comment") == "keep-alive" for e in parse_sse(body))


def test_job_events_other_account_not_found(client: TestClient,
                                            make_account: Callable[..., tuple[str, str]],
                                            create_job: Callable[..., Any]) -> None:
    _, key = make_account()
    _, other = make_account()
    job_id = create_job(key).json()["job_id"]
    r = client.get(f"{JOBS}/{job_id}/events", headers=headers(other))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "JOB_NOT_FOUND"
    assert client.get(f"{JOBS}/{job_id}/events").status_code == 401


def test_job_events_bad_last_event_id_rejected(client: TestClient, account: tuple[str, str],
                                               create_job: Callable[..., Any]) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    r = client.get(f"{JOBS}/{job_id}/events", headers={**headers(key), "Last-Event-ID": "x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["header", "Last-Event-ID"]


def test_job_events_stream_closes_after_max_duration(fast_events: Settings, client: TestClient,
                                                     account: tuple[str, str],
                                                     create_job: Callable[..., Any]) -> None:
    _, key = account
    fast_events.events_max_stream_s = 0.3
    job_id = create_job(key).json()["job_id"]
    events = parse_sse(client.get(f"{JOBS}/{job_id}/events", headers=headers(key)).text)
    assert [e["event"] for e in events if e.get("id")] == ["job_created"]
    assert events[-1]["data"]["status"] == "queued"  # still running: the client resumes


def test_revoked_key_ends_open_stream(settings: Settings, account: tuple[str, str],
                                      create_job: Callable[..., Any]) -> None:
    """A real server: the stream of a key revoked while it is open ends within seconds."""
    account_id, _ = account
    created = create_api_key(settings, account_id, name="watcher")
    job_id = create_job(created.api_key).json()["job_id"]  # stays queued: no worker runs
    # A long stream, idle but for keep-alives: only the revocation can end it.
    live = settings.model_copy(update={"events_max_stream_s": 600.0,
                                       "events_keepalive_s": 1.0})
    with running_server(create_app(live)) as base, httpx.Client(
            base_url=base, timeout=httpx.Timeout(5.0, read=20.0)) as http:
        url = f"{JOBS}/{job_id}/events"
        with http.stream("GET", url, headers=headers(created.api_key)) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            seen = []
            for line in lines:
                seen.append(line)
                if line.startswith("data:") and "job_created" in line:
                    break
            revoke_api_key(settings, created.key_id)
            # Keep-alives come every second, so a stream that outlives its key shows here.
            deadline = time.monotonic() + 15
            rest = []
            for line in lines:  # ends when the server closes the stream
                rest.append(line)
                assert time.monotonic() < deadline, "the stream outlived its key"
        assert not any("job_cancelled" in line for line in rest)
        again = http.get(url, headers=headers(created.api_key))
        assert again.status_code == 401 and again.json()["error"]["code"] == "UNAUTHORIZED"
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        assert job is not None and job.status == "queued"
