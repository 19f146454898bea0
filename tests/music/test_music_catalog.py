"""GET /music/catalog: U-Gen's own tracks, their filters and fields, and playable previews."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen import catalog
from ugen.media.probe import probe

FIELDS = {"id", "title", "mood", "tempo", "energy_level", "bpm", "has_vocals", "artist", "tags",
          "duration_s", "preview_url"}


def test_list_catalog_tracks_with_documented_fields(client: TestClient,
                                                    account: tuple[str, str]) -> None:
    _, key = account
    r = client.get("/api/v1/music/catalog", headers=headers(key))
    assert r.status_code == 200, r.text
    tracks = r.json()
    assert isinstance(tracks, list) and len(tracks) >= 2 * len(catalog.MUSIC_MOODS)
    assert len({t["id"] for t in tracks}) == len(tracks)
    for t in tracks:
        assert set(t) == FIELDS
        assert t["mood"] in catalog.MUSIC_MOODS and t["tempo"] in ("slow", "medium", "fast")
        assert t["energy_level"] in ("low", "medium", "high") and 60 <= t["bpm"] <= 160
        assert t["has_vocals"] is False and t["artist"] and t["tags"]
        assert 20 <= t["duration_s"] <= 60
        assert t["preview_url"].startswith(f"/api/v1/music/catalog/{t['id']}/preview?")
    for mood in catalog.MUSIC_MOODS:  # every mood has distinct tracks
        assert len({(t["bpm"], t["title"]) for t in tracks if t["mood"] == mood}) >= 2


def test_filter_catalog_by_mood_tempo_and_limit(client: TestClient,
                                                account: tuple[str, str]) -> None:
    _, key = account
    chill = client.get("/api/v1/music/catalog?mood=chill", headers=headers(key)).json()
    assert chill and {t["mood"] for t in chill} == {"chill"}
    slow = client.get("/api/v1/music/catalog?tempo=slow", headers=headers(key)).json()
    assert slow and {t["tempo"] for t in slow} == {"slow"}
    assert all(t["bpm"] < 90 for t in slow)
    both = client.get("/api/v1/music/catalog?mood=upbeat&tempo=fast",
                      headers=headers(key)).json()
    assert both and all(t["mood"] == "upbeat" and t["tempo"] == "fast" for t in both)
    assert len(client.get("/api/v1/music/catalog?limit=2", headers=headers(key)).json()) == 2
    for bad in ("mood=sad", "tempo=warp", "limit=0", "limit=101"):
        r = client.get(f"/api/v1/music/catalog?{bad}", headers=headers(key))
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"][0] == "query"
    assert client.get("/api/v1/music/catalog").status_code == 401


def test_preview_is_playable_and_signed(client: TestClient, account: tuple[str, str],
                                        tmp_path: Path) -> None:
    _, key = account
    track = client.get("/api/v1/music/catalog?mood=dramatic&limit=1",
                       headers=headers(key)).json()[0]
    r = client.get(track["preview_url"])  # the signature is the key: no API key sent
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/mp4"
    clip = tmp_path / "preview.m4a"
    clip.write_bytes(r.content)
    info = probe(clip)
    assert info.audio is not None and info.audio.codec == "aac" and info.video is None
    assert abs(info.duration - 15.0) < 0.2
    again = client.get(track["preview_url"])  # cached: the same bytes
    assert again.content == r.content
    tampered = track["preview_url"].replace("signature=", "signature=0")
    assert client.get(tampered).status_code == 403
    other = track["preview_url"].replace(track["id"], "chill-night-drive")
    r = client.get(other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert client.get(f"/api/v1/music/catalog/{track['id']}/preview").status_code == 403
