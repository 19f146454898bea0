"""A whole offline job with its artifacts in a real S3 server, then a retry from a worker
whose cache was lost."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.store.conftest import S3Server
from tests.utils.jobs import path_of, submit, wait
from ugen import service
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.core.types import STAGES
from ugen.media.probe import probe
from ugen.pipeline.worker import start_worker
from ugen.store.artifacts import artifact_store
from ugen.store.artifacts.s3 import S3ArtifactStore
from ugen.store.signed_urls import FILES_PREFIX, sign_artifact


@pytest.fixture
def s3_settings(settings: Settings, s3_server: S3Server, s3_bucket: str,
                monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("UGEN_STORAGE_URL", f"s3://{s3_bucket}/ugen")
    monkeypatch.setenv("UGEN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return get_settings()


def test_job_with_s3_storage_completes_after_retry_on_empty_cache(
        s3_settings: Settings, product_image: Path) -> None:
    settings = s3_settings
    store = artifact_store(settings)
    assert isinstance(store, S3ArtifactStore)
    start_worker(settings)
    job_id = submit(settings, product_image, music_enabled=False, stop_at_stage="concat")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]

    # A worker that lost its cache (as a new machine has none) takes the retry from audio:
    # it reads the segments and the joined audio back from the bucket.
    shutil.rmtree(settings.data_dir / "cache")
    service.retry_job(settings, job_id, "audio")
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    assert [s["status"] for s in view["stages"]] == ["completed"] * len(STAGES)
    assert view["provider_calls"]["video:seg_00"] == 1  # segments were read, not remade
    assert (settings.data_dir / "cache" / "artifacts" / job_id / "segments").is_dir()

    # Every artifact is in the bucket, under the prefix; nothing in the local artifacts dir.
    keys = {o.key for o in store.iter_keys(f"{job_id}/")}
    final_key = f"{job_id}/final.mp4"
    assert {final_key, f"{job_id}/poster.jpg", f"{job_id}/input/product.png"} <= keys
    assert any(k.endswith(".layout.json") for k in keys)  # keyframe companions went along
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=f"ugen/{job_id}/")
    assert {o["Key"] for o in listed["Contents"]} == {f"ugen/{k}" for k in keys}
    assert not (settings.artifacts_dir / job_id).exists()

    # The final video downloads through the store's presigned URL, with Range.
    job = service.job_view(settings, job_id)
    assert job.final_video_url is not None and job.final_video_url.startswith(
        f"{store.client.meta.endpoint_url}/{store.bucket}/ugen/{final_key}?")
    assert job.thumbnail_url is not None and "X-Amz-Signature=" in job.thumbnail_url
    expires = int(job.final_video_url.split("X-Amz-Expires=")[1].split("&")[0])
    assert expires == settings.download_url_ttl_s
    whole = httpx.get(job.final_video_url)
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    head = store.client.head_object(Bucket=store.bucket, Key=f"ugen/{final_key}")
    assert hashlib.sha256(whole.content).hexdigest() == head["Metadata"]["sha256"]
    part = httpx.get(job.final_video_url, headers={"Range": "bytes=0-1023"})
    assert part.status_code == 206 and part.content == whole.content[:1024]
    # The report names the video's key and URL; it fetches nothing to say so.
    assert view["final_video_path"] is None and view["thumbnail_path"] is None
    store.cache.drop(final_key)
    report = service.job_report(settings, job_id)
    assert report.final_video_key == final_key and report.final_video_path is None
    assert not store.cache.path(final_key).exists()
    info = probe(path_of(settings, final_key))
    assert info.video is not None and info.audio is not None
    assert info.duration > 5.0  # two 3 s segments

    # An API URL signed before the move to S3 is sent on to the store.
    signed = sign_artifact(settings.model_copy(update={"storage_url": None}), job_id, final_key)
    assert signed.startswith(f"{FILES_PREFIX}/{job_id}/final.mp4?")
    with TestClient(create_app(settings)) as client:
        moved = client.get(signed, follow_redirects=False)
    assert moved.status_code == 307
    assert httpx.get(moved.headers["location"]).content == whole.content
