"""The simulated provider layer: seeded latency and faults."""

from __future__ import annotations

import pytest

from ugen.providers.base import ContentPolicyError, PermanentProviderError, TransientProviderError
from ugen.providers.simulated import FaultModel, LatencyModel


def _outcomes(model: FaultModel, calls: int) -> list[str]:
    seen = []
    for i in range(calls):
        try:
            model.check("video submit", f"item{i}")
            seen.append("ok")
        except ContentPolicyError:
            seen.append("policy")
        except PermanentProviderError:
            seen.append("permanent")
        except TransientProviderError:
            seen.append("transient")
    return seen


def test_fault_model_draws_each_kind_at_its_rate() -> None:
    seen = _outcomes(FaultModel(transient_rate=0.3, permanent_rate=0.1, policy_rate=0.05,
                                seed=7), 2000)
    share = {k: seen.count(k) / len(seen) for k in ("transient", "permanent", "policy", "ok")}
    assert share["transient"] == pytest.approx(0.3, abs=0.04)
    assert share["permanent"] == pytest.approx(0.1, abs=0.03)
    assert share["policy"] == pytest.approx(0.05, abs=0.02)
    assert share["ok"] == pytest.approx(0.55, abs=0.04)


def test_fault_model_is_seeded_and_retries_draw_again() -> None:
    a = _outcomes(FaultModel(transient_rate=0.5, seed=3), 200)
    b = _outcomes(FaultModel(transient_rate=0.5, seed=3), 200)
    assert a == b
    model = FaultModel(transient_rate=0.5, seed=3)
    attempts = 0
    while True:  # the same call eventually goes through: each retry is a new draw
        attempts += 1
        try:
            model.check("keyframe", "kf1")
            break
        except TransientProviderError as err:
            assert "simulated keyframe" in str(err)
    assert attempts < 20


def test_latency_model_is_seeded_and_bounded() -> None:
    model = LatencyModel(segment_s=10.0, jitter=0.2, scale=0.1, seed=1)
    draws = [model.draw("segment", str(i), model.segment_s) for i in range(100)]
    assert all(0.8 <= d <= 1.2 for d in draws)
    assert draws == [model.draw("segment", str(i), model.segment_s) for i in range(100)]
    assert len(set(draws)) > 50
