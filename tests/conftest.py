"""Fixtures: every test gets its own data directory and database, and a clean DBOS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.images import product_png
from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.providers import registry
from ugen.store.db import dispose_engines, migrate

# A developer's own configuration (vendor keys above all) never reaches the tests: each test
# sets what it needs.
for _name in [n for n in os.environ if n.startswith("UGEN_")]:
    del os.environ[_name]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("UGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UGEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("UGEN_VIDEO_POLL_INTERVAL_S", "0.1")
    monkeypatch.setenv("UGEN_EXECUTOR_ID", f"test-{tmp_path.name}")
    s = get_settings()
    migrate(s)
    yield s
    runtime.stop()
    registry.set_override(None)
    dispose_engines()


@pytest.fixture
def product_image(tmp_path: Path) -> Path:
    return product_png(tmp_path / "product.png")
