"""Transient provider errors are retried with backoff; permanent ones are not."""

from __future__ import annotations

import pytest

from ugen.core.metrics import PROCESS_REGISTRY
from ugen.providers.base import PermanentProviderError, TransientProviderError
from ugen.providers.retry import call_with_retries, provider_vendor, vendor_of


def test_call_with_retries_recovers_from_transient_errors() -> None:
    waits: list[float] = []
    outcomes: list[Exception | str] = [TransientProviderError("429"),
                                       TransientProviderError("503"), "ok"]

    def call() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    assert call_with_retries(call, base_delay_s=1.0, sleep=waits.append) == "ok"
    assert len(waits) == 2
    assert 0.75 <= waits[0] <= 1.25 and 1.5 <= waits[1] <= 2.5  # exponential


def test_call_with_retries_gives_up_after_attempts() -> None:
    waits: list[float] = []

    def call() -> str:
        raise TransientProviderError("timeout")

    with pytest.raises(TransientProviderError):
        call_with_retries(call, attempts=3, sleep=waits.append)
    assert len(waits) == 2


def test_call_with_retries_passes_permanent_errors_at_once() -> None:
    waits: list[float] = []
    calls = 0

    def call() -> str:
        nonlocal calls
        calls += 1
        raise PermanentProviderError("content policy")

    with pytest.raises(PermanentProviderError, match="content policy"):
        call_with_retries(call, sleep=waits.append)
    assert (calls, waits) == (1, [])


def test_call_with_retries_honours_retry_after() -> None:
    waits: list[float] = []
    err = TransientProviderError("rate limited", retry_after=7)
    outcomes: list[Exception | str] = [err, "ok"]

    def call() -> str:
        item = outcomes.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    assert call_with_retries(call, base_delay_s=0.1, sleep=waits.append) == "ok"
    assert waits == [7.0]


class _Judge:
    name = "openai:gpt-4o-mini"

    def score(self) -> str:
        return "ok"


class _Fake:
    def make(self) -> str:
        return "made"


def test_provider_vendor_names_the_vendor_of_a_provider() -> None:
    from ugen.providers.local.music import LocalMusicProvider

    assert provider_vendor(_Judge()) == "openai"  # the model after ":" is not a label
    assert provider_vendor(LocalMusicProvider()) == "local"  # from the adapter's package
    assert provider_vendor(_Fake(), "simulated") == "simulated"
    assert vendor_of(_Judge().score) == "openai"


def test_call_with_retries_labels_metrics_with_the_given_vendor() -> None:
    def count(vendor: str) -> float:
        return PROCESS_REGISTRY.get_sample_value(
            "ugen_provider_call_duration_seconds_count", {"vendor": vendor, "code": "ok"}) or 0

    fake = _Fake()
    before = count("fake-vendor"), count("unknown")
    assert call_with_retries(lambda: fake.make(), vendor="fake-vendor") == "made"
    assert (count("fake-vendor"), count("unknown")) == (before[0] + 1, before[1])
