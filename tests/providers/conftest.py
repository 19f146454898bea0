"""Fixtures for the provider tests: fake vendor servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.fakes.google_cloud import FakeGoogleCloud
from tests.providers.fakes.kling import FakeKling
from tests.providers.fakes.server import LoopbackServer
from tests.providers.fakes.veo import FakeVeo
from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.providers.veo_kit import API_KEY as VEO_KEY
from tests.providers.veo_kit import VeoAdcRig, VeoRig


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


@pytest.fixture
def veo_adc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[VeoAdcRig]:
    """Vertex AI with Application Default Credentials: a service-account key file whose
    ``token_uri`` is the fake sign-in, and Cloud Storage at ``STORAGE_EMULATOR_HOST``."""
    google = FakeGoogleCloud()
    fake = FakeVeo(tmp_path / "fake-veo-media", api_key=VEO_KEY, google=google,
                   project=google.account.project)
    with LoopbackServer(google.app) as google_server, LoopbackServer(fake.app) as server:
        token_uri = f"{google_server.url}/token"
        key_file = google.account.key_file(tmp_path / "service-account.json",
                                           token_uri=token_uri)
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", google_server.url)
        yield VeoAdcRig(fake, google, server.url, token_uri, tmp_path)
