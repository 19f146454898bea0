"""``GET /jobs/{job_id}`` answered before routing: the same answers as the route, at once.

The fast path and the route share one status body; these tests hold the fast path to the
route's bytes, headers and error shapes, the body to the ORM's view of the job, and the key
check to every request (a revoked key is refused on the next poll).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from tests.api.conftest import SMALL_JOB, headers, png_bytes
from tests.utils.api import isolated_settings
from tests.utils.postgres import temporary_database
from ugen.api import job_views
from ugen.api.fast_status import JobStatusFastPath
from ugen.api.job_views import JobStatuses, job_public
from ugen.api.main import API_PREFIX, create_app
from ugen.core.config import Settings
from ugen.store import jobs as job_store
from ugen.store import signed_urls
from ugen.store.api_keys import create_account, create_api_key, hash_key, revoke_api_key
from ugen.store.db import session_scope
from ugen.store.models import ApiKey, utcnow

JOBS = "/api/v1/jobs"
CreateJob = Callable[..., Any]


class _Clock:
    """A fixed ``time.time`` for the modules that sign URLs, so two bodies can be equal."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fixed = _Clock(1_900_000_000.25)
    monkeypatch.setattr(signed_urls, "time", fixed)
    monkeypatch.setattr(job_views, "time", fixed)
    return fixed


@pytest.fixture
def route_client(settings: Settings) -> Iterator[TestClient]:
    """The same API without the fast path: every status read goes through the route."""
    with TestClient(create_app(settings, status_fast_path=False)) as c:
        yield c


def _same(fast: Any, route: Any) -> None:
    assert fast.status_code == route.status_code
    assert fast.content == route.content
    assert ({k: v for k, v in fast.headers.items() if k != "date"}
            == {k: v for k, v in route.headers.items() if k != "date"})


def _orm_body(settings: Settings, job_id: str) -> bytes:
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
        assert job is not None
        stages = job_store.get_stages(s, job_id)
        return job_public(job, stages, settings).model_dump_json().encode()


def _advance(settings: Settings, job_id: str) -> None:
    """Move the job through its states as the pipeline would: running, stages, outputs."""
    now = utcnow()
    with session_scope(settings) as s:
        job_store.set_job_fields(s, job_id, status="running", current_stage="generation",
                                 started_at=now, progress_percent=40)
        job_store.set_stage(s, job_id, "agents", status="completed", run_number=1,
                            started_at=now - timedelta(seconds=3.25), finished_at=now,
                            credits_used=7)
        job_store.set_stage(s, job_id, "generation", status="running", run_number=1,
                            started_at=now, error="a retried 503")


def test_fast_path_answers_like_the_route(settings: Settings, client: TestClient,
                                          route_client: TestClient, clock: _Clock,
                                          account: tuple[str, str],
                                          create_job: CreateJob) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    url = f"{JOBS}/{job_id}"
    states: list[Callable[[], None]] = [
        lambda: None,
        lambda: _advance(settings, job_id),
        lambda: _set(settings, job_id, status="failed", error_stage="generation",
                     error_message="the provider refused", finished_at=utcnow()),
        lambda: _set(settings, job_id, only_if_active=False, status="completed",
                     progress_percent=100, final_video=f"{job_id}/final.mp4",
                     thumbnail=f"{job_id}/poster.jpg"),
    ]
    for change in states:
        change()
        fast = client.get(url, headers=headers(key))
        assert fast.status_code == 200
        _same(fast, route_client.get(url, headers=headers(key)))
        assert fast.content == _orm_body(settings, job_id)
        assert client.get(url, headers=headers(key)).content == fast.content
    assert fast.json()["final_video_url"].startswith(f"/api/v1/files/{job_id}/final.mp4?")


