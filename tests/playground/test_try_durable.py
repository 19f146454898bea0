"""A try is a durable workflow: a submit step that runs again sends the same keyed request
(one vendor task, one recorded call), and a worker killed while the vendor renders is
restarted and finishes the same vendor task."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.playground.conftest import keyed, wait_task
from tests.utils.workers import Workers
from ugen.core.config import Settings
from ugen.pipeline import playground as pg
from ugen.providers.vendor import external_task_id
from ugen.service import playground as service
from ugen.store import ledger
from ugen.store import playground as task_store
from ugen.store.artifacts import artifact_store
from ugen.store.db import session_scope
from ugen.store.models import ProviderCall


def calls_of(settings: Settings, task_id: str) -> list[ProviderCall]:
    with session_scope(settings) as s:
        rows = list(s.scalars(select(ProviderCall).where(ProviderCall.job_id == task_id)))
        s.expunge_all()
    return rows


def queued_task(settings: Settings, account_id: str) -> str:
    """A task row with its reservation, as a submission leaves it (no workflow)."""
    spec = task_store.TaskSpec(
        task_id="0d9b6a3e-2c41-4e0f-9a7d-3b1f5c2e8a10", account_id=account_id,
        model_id="kling3_std", prompt="The bottle turns", aspect_ratio="1:1", duration_s=3,
        resolution="720p", width=720, height=720, seed=11, first_frame=None,
        last_frame=None, credits=15)
    with session_scope(settings) as s:
        task_store.add_task(s, spec)
        ledger.reserve(s, account_id, spec.task_id, 15, key=f"playground:{spec.task_id}:r")
    return spec.task_id


def test_submit_step_run_twice_is_one_vendor_task_and_one_call(
        settings: Settings, worker: None,
        make_account: Callable[..., tuple[str, str]]) -> None:
    account_id, _ = make_account()
    task_id = queued_task(settings, account_id)
    frames = pg.frames_step(task_id)
    assert frames[0] == frames[1]  # no frame given: a card made from the prompt, held
    with Image.open(artifact_store(settings).path(frames[0])) as card:
        assert card.size == (720, 720)
    task = service.get_try(settings, account_id, task_id)
    assert task.status == "running"
    key_a = external_task_id(pg.segment_request(settings, task, frames))
    key_b = external_task_id(pg.segment_request(settings, task, frames))
    assert key_a == key_b  # the vendor's idempotency key does not change on a re-run
    assert key_a != external_task_id(pg.segment_request(settings, task, frames, 1))
    first = pg.submit_step(task_id, frames, 0)
    again = pg.submit_step(task_id, frames, 0)  # as after a crash before its checkpoint
    assert first == again
    tasks_dir = settings.work_dir / "video-tasks"
    assert len(list(tasks_dir.glob("lv-*.json"))) == 1
    calls = calls_of(settings, task_id)
    assert [(c.capability, c.units, c.unit, c.request_id) for c in calls] == [
        ("video", 3.0, "second", first)]


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "UGEN_VIDEO_PROVIDER": "simulated", "UGEN_SIMULATED_SEGMENT_S": "2.5",
           "UGEN_HEARTBEAT_INTERVAL_S": "0.5"}
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop_all()


def test_worker_killed_while_vendor_renders_resumes_the_same_task(
        api_client: TestClient, settings: Settings, workers: Workers,
        make_account: Callable[..., tuple[str, str]]) -> None:
    account_id, key = make_account()
    r = api_client.post("/api/v1/models/kling3_std/try", headers=keyed(key), json={
        "prompt": "The bottle turns", "duration": 3, "aspect_ratio": "1:1"})
    assert r.status_code == 202, r.text
    task_id = r.json()["task_id"]
    workers.start("pg-worker")
    deadline = time.monotonic() + 60
    while (task := service.get_try(settings, account_id, task_id)).vendor_task_id is None:
        workers.check_running()
        assert time.monotonic() < deadline, "the worker never submitted the task"
        time.sleep(0.05)
    assert task.status == "running" and task.vendor_task_id.startswith("sim:")
    workers.kill("pg-worker")  # the simulated vendor is still rendering
    assert service.get_try(settings, account_id, task_id).status == "running"
    workers.start("pg-worker")  # the same executor id recovers its own workflow
    done = wait_task(api_client, key, task_id, timeout=90)
    assert done["status"] == "completed", done["error"]
    assert service.get_try(settings, account_id, task_id).vendor_task_id == \
        task.vendor_task_id
    assert len(calls_of(settings, task_id)) == 1  # paid once
    assert done["credits_charged"] == 15
