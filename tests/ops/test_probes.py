"""``/healthz`` and ``/readyz`` at the root of the API and of the whole site."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.web.site import create_site


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_answers_ok_without_a_key(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_ready_when_database_and_store_answer(settings: Settings) -> None:
    with TestClient(create_site(settings)) as client:
        r = client.get("/readyz")
        assert client.get("/healthz").json() == {"status": "ok"}
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"},
                        "failed": []}


def test_readyz_503_names_the_database_when_it_is_unreachable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UGEN_DATABASE_URL",
                       f"postgresql://ugen:pw@127.0.0.1:{closed_port()}/ugen")
    down = get_settings()
    client = TestClient(create_app(down))  # no lifespan: it would migrate the database
    r = client.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert body["failed"] == ["database"]
    assert body["checks"]["storage"] == "ok"
    assert "OperationalError" in body["checks"]["database"]
    assert client.get("/healthz").status_code == 200  # up, though not ready


def test_readyz_503_names_the_store_when_its_directory_is_unusable(settings: Settings) -> None:
    settings.artifacts_dir.parent.mkdir(parents=True, exist_ok=True)
    if settings.artifacts_dir.exists():
        settings.artifacts_dir.rmdir()
    settings.artifacts_dir.write_text("a file where the artifact directory belongs")
    with TestClient(create_app(settings)) as client:
        r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["failed"] == ["storage"]
    assert r.json()["checks"]["database"] == "ok"


def test_probes_are_not_in_the_openapi_document(settings: Settings) -> None:
    paths = create_app(settings).openapi()["paths"]
    assert not {"/healthz", "/readyz", "/metrics"} & set(paths)
