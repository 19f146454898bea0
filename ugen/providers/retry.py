"""Retry transient provider failures with exponential backoff and jitter, inside a step.

Permanent errors (and anything that is not a :class:`TransientProviderError`) pass through at
once, so the stage fails with the provider's reason. Every attempt is timed for the
``ugen_provider_call_duration_seconds`` metric, by vendor and outcome code (``ok`` or the
error's class), and failed ones counted in ``ugen_provider_errors_total``.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import TypeVar

from ugen.core.metrics import observe_provider_call
from ugen.providers.base import ProviderError, TransientProviderError

T = TypeVar("T")


def provider_vendor(provider: object, fallback: str = "unknown") -> str:
    """Who a provider object calls, as a metrics label: the first word of its ``vendor`` or
    ``name`` attribute (``openai:gpt-4o`` is ``openai``), else the adapter's package
    (``ugen.providers.kling.video`` is ``kling``, ``ugen.providers.simulated`` is
    ``simulated``), else ``fallback``."""
    for attr in ("vendor", "name"):
        value = getattr(provider, attr, None)
        if isinstance(value, str) and value.strip():
            return value.split(":", 1)[0].split()[0]
    parts = type(provider).__module__.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["ugen", "providers"] else fallback


def vendor_of(fn: Callable[..., object]) -> str:
    """Who a call goes to, read from the provider object of a bound method (or a partial of
    one), see :func:`provider_vendor`; ``unknown`` for anything else (a lambda: call sites
    that wrap a call pass ``vendor=`` instead)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    owner = getattr(fn, "__self__", None)
    return "unknown" if owner is None else provider_vendor(owner)


def _timed(fn: Callable[[], T], vendor: str) -> T:
    """One attempt, observed in the provider metrics whatever its outcome."""
    started = time.perf_counter()
    try:
        result = fn()
    except ProviderError as err:
        observe_provider_call(err.provider or vendor, type(err).__name__,
                              time.perf_counter() - started)
        raise
    except Exception as err:
        observe_provider_call(vendor, type(err).__name__, time.perf_counter() - started)
        raise
    observe_provider_call(vendor, "ok", time.perf_counter() - started)
    return result


def call_with_retries(fn: Callable[[], T], *, attempts: int = 4, base_delay_s: float = 0.5,
                      max_delay_s: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                      vendor: str | None = None) -> T:
    """Call ``fn``; on a transient error wait ``base * 2**n`` (± 25%) and try again.

    A ``retry_after`` attribute on the error (seconds, from the vendor) is honoured when longer.
    ``vendor`` labels the call's metrics (default: read from ``fn``, see :func:`vendor_of`).
    """
    label = vendor or vendor_of(fn)
    for attempt in range(1, attempts + 1):
        try:
            return _timed(fn, label)
        except TransientProviderError as err:
            if attempt == attempts:
                raise
            delay = min(max_delay_s, base_delay_s * 2 ** (attempt - 1))
            delay *= random.uniform(0.75, 1.25)
            if err.retry_after is not None:
                delay = max(delay, err.retry_after)
            sleep(delay)
    raise AssertionError("unreachable")
