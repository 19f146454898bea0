"""Expiring signed download URLs: valid ones serve the file, altered or expired ones get 403."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen.core.config import Settings
from ugen.store import jobs as job_store
from ugen.store.artifacts import LocalArtifactStore
from ugen.store.db import session_scope
from ugen.store.signed_urls import KEY_FILE, sign_artifact, signing_key

JOBS = "/api/v1/jobs"


def _tiny_mp4(path: Path) -> bytes:
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=red:s=64x64:d=0.2:r=10", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-y", str(path)], check=True, timeout=60)
    return path.read_bytes()


@pytest.fixture
def completed(settings: Settings, client: TestClient, account: tuple[str, str],
              create_job: Callable[..., Any], tmp_path: Path) -> dict[str, Any]:
    """A job marked completed with a real MP4 and a poster in the artifact store."""
    _, key = account
    job_id = create_job(key).json()["job_id"]
    store = LocalArtifactStore(settings.artifacts_dir)
    video = _tiny_mp4(tmp_path / "final.mp4")
    store.put_file(f"{job_id}/final.mp4", tmp_path / "final.mp4")
    (tmp_path / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0poster")
    store.put_file(f"{job_id}/poster.jpg", tmp_path / "poster.jpg")
    with session_scope(settings) as s:
        job_store.set_job_fields(s, job_id, status="completed", progress_percent=100,
                                 final_video=f"{job_id}/final.mp4",
                                 thumbnail=f"{job_id}/poster.jpg")
    view = client.get(f"{JOBS}/{job_id}", headers=headers(key)).json()
    return {"job_id": job_id, "key": key, "video": video, "view": view}


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = changes.pop("path", parts.path)
    query.update(changes)
    return f"{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_get_job_signed_url_downloads_video(client: TestClient,
                                            completed: dict[str, Any]) -> None:
    job_id, url = completed["job_id"], completed["view"]["final_video_url"]
    assert urlsplit(url).path == f"/api/v1/files/{job_id}/final.mp4"
    r = client.get(url)  # no API key
    assert r.status_code == 200
    assert r.headers["content-type"] == "video/mp4"
    assert r.content == completed["video"] and r.content[4:8] == b"ftyp"
    part = client.get(url, headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"ftyp"
    thumb = client.get(completed["view"]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


def test_list_jobs_carries_signed_urls(client: TestClient, completed: dict[str, Any]) -> None:
    items = client.get(JOBS, headers=headers(completed["key"])).json()["items"]
    url = next(i for i in items if i["job_id"] == completed["job_id"])["final_video_url"]
    assert client.get(url).content == completed["video"]


@pytest.mark.parametrize("change", [
    {"signature": "0" * 64},
    {"expires": "9999999999"},
    {"path": "/api/v1/files/{job_id}/poster.jpg"},
    {"path": "/api/v1/files/00000000-0000-0000-0000-000000000000/final.mp4"},
    {"signature": "zz"},
    {"expires": "-1"},
])
def test_download_altered_url_forbidden(client: TestClient, completed: dict[str, Any],
                                        change: dict[str, str]) -> None:
    change = {k: v.format(job_id=completed["job_id"]) for k, v in change.items()}
    r = client.get(_with(completed["view"]["final_video_url"], **change))
    assert r.status_code == 403
    assert r.json() == {"error": {"code": "INVALID_SIGNATURE",
                                  "message": "the URL's signature does not match",
                                  "details": {"reason": "invalid"}}}


def test_download_unsigned_url_forbidden(client: TestClient, completed: dict[str, Any]) -> None:
    r = client.get(f"/api/v1/files/{completed['job_id']}/final.mp4")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert r.json()["error"]["details"] == {"reason": "missing"}


def test_download_expired_url_forbidden(settings: Settings, client: TestClient,
                                        completed: dict[str, Any]) -> None:
    job_id = completed["job_id"]
    old = time.time() - settings.download_url_ttl_s - 5
    r = client.get(sign_artifact(settings, job_id, f"{job_id}/final.mp4", now=old))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "URL_EXPIRED"
    assert r.json()["error"]["details"] == {"reason": "expired"}


def test_download_signed_traversal_not_served(settings: Settings, client: TestClient,
                                              completed: dict[str, Any]) -> None:
    # A signed name is served only when it is a file among the job's own artifacts.
    job_id = completed["job_id"]
    for name in ("..%2F..%2Fugen.sqlite", "input", "../../ugen.sqlite", "../other/final.mp4"):
        r = client.get(sign_artifact(settings, job_id, name))
        assert r.status_code in (403, 404), name
        assert r.json()["error"]["code"] in ("OUTPUT_NOT_FOUND", "NOT_FOUND",
                                             "INVALID_SIGNATURE"), name
    # Any artifact of the job, its own stage media, is served through its signed URL.
    r = client.get(sign_artifact(settings, job_id, f"{job_id}/input/product.png"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")


def test_signing_key_generated_once_private(settings: Settings) -> None:
    key = signing_key(settings)
    path = settings.data_dir / KEY_FILE
    assert len(key) == 64 and path.read_text().encode() == key
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert signing_key(settings) == key


def test_configured_secret_signs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_URL_SIGNING_SECRET", "s3cret")
    a = sign_artifact(Settings(), "j", "j/final.mp4", now=0)
    assert a != sign_artifact(settings, "j", "j/final.mp4", now=0)
    assert a.startswith("/api/v1/files/j/final.mp4?expires=86400&signature=")


@pytest.mark.parametrize("digits", ["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９",
                                    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"],
                         ids=["ascii", "arabic_indic", "fullwidth", "mathematical"])
def test_download_expires_only_in_ascii_digits(client: TestClient, completed: dict[str, Any],
                                               digits: str) -> None:
    # The same expiry and a valid signature, the expiry spelled in other decimal digits:
    # int() would read it as the same number; only the ASCII spelling is the signed URL.
    url = completed["view"]["final_video_url"]
    expires = parse_qs(urlsplit(url).query)["expires"][0]
    spelled = expires.translate(str.maketrans("0123456789", digits))
    r = client.get(_with(url, expires=spelled))
    if digits == "0123456789":
        assert r.status_code == 200
        return
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "INVALID_SIGNATURE"


@pytest.mark.parametrize("expires", ["²", "1²", "¹²³", "Ⅻ", "NaN", "1e10", " 1", "+1", "1_000"])
def test_download_expires_not_a_number_forbidden(client: TestClient, completed: dict[str, Any],
                                                 expires: str) -> None:
    r = client.get(_with(completed["view"]["final_video_url"], expires=expires))
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"reason": "invalid"}
