"""Helpers of the human-review tests: a worker in this process, waits on the review state,
the prompts the keyframe provider was given, and a job's event log as text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker
from ugen.providers.base import KeyframeRequest
from ugen.providers.local.keyframes import LocalKeyframeProvider
from ugen.service import review as review_service
from ugen.store import jobs as job_store
from ugen.store.db import session_scope

FAST = {"UGEN_PROVIDERS": "simulated", "UGEN_SIMULATED_KEYFRAME_S": "0.05",
        "UGEN_SIMULATED_SEGMENT_S": "0.2", "UGEN_QUEUE_POLLING_INTERVAL_S": "0.05"}


def worker(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Start a worker in this process with fast simulated providers (and ``env``)."""
    for name, value in {**FAST, **env}.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    start_worker(settings)
    return settings


def record_prompts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, str]]:
    """(keyframe index, seed, prompt) of every keyframe the local provider draws."""
    seen: list[tuple[int, int, str]] = []
    original = LocalKeyframeProvider.generate_keyframe

    def generate(self: LocalKeyframeProvider, request: KeyframeRequest) -> Path:
        seen.append((request.shot.index, request.seed, request.shot.prompt))
        return original(self, request)

    monkeypatch.setattr(LocalKeyframeProvider, "generate_keyframe", generate)
    return seen


def wait_pending(settings: Settings, job_id: str, keyframes: set[int],
                 timeout: float = 30.0) -> review_service.ReviewState:
    """Wait until exactly ``keyframes`` await review."""
    deadline = time.monotonic() + timeout
    state = review_service.review_state(settings, job_id)
    while time.monotonic() < deadline:
        state = review_service.review_state(settings, job_id)
        if state.status == "awaiting_review" and {p.keyframe for p in state.pending} == keyframes:
            return state
        if state.status in ("failed", "completed", "stopped", "cancelled"):
            break
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is {state.status} with pending "
                         f"{[p.keyframe for p in state.pending]}, not {sorted(keyframes)}")


def decide(settings: Settings, job_id: str, *decisions: tuple[int, bool, str | None]) -> None:
    review_service.submit_review(settings, job_id, [
        review_service.ReviewDecision(k, ok, reason) for k, ok, reason in decisions])


def event_log(settings: Settings, job_id: str) -> str:
    """The job's event log, one line an event (progress lines left out)."""
    with session_scope(settings) as s:
        events = job_store.list_events(s, job_id, limit=2000)
    lines = [f"{e.id:>4} {e.type:<22} {e.stage or '':<10} {e.message}" for e in events
             if e.type not in ("progress",)]
    return "\n".join(lines)
