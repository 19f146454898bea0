"""Whole jobs rendered by the vendor adapters (Kling, Veo) against their fake servers.

The crash test SIGKILLs a worker process while Kling renders and restarts it: the job
resumes polling the same Kling tasks, and Kling is asked to render each segment once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.providers.fakes.kling import FakeKling
from tests.providers.fakes.server import LoopbackServer
from tests.providers.fakes.veo import FakeVeo
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY
from tests.providers.veo_kit import API_KEY as VEO_KEY
from tests.providers.veo_kit import BUCKET, VeoAdcRig
from tests.utils.jobs import stage, submit, wait
from tests.utils.workers import Workers
from ugen import service
from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker
from ugen.providers import registry
from ugen.providers.video_router import VideoRouter

pytestmark = pytest.mark.slow


@pytest.fixture
def fake_kling(tmp_path: Path, settings: Settings,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeKling, dict[str, str]]]:
    fake = FakeKling(tmp_path / "fake-media", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                     processing_s=0.5)
    with LoopbackServer(fake.app) as server:
        env = {"UGEN_KLING_ACCESS_KEY": ACCESS_KEY, "UGEN_KLING_SECRET_KEY": SECRET_KEY,
               "UGEN_KLING_BASE_URL": server.url}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield fake, env


def test_run_job_kling_adapter_completes(settings: Settings, product_image: Path,
                                         fake_kling: tuple[FakeKling, dict[str, str]]) -> None:
    fake, _ = fake_kling
    start_worker(settings)
    assert isinstance(registry.build_providers(get_settings()).video, VideoRouter)
    job_id = submit(settings, product_image, music_enabled=False, aspect_ratio="1:1")
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    assert fake.submissions == 2
    bodies = sorted((t.body for t in fake.tasks.values()), key=lambda b: b["external_task_id"])
    assert {(b["model_name"], b["mode"], b["duration"]) for b in bodies} == {
        ("kling-v3", "std", "3")}
    assert len(stage(view, "generation")["outputs"]["segments"]) == 2


def test_kill_worker_mid_render_polls_same_kling_task(
    settings: Settings, product_image: Path, tmp_path: Path,
    fake_kling: tuple[FakeKling, dict[str, str]],
) -> None:
    fake, kling_env = fake_kling
    fake.processing_s = 6.0  # long enough to kill the worker while Kling renders
    env = {**os.environ, **kling_env, "UGEN_PROVIDERS": "simulated",
           "UGEN_SIMULATED_KEYFRAME_S": "0.2", "UGEN_VIDEO_POLL_INTERVAL_S": "0.2",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    workers = Workers(env, tmp_path)
    try:
        job_id = submit(settings, product_image, music_enabled=False, aspect_ratio="1:1",
                        stop_at_stage="generation")
        workers.start("w1")
        deadline = time.monotonic() + 120
        while fake.submissions < 1 or not any(p.startswith("/v1/videos/image2video/kt")
                                              for _, p in fake.requests):
            assert time.monotonic() < deadline, "no Kling task was polled"
            time.sleep(0.05)
        workers.kill("w1")  # mid-render: submitted, polled, not done
        submitted_before = fake.submissions
        workers.start("w1")  # the same executor id resumes its own jobs
        view = wait(settings, job_id, timeout=240)
        assert view["status"] == "stopped", view["error_message"]
    finally:
        workers.stop_all()
    assert submitted_before >= 1
    # One Kling task per segment, the crash included: a submit step cut short by the kill
    # runs again, finds its task by external_task_id and creates nothing new.
    assert fake.submissions == 2
    assert len({t.external_task_id for t in fake.tasks.values()}) == 2
    assert len(stage(view, "generation")["outputs"]["segments"]) == 2
    # Cost truth: each Kling task is recorded once against the job, with its vendor.
    usage = service.job_usage(settings, job_id)["video"]
    assert (usage["calls"], usage["units"], usage["providers"]) == (2, 6.0, ["kling"])


def _one_veo_segment(settings: Settings, product_image: Path) -> dict[str, Any]:
    """Run a one-segment veo3_fast job (8 s, 9:16) up to ``generation``; its view."""
    start_worker(settings)
    job_id = submit(settings, product_image, video_model="veo3_fast", segment_duration=8,
                    segment_count=1, aspect_ratio="9:16", music_enabled=False,
                    stop_at_stage="generation")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    assert len(stage(view, "generation")["outputs"]["segments"]) == 1
    return view


def test_generate_segments_veo_adapter_selected_by_model(
    settings: Settings, product_image: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeVeo(tmp_path / "fake-veo-media", api_key=VEO_KEY, processing_s=0.5)
    with LoopbackServer(fake.app) as server:
        monkeypatch.setenv("UGEN_VEO_API_KEY", VEO_KEY)
        monkeypatch.setenv("UGEN_VEO_BASE_URL", server.url)
        _one_veo_segment(settings, product_image)
    assert fake.submissions == 1
    (op,) = fake.operations.values()
    assert op.parameters["durationSeconds"] == 8 and op.parameters["aspectRatio"] == "9:16"


def test_generate_segments_veo_adc_gcs_output(settings: Settings, product_image: Path,
                                              veo_adc: VeoAdcRig,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Vertex AI by project with Application Default Credentials (no key); the video comes
    back as a gs:// URI and is downloaded from Cloud Storage."""
    monkeypatch.setenv("UGEN_VEO_PROJECT", veo_adc.fake.project)
    monkeypatch.setenv("UGEN_VEO_BASE_URL", veo_adc.url)
    monkeypatch.setenv("UGEN_VEO_OUTPUT_GCS_URI", f"gs://{BUCKET}/jobs/")
    _one_veo_segment(settings, product_image)
    assert veo_adc.fake.submissions == 1
    (op,) = veo_adc.fake.operations.values()
    assert op.parameters["storageUri"] == f"gs://{BUCKET}/jobs/"
    assert [r["route"] for r in veo_adc.google.requests].count("media") == 1
