"""/music/custom: uploads recognised by their content, limits, privacy and soft delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import headers, png_bytes
from tests.music.conftest import ENCODERS, make_audio
from ugen.core.config import Settings
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.music import CustomMusic

Upload = Callable[..., Any]


def test_upload_each_format_recognised_by_content(client: TestClient, account: tuple[str, str],
                                                  upload_music: Upload, tmp_path: Path,
                                                  settings: Settings) -> None:
    _, key = account
    ids = []
    for fmt in ENCODERS:
        data = make_audio(tmp_path, fmt, 2.0).read_bytes()
        # The name and declared type lie: only the content counts.
        r = upload_music(key, data, title=f"Jingle {fmt}", name="x.bin",
                         content_type="application/octet-stream")
        assert r.status_code == 201, (fmt, r.text)
        body = r.json()
        assert body["format"] == fmt and body["title"] == f"Jingle {fmt}"
        assert body["is_active"] is True and body["size_bytes"] == len(data)
        assert abs(body["duration_s"] - 2.0) < 0.15, (fmt, body["duration_s"])
        uuid.UUID(body["id"])
        ids.append(body["id"])
        stored = artifact_store(settings).path(ArtifactKey(
            f"music/custom/{account[0]}/{body['id']}.{fmt}"))
        assert stored.read_bytes() == data
    listed = client.get("/api/v1/music/custom", headers=headers(key)).json()
    assert [t["id"] for t in listed] == ids[::-1]  # newest first, a bare array


@pytest.mark.parametrize(("data", "name"), [
    (png_bytes((256, 256)), "song.mp3"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 16 + b"not audio at all" * 64, "a.mp3"),
    (b"just some text pretending to be music\n" * 100, "track.wav"),
])
def test_upload_refuses_non_audio_renamed(account: tuple[str, str], upload_music: Upload,
                                          data: bytes, name: str) -> None:
    r = upload_music(account[1], data, name=name, content_type="audio/mpeg")
    assert r.status_code == 415, r.text
    assert r.json()["error"]["code"] == "UNSUPPORTED_AUDIO"


def test_upload_refuses_unusable_audio(account: tuple[str, str], upload_music: Upload,
                                       tmp_path: Path) -> None:
    key = account[1]
    short = make_audio(tmp_path, "wav", 0.4).read_bytes()
    r = upload_music(key, short)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert "between 1 s and 600 s" in r.json()["detail"][0]["msg"]
    fake_wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 200
    r = upload_music(key, fake_wav)  # a WAV header over nothing
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    good = make_audio(tmp_path, "ogg", 2.0).read_bytes()
    r = upload_music(key, good[: len(good) // 2])  # ogg pages cut mid-stream
    assert r.status_code == 422, r.text
    for title in ("", "   ", "two\nlines", "x" * 201):
        r = upload_music(key, good, title=title)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
    assert upload_music(key, b"").status_code == 400


def test_upload_over_limit_refused_with_413(client: TestClient, account: tuple[str, str],
                                            upload_music: Upload, tmp_path: Path) -> None:
    key = account[1]
    big = make_audio(tmp_path, "wav", 1.5).read_bytes()
    big += b"\x00" * (20 * 1024 * 1024 + 1 - len(big))
    r = upload_music(key, big, name="big.wav")
    assert r.status_code == 413 and r.json()["error"]["code"] == "FILE_TOO_LARGE"
    assert r.json()["error"]["details"]["limit_bytes"] == 20 * 1024 * 1024
    assert client.get("/api/v1/music/custom", headers=headers(key)).json() == []


def test_upload_limit_enforced_while_streaming(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path, make_account: Any) -> None:
    """Past the file limit but inside the guard's envelope slack: the route stops reading."""
    from ugen.api.main import create_app
    from ugen.core.config import get_settings

    monkeypatch.setenv("UGEN_MAX_MUSIC_UPLOAD_BYTES", "100000")
    small = get_settings()
    _, key = make_account()
    data = make_audio(tmp_path, "wav", 1.2).read_bytes()  # about 211 kB
    data = data[:150_000]
    with TestClient(create_app(small)) as c:
        r = c.post("/api/v1/music/custom", headers=headers(key),
                   files={"file": ("a.wav", data, "audio/wav")}, data={"title": "t"})
    assert r.status_code == 413, r.text
    assert r.json()["error"]["details"]["limit_bytes"] == 100000


def test_custom_music_private_and_soft_deleted(client: TestClient, make_account: Any,
                                               upload_music: Upload, create_job: Any,
                                               tmp_path: Path, settings: Settings) -> None:
    (_, key_a), (_, key_b) = make_account(), make_account()
    data = make_audio(tmp_path, "mp3", 2.0).read_bytes()
    music_id = upload_music(key_a, data).json()["id"]
    assert client.get("/api/v1/music/custom", headers=headers(key_b)).json() == []
    r = client.delete(f"/api/v1/music/custom/{music_id}", headers=headers(key_b))
    assert r.status_code == 404 and r.json()["error"]["code"] == "MUSIC_NOT_FOUND"
    r = create_job(key_b, custom_music_id=music_id)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "custom_music_id"]

    assert create_job(key_a, custom_music_id=music_id).status_code == 201
    r = client.delete(f"/api/v1/music/custom/{music_id}", headers=headers(key_a))
    assert r.status_code == 204 and r.content == b""
    assert client.get("/api/v1/music/custom", headers=headers(key_a)).json() == []
    assert client.delete(f"/api/v1/music/custom/{music_id}",
                         headers=headers(key_a)).status_code == 404
    r = create_job(key_a, custom_music_id=music_id)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "custom_music_id"]
    with session_scope(settings) as s:  # soft: the row and the file stay
        row = s.scalars(select(CustomMusic).where(CustomMusic.id == music_id)).one()
        assert row.is_active is False and row.deleted_at is not None
        assert artifact_store(settings).exists(ArtifactKey(row.artifact_key))

    for bad in ("not-a-uuid", "123"):
        r = client.delete(f"/api/v1/music/custom/{bad}", headers=headers(key_a))
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "music_id"]
    assert client.delete(f"/api/v1/music/custom/{uuid.uuid4()}",
                         headers=headers(key_a)).status_code == 404
    assert client.get("/api/v1/music/custom").status_code == 401


def test_job_music_fields_checked_at_creation(client: TestClient, account: tuple[str, str],
                                              create_job: Any) -> None:
    key = account[1]
    r = create_job(key, music_track_id="no-such-track")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "music_track_id"]
    r = create_job(key, custom_music_id=str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "custom_music_id"]
    assert create_job(key, music_track_id="chill-night-drive").status_code == 201
    body = {"video_model": "kling3_std", "segment_duration": 3, "segment_count": 1}
    on = client.post("/api/v1/credits/estimate", headers=headers(key),
                     json={**body, "music_track_id": "chill-night-drive"}).json()
    off = client.post("/api/v1/credits/estimate", headers=headers(key),
                      json={**body, "music_enabled": False}).json()
    assert on["total"] - off["total"] == 15