@pytest.mark.postgres
def test_fast_path_answers_like_the_route_on_postgresql(tmp_path: Path, clock: _Clock) -> None:
    """The raw reads go through the PostgreSQL driver too (its own parameter style and
    column types): the same bytes as the route and as the ORM."""
    with temporary_database() as url, isolated_settings(tmp_path / "data",
                                                        database_url=url) as settings:
        _, key = create_account(settings, "pg", 1000)
        with TestClient(create_app(settings)) as fast, TestClient(
                create_app(settings, status_fast_path=False)) as route:
            upload = fast.post("/api/v1/uploads/product-image", headers=headers(key),
                               files={"file": ("photo.png", png_bytes(), "image/png")})
            assert upload.status_code == 201, upload.text
            created = fast.post(JOBS, headers=headers(key),
                                json={**SMALL_JOB, "product_image_url": upload.json()["url"]})
            assert created.status_code == 201, created.text
            job_id = created.json()["job_id"]
            for change in (lambda: None, lambda: _advance(settings, job_id)):
                change()
                answer = fast.get(f"{JOBS}/{job_id}", headers=headers(key))
                assert answer.status_code == 200
                _same(answer, route.get(f"{JOBS}/{job_id}", headers=headers(key)))
                assert answer.content == _orm_body(settings, job_id)
            missing = fast.get(f"{JOBS}/no-such-job", headers=headers(key))
            assert missing.status_code == 404
            assert missing.json()["error"]["code"] == "JOB_NOT_FOUND"


def _set(settings: Settings, job_id: str, **values: Any) -> None:
    with session_scope(settings) as s:
        job_store.set_job_fields(s, job_id, **values)


def test_kept_body_follows_job_and_stage_changes(settings: Settings, client: TestClient,
                                                 clock: _Clock, account: tuple[str, str],
                                                 create_job: CreateJob) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    url = f"{JOBS}/{job_id}"
    assert client.get(url, headers=headers(key)).json()["progress_percent"] < 30
    with session_scope(settings) as s:  # a stage alone, the job's row untouched
        job_store.set_stage(s, job_id, "agents", status="running", run_number=1)
    stages = {st["name"]: st for st in client.get(url, headers=headers(key)).json()["stages"]}
    assert stages["agents"]["status"] == "running"
    with session_scope(settings) as s:
        job_store.raise_progress(s, job_id, 30)
    assert client.get(url, headers=headers(key)).json()["progress_percent"] == 30

    _set(settings, job_id, only_if_active=False, status="completed",
         final_video=f"{job_id}/final.mp4", thumbnail=None)
    first = client.get(url, headers=headers(key)).json()["final_video_url"]
    clock.now += 1  # signed URLs are signed afresh each second
    later = client.get(url, headers=headers(key)).json()["final_video_url"]
    assert first != later and later == signed_urls.sign_artifact(
        settings, job_id, f"{job_id}/final.mp4", now=clock.now)
    assert client.get(url, headers=headers(key)).content == _orm_body(settings, job_id)


@pytest.mark.parametrize("sent", [
    {},
    {"X-API-Key": ""},
    {"X-API-Key": "ugen_sk_nope"},
    {"X-API-Key": "something-else"},
    {"Authorization": "Bearer ugen_sk_nope"},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
])
def test_fast_path_refuses_bad_keys_like_the_route(client: TestClient, route_client: TestClient,
                                                   account: tuple[str, str],
                                                   create_job: CreateJob,
                                                   sent: dict[str, str]) -> None:
    _, key = account
    url = f"{JOBS}/{create_job(key).json()['job_id']}"
    fast = client.get(url, headers=sent)
    assert fast.status_code == 401
    assert fast.json()["error"]["code"] == "UNAUTHORIZED"
    assert fast.json()["error"]["details"] == {}
    assert fast.headers["www-authenticate"] == "Bearer"
    _same(fast, route_client.get(url, headers=sent))


def test_fast_path_reads_keys_like_the_route(client: TestClient, route_client: TestClient,
                                             account: tuple[str, str],
                                             create_job: CreateJob) -> None:
    _, key = account
    url = f"{JOBS}/{create_job(key).json()['job_id']}"
    for sent, status in [
        ({"Authorization": f"Bearer {key}"}, 200),
        ({"Authorization": f"bearer   {key}  "}, 200),
        ({"Authorization": "Basic dXNlcjpwYXNz", "X-API-Key": key}, 200),
        ({"Authorization": f"Bearer {key}", "X-API-Key": "ugen_sk_nope"}, 200),
        ({"Authorization": "Bearer ugen_sk_nope", "X-API-Key": key}, 401),  # Bearer wins
    ]:
        fast = client.get(url, headers=sent)
        assert fast.status_code == status, sent
        _same(fast, route_client.get(url, headers=sent))


