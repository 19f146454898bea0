"""The pipeline under injected provider faults: transient ones retried, permanent ones fail
the stage with the vendor's reason and release the credits of unused work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import stage, submit, wait
from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker
from ugen.providers.base import SegmentRequest, TaskGoneError, VideoPoll, VideoProvider
from ugen.providers.registry import build_providers, set_override


def _simulated(monkeypatch: pytest.MonkeyPatch, **rates: str) -> Settings:
    monkeypatch.setenv("UGEN_PROVIDERS", "simulated")
    monkeypatch.setenv("UGEN_SIMULATED_KEYFRAME_S", "0.05")
    monkeypatch.setenv("UGEN_SIMULATED_SEGMENT_S", "0.2")
    for name, value in rates.items():
        monkeypatch.setenv(f"UGEN_SIMULATED_{name.upper()}", value)
    return get_settings()


def test_transient_faults_are_retried_until_generation_succeeds(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _simulated(monkeypatch, transient_rate="0.4")
    start_worker(settings)
    # The faults are drawn from the job's seed: a fixed one makes the draws (several
    # transient faults, none outlasting the four attempts) the same on every run.
    job_id = submit(settings, product_image, stop_at_stage="generation", seed=0)
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    assert len(stage(view, "generation")["outputs"]["segments"]) == 2


def test_policy_refusal_fails_generation_and_releases_unused_credits(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _simulated(monkeypatch, policy_rate="1.0")
    start_worker(settings)
    job_id = submit(settings, product_image)
    view = wait(settings, job_id)
    assert view["status"] == "failed"
    assert view["error_stage"] == "init"  # the anchor keyframe is the first call refused
    assert "content policy" in view["error_message"]
    assert view["error_message"].startswith(
        "init failed: keyframe 0 (anchor): refused by the provider's content policy")
    by_stage = view["estimate"]["by_stage"]
    assert view["credits_consumed"] == by_stage["prepare"] + by_stage["agents"]
    assert view["credits_reserved"] == 0
    assert_ledger_balances(settings, "local")


class _ForgetfulVideo:
    """Loses the first task of every segment: its first poll says the task is gone."""

    def __init__(self, inner: VideoProvider) -> None:
        self.inner = inner
        self.submitted: list[SegmentRequest] = []
        self.first_tasks: set[str] = set()

    def submit(self, request: SegmentRequest) -> str:
        self.submitted.append(request)
        task_id = self.inner.submit(request)
        if request.submission == 0:
            self.first_tasks.add(task_id)
        return task_id

    def poll(self, task_id: str) -> VideoPoll:
        if task_id in self.first_tasks:
            raise TaskGoneError("task not found", provider="fake", request_id=task_id)
        return self.inner.poll(task_id)


def test_lost_task_is_submitted_again_once(
    settings: Settings, product_image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _simulated(monkeypatch)
    base = build_providers(settings)
    video = _ForgetfulVideo(base.video)
    set_override(dataclasses.replace(base, video=video))
    try:
        start_worker(settings)
        job_id = submit(settings, product_image, stop_at_stage="generation")
        view = wait(settings, job_id)
    finally:
        set_override(None)
    assert view["status"] == "stopped", view["error_message"]
    # Each segment: one lost submission, then one that rendered.
    by_segment = sorted((r.index, r.submission) for r in video.submitted)
    assert by_segment == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len(stage(view, "generation")["outputs"]["segments"]) == 2
