"""Downloads, deleting a job and garbage collection with the artifacts in a real S3 server
(moto): the logged-in downloads redirect to the store's presigned URLs, a deleted job's
objects leave the bucket (and its presigned URLs answer 404), and gc removes expired uploads
and orphans while a live job's objects stay."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import headers
from tests.core.test_credits import assert_ledger_balances
from tests.lifecycle.test_delete import finished
from tests.utils.s3 import S3Server, s3_bucket, s3_server
from ugen import service
from ugen.core.config import Settings, get_settings
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.artifacts.s3 import S3ArtifactStore

__all__ = ["finished", "s3_bucket", "s3_server"]

JOBS = "/api/v1/jobs"


@pytest.fixture
def settings(settings: Settings, s3_server: S3Server, s3_bucket: str,
             monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test's settings with ``UGEN_STORAGE_URL`` on the test's bucket."""
    monkeypatch.setenv("UGEN_STORAGE_URL", f"s3://{s3_bucket}/ugen")
    monkeypatch.setenv("UGEN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return get_settings()


def _store(settings: Settings) -> S3ArtifactStore:
    store = artifact_store(settings)
    assert isinstance(store, S3ArtifactStore)
    return store


def _bucket_keys(store: S3ArtifactStore, prefix: str = "") -> dict[str, int]:
    """Every object of the bucket under the store's prefix (and ``prefix``), with its size,
    listed by the server itself."""
    found: dict[str, int] = {}
    pages = store.client.get_paginator("list_objects_v2").paginate(
        Bucket=store.bucket, Prefix=f"ugen/{prefix}")
    for page in pages:
        for obj in page.get("Contents", []):
            found[obj["Key"].removeprefix("ugen/")] = obj["Size"]
    return found


def test_download_routes_redirect_to_presigned_urls_on_s3(
        settings: Settings, client: TestClient, finished: dict[str, Any],
        make_account: Callable[..., tuple[str, str]], create_job: Callable[..., Any]) -> None:
    job_id, key = finished["job_id"], finished["key"]
    store = _store(settings)
    shutil.rmtree(settings.data_dir / "cache")  # the API process holds no copy
    cached_final = store.cache.path(f"{job_id}/final.mp4")

    video = client.get(f"{JOBS}/{job_id}/video", headers=headers(key), follow_redirects=False)
    assert video.status_code == 307, video.text
    location = video.headers["location"]
    assert location.startswith(f"{store.client.meta.endpoint_url}/{store.bucket}/ugen/"
                               f"{job_id}/final.mp4?")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == [str(settings.download_url_ttl_s)]
    assert f'filename="{job_id}.mp4"' in query["response-content-disposition"][0]
    got = httpx.get(location)
    assert got.status_code == 200 and got.headers["content-type"] == "video/mp4"
    assert got.content == b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000

    thumb = client.get(f"{JOBS}/{job_id}/thumbnail", headers=headers(key),
                       follow_redirects=False)
    assert thumb.status_code == 307
    assert httpx.get(thumb.headers["location"]).content == b"\xff\xd8\xff\xe0poster"

    # Ownership is checked before any URL is given; an unfinished job has no output.
    _, other = make_account()
    denied = client.get(f"{JOBS}/{job_id}/video", headers=headers(other),
                        follow_redirects=False)
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "JOB_NOT_FOUND"
    queued = create_job(key).json()["job_id"]
    early = client.get(f"{JOBS}/{queued}/video", headers=headers(key), follow_redirects=False)
    assert early.status_code == 404 and early.json()["error"]["code"] == "OUTPUT_NOT_READY"

    # ``ugen show`` reports the key and the presigned URL; nothing is downloaded for it.
    report = service.job_report(settings, job_id)
    assert report.final_video_key == f"{job_id}/final.mp4"
    assert report.thumbnail_key == f"{job_id}/poster.jpg"
    assert report.final_video_path is None and report.thumbnail_path is None
    assert report.job.final_video_url is not None
    assert "X-Amz-Signature=" in report.job.final_video_url
    assert not cached_final.exists()

    # ``ugen run --out`` needs the file itself: that one read fetches it.
    path = service.job_output_file(settings, job_id, "video")
    assert path == cached_final and path.read_bytes() == got.content


def test_delete_job_on_s3_removes_its_objects_and_presigned_urls_answer_404(
        settings: Settings, client: TestClient, finished: dict[str, Any],
        create_job: Callable[..., Any]) -> None:
    job_id, key, account_id = finished["job_id"], finished["key"], finished["account_id"]
    store = _store(settings)
    live = create_job(key).json()["job_id"]  # queued: its input is in the bucket
    live_objects = _bucket_keys(store, f"{live}/")
    assert f"{live}/input/product.png" in live_objects
    objects = _bucket_keys(store, f"{job_id}/")
    assert {f"{job_id}/final.mp4", f"{job_id}/poster.jpg",
            f"{job_id}/input/product.png"} <= set(objects)
    presigned = service.job_view(settings, job_id).final_video_url
    assert presigned is not None and httpx.get(presigned).status_code == 200
    plain = store.presigned_url(ArtifactKey(f"{job_id}/final.mp4"), 3600)
    assert plain is not None and httpx.get(plain).status_code == 200

    deleted = service.delete_job(settings, job_id, account_id=account_id)

    assert deleted.artifact_bytes == sum(objects.values()) > 4000
    assert deleted.artifacts_left is False
    assert deleted.bytes_freed == deleted.artifact_bytes + deleted.work_bytes
    assert _bucket_keys(store, f"{job_id}/") == {}
    assert not (settings.data_dir / "cache" / "artifacts" / job_id).exists()
    assert _bucket_keys(store, f"{live}/") == live_objects
    # URLs issued before the delete, still within their expiry, fetch nothing any more.
    gone = httpx.get(plain)
    assert gone.status_code == 404 and b"<Code>NoSuchKey</Code>" in gone.content, gone.text
    # (moto answers the job's URL, which names a download filename, with 403: it checks a
    # missing key's ``response-content-disposition`` as if it were a request header.)
    refused = httpx.get(presigned)
    assert refused.status_code in (403, 404) and b"ftypmp42" not in refused.content
    assert client.get(f"{JOBS}/{job_id}/video", headers=headers(key)).status_code == 404
    assert_ledger_balances(settings, account_id)


def test_gc_on_s3_removes_expired_uploads_and_orphans_and_keeps_live_jobs(
        settings: Settings, client: TestClient, account: tuple[str, str],
        create_job: Callable[..., Any], tmp_path: Path) -> None:
    _, key = account
    store = _store(settings)
    live = create_job(key).json()["job_id"]
    live_objects = _bucket_keys(store, f"{live}/")
    assert live_objects

    def put(name: str, size: int) -> None:
        src = tmp_path / uuid.uuid4().hex
        src.write_bytes(os.urandom(size))
        store.put_file(ArtifactKey(name), src)

    orphan = str(uuid.uuid4())
    put(f"{orphan}/segments/seg_00.mp4", 3000)
    put(f"{orphan}/final.mp4", 2000)
    put(f"uploads/acct-x/{uuid.uuid4()}.png", 700)
    uploads = _bucket_keys(store, "uploads/")  # with the live job's own upload
    assert len(uploads) == 2
    # S3 keeps its own modification times: look from ten days ahead instead of back-dating.
    later = datetime.now(UTC) + timedelta(days=10)

    dry = service.collect_garbage(settings, older_than=timedelta(days=7), now=later,
                                  dry_run=True)
    assert (dry.expired_uploads, dry.upload_bytes) == (2, sum(uploads.values()))
    assert (dry.orphaned_jobs, dry.orphan_bytes) == (1, 5000)
    assert len(_bucket_keys(store, f"{orphan}/")) == 2

    done = service.collect_garbage(settings, older_than=timedelta(days=7), now=later)
    assert (done.expired_uploads, done.upload_bytes) == (2, sum(uploads.values()))
    assert (done.orphaned_jobs, done.orphan_bytes) == (1, 5000)
    assert done.bytes_freed == sum(uploads.values()) + 5000 + done.work_bytes
    assert _bucket_keys(store) == live_objects  # only the live job's objects are left

    fresh = service.collect_garbage(settings, older_than=timedelta(days=7))
    assert fresh.bytes_freed == 0 and _bucket_keys(store) == live_objects
