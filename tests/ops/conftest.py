"""Fixtures of the operations tests: ``ugen worker`` processes (as in the pipeline tests)."""

from __future__ import annotations

from tests.pipeline.conftest import postgres_settings, workers

__all__ = ["postgres_settings", "workers"]
