"""Fixtures for the provider tests: fake vendor servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.fakes.kling import FakeKling
from tests.providers.fakes.server import LoopbackServer
from tests.providers.fakes.veo import FakeVeo
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.providers.veo_kit import API_KEY as VEO_KEY
from tests.providers.veo_kit import VeoRig


@pytest.fixture
def kling(tmp_path: Path) -> Iterator[KlingRig]:
    fake = FakeKling(tmp_path / "fake-media", access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    with LoopbackServer(fake.app) as server:
        yield KlingRig(fake, server.url, tmp_path)


@pytest.fixture
def veo(tmp_path: Path) -> Iterator[VeoRig]:
    fake = FakeVeo(tmp_path / "fake-veo-media", api_key=VEO_KEY)
    with LoopbackServer(fake.app) as server:
        yield VeoRig(fake, server.url, tmp_path)
