"""The pipeline under injected provider faults: transient ones retried, permanent ones fail
the stage with the vendor's reason and release the credits of unused work."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import stage, submit, wait
from ugen.core.config import Settings, get_settings
from ugen.pipeline.worker import start_worker


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
    job_id = submit(settings, product_image, stop_at_stage="generation")
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
    assert "ContentPolicyError" in view["error_message"]
    by_stage = view["estimate"]["by_stage"]
    assert view["credits_consumed"] == by_stage["prepare"] + by_stage["agents"]
    assert view["credits_reserved"] == 0
    assert_ledger_balances(settings, "local")