def test_fast_path_hides_other_accounts_jobs(client: TestClient, route_client: TestClient,
                                             make_account: Callable[..., tuple[str, str]],
                                             create_job: CreateJob) -> None:
    _, owner = make_account()
    _, other = make_account()
    job_id = create_job(owner).json()["job_id"]
    for url in (f"{JOBS}/{job_id}", f"{JOBS}/no-such-job"):
        fast = client.get(url, headers=headers(other))
        assert fast.status_code == 404
        assert fast.json() == {"error": {"code": "JOB_NOT_FOUND",
                                         "message": f"no job {url.rsplit('/', 1)[1]}",
                                         "details": {}}}
        _same(fast, route_client.get(url, headers=headers(other)))


def test_revoked_key_is_refused_on_the_next_poll(settings: Settings, client: TestClient,
                                                 account: tuple[str, str],
                                                 create_job: CreateJob) -> None:
    account_id, key = account
    spare = create_api_key(settings, account_id, name="spare")
    url = f"{JOBS}/{create_job(key).json()['job_id']}"
    assert client.get(url, headers=headers(spare.api_key)).status_code == 200
    revoke_api_key(settings, spare.key_id)
    assert client.get(url, headers=headers(spare.api_key)).status_code == 401
    assert client.get(url, headers=headers(key)).status_code == 200

    expired = create_api_key(settings, account_id, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get(url, headers=headers(expired.api_key)).status_code == 401


def test_fast_path_maintains_last_used_at(settings: Settings, client: TestClient,
                                          account: tuple[str, str],
                                          create_job: CreateJob) -> None:
    account_id, key = account
    url = f"{JOBS}/{create_job(key).json()['job_id']}"
    fresh = create_api_key(settings, account_id, name="poller")
    assert _last_used(settings, fresh.api_key) is None
    assert client.get(url, headers=headers(fresh.api_key)).status_code == 200
    first = _last_used(settings, fresh.api_key)
    assert first is not None
    assert client.get(url, headers=headers(fresh.api_key)).status_code == 200
    assert _last_used(settings, fresh.api_key) == first  # written at most once a minute


def _last_used(settings: Settings, raw: str) -> Any:
    with session_scope(settings) as s:
        return s.scalar(select(ApiKey.last_used_at).where(ApiKey.key_hash == hash_key(raw)))


def test_fast_path_answers_without_routing_and_passes_the_rest(
        settings: Settings, client: TestClient, account: tuple[str, str],
        create_job: CreateJob) -> None:
    _, key = account
    job_id = create_job(key).json()["job_id"]
    passed: list[tuple[str, str]] = []

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        passed.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fast = TestClient(JobStatusFastPath(downstream, prefix=API_PREFIX,
                                        statuses=JobStatuses(settings)))
    assert fast.get(f"{JOBS}/{job_id}", headers=headers(key)).status_code == 200
    assert passed == []
    for method, path in [("POST", f"{JOBS}/{job_id}"), ("HEAD", f"{JOBS}/{job_id}"),
                         ("GET", f"{JOBS}/{job_id}/video"), ("GET", f"{JOBS}/"),
                         ("GET", JOBS), ("GET", "/api/v1/credits/balance")]:
        assert fast.request(method, path, headers=headers(key)).status_code == 418
    assert len(passed) == 6
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/jobs/{job_id}"]


def test_kept_bodies_are_bounded(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                 account: tuple[str, str], create_job: CreateJob) -> None:
    monkeypatch.setattr(job_views, "_KEPT_BODIES", 2)
    _, key = account
    job_ids = [create_job(key).json()["job_id"] for _ in range(3)]
    statuses = JobStatuses(settings)
    for job_id in [*job_ids, *job_ids]:
        assert statuses.body(key, job_id) == _orm_body(settings, job_id)
    assert len(statuses._bodies) == 2
