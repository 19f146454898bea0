"""Music on S3 storage: custom tracks kept in the bucket, previews served by the bucket."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from tests.music.conftest import make_audio
from tests.utils.s3 import S3Server, s3_bucket, s3_server  # noqa: F401  (fixtures)
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.store.api_keys import create_account
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.artifacts.s3 import S3ArtifactStore


@pytest.fixture
def s3_settings(settings: Settings, s3_server: S3Server, s3_bucket: str,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("UGEN_STORAGE_URL", f"s3://{s3_bucket}/ugen")
    monkeypatch.setenv("UGEN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return get_settings()


def test_custom_track_and_preview_on_s3(s3_settings: Settings, tmp_path: Path) -> None:
    store = artifact_store(s3_settings)
    assert isinstance(store, S3ArtifactStore)
    account_id, key = create_account(s3_settings, "s3-shop", 100)
    data = make_audio(tmp_path, "ogg", 1.5).read_bytes()
    with TestClient(create_app(s3_settings)) as client:
        r = client.post("/api/v1/music/custom", headers=headers(key),
                        files={"file": ("a.ogg", data, "audio/ogg")}, data={"title": "S3"})
        assert r.status_code == 201, r.text
        music_id = r.json()["id"]
        stored = ArtifactKey(f"music/custom/{account_id}/{music_id}.ogg")
        assert store.exists(stored) and store.local_path(stored) is None
        track = client.get("/api/v1/music/catalog?limit=1", headers=headers(key)).json()[0]
        r = client.get(track["preview_url"], follow_redirects=False)
        assert r.status_code == 307
        presigned = r.headers["location"]
        assert presigned.startswith(store.client.meta.endpoint_url)
    clip = httpx.get(presigned)
    assert clip.status_code == 200 and clip.content[4:8] == b"ftyp"
