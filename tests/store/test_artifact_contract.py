"""The artifact store contract, run against the local directory and a real S3 server."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.store.conftest import S3Server, make_s3_store
from ugen.store.artifacts import (
    ArtifactIntegrityError,
    ArtifactKey,
    ArtifactStore,
    LocalArtifactStore,
)
from ugen.store.artifacts.s3 import S3ArtifactStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    server: S3Server = request.getfixturevalue("s3_server")
    return make_s3_store(server, request.getfixturevalue("s3_bucket"), tmp_path / "cache")


@pytest.fixture
def s3_store(s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> S3ArtifactStore:
    return make_s3_store(s3_server, s3_bucket, tmp_path / "cache")


def _forget_cache(store: ArtifactStore) -> None:
    """What a new worker sees: nothing cached (a no-op for the local store)."""
    if isinstance(store, S3ArtifactStore):
        shutil.rmtree(store.cache.root, ignore_errors=True)


def _files_under(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_put_file_then_read_back_from_fresh_worker(store: ArtifactStore, tmp_path: Path) -> None:
    src = tmp_path / "src.png"
    src.write_bytes(b"png bytes")
    key = store.put_file(store.key("job1", "keyframes/kf_00.png"), src)
    assert key == "job1/keyframes/kf_00.png"
    _forget_cache(store)
    assert store.exists(key)
    assert store.path(key).read_bytes() == b"png bytes"
    missing = store.key("job1", "keyframes/kf_09.png")
    assert not store.exists(missing)
    assert not store.path(missing).is_file()


def test_writing_publishes_companions_with_artifact(store: ArtifactStore) -> None:
    key = store.key("job1", "keyframes/kf_01.png")
    with store.writing(key) as tmp:
        tmp.write_bytes(b"image")
        tmp.with_name(tmp.name + ".layout.json").write_text('{"layers": []}')
    assert sorted(o.key for o in store.iter_keys("job1/")) == [
        "job1/keyframes/kf_01.png", "job1/keyframes/kf_01.png.layout.json"]
    _forget_cache(store)
    path = store.path(key)
    assert path.read_bytes() == b"image"
    assert path.with_name(path.name + ".layout.json").read_text() == '{"layers": []}'


def test_writing_error_publishes_nothing(store: ArtifactStore, tmp_path: Path) -> None:
    key = store.key("job1", "final/video.mp4")
    with pytest.raises(RuntimeError, match="ffmpeg died"), store.writing(key) as tmp:
        tmp.write_bytes(b"half a video")
        tmp.with_name(tmp.name + ".meta.json").write_text("{}")
        raise RuntimeError("ffmpeg died")
    assert not store.exists(key)
    assert list(store.iter_keys()) == []
    assert _files_under(tmp_path) == []  # no temporary left, in the store or the cache


def test_iter_keys_lists_size_and_utc_time(store: ArtifactStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for name, size in [("a.wav", 10), ("sub/b.ass", 3)]:
        with store.writing(store.key("job1", name)) as tmp:
            tmp.write_bytes(b"x" * size)
    with store.writing(store.key("job10", "c.wav")) as tmp:
        tmp.write_bytes(b"y")
    found = {o.key: o for o in store.iter_keys("job1/")}
    assert {k: o.size for k, o in found.items()} == {"job1/a.wav": 10, "job1/sub/b.ass": 3}
    for obj in found.values():
        assert obj.modified.utcoffset() == timedelta(0)
        assert before <= obj.modified <= datetime.now(UTC) + timedelta(seconds=5)
    assert len(list(store.iter_keys())) == 3
    assert [o.key for o in store.iter_keys("job10")] == ["job10/c.wav"]


def test_delete_prefix_frees_one_job_only(store: ArtifactStore) -> None:
    for job, size in [("job1", 100), ("job2", 7)]:
        with store.writing(store.key(job, "keyframes/kf_00.png")) as tmp:
            tmp.write_bytes(b"k" * size)
            tmp.with_name(tmp.name + ".layout.json").write_bytes(b"{}")
    store.path(store.key("job1", "keyframes/kf_00.png"))  # cached too
    assert store.delete_prefix("job1/") == 102
    assert not store.exists(store.key("job1", "keyframes/kf_00.png"))
    assert not store.path(store.key("job1", "keyframes/kf_00.png")).exists()
    assert [o.key for o in store.iter_keys()] == ["job2/keyframes/kf_00.png",
                                                   "job2/keyframes/kf_00.png.layout.json"]
    assert store.delete_prefix("job1/") == 0
    with pytest.raises(ValueError, match="whole artifact store"):
        store.delete_prefix("")


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../b", "a//b", "./a"])
def test_key_refuses_path_traversal(store: ArtifactStore, name: str) -> None:
    with pytest.raises(ValueError, match="artifact"):
        store.key("job1", name)
    with pytest.raises(ValueError, match="escapes"):
        store.path(ArtifactKey(f"job1/../../{name}"))
    with pytest.raises(ValueError, match="escapes"):
        list(store.iter_keys("../"))


def test_presigned_url_serves_ranges_on_s3_only(store: ArtifactStore) -> None:
    key = store.key("job1", "final/video.mp4")
    with store.writing(key) as tmp:
        tmp.write_bytes(bytes(range(256)) * 4)
    url = store.presigned_url(key, 60, filename="video.mp4")
    if isinstance(store, LocalArtifactStore):
        assert url is None
        return
    assert url is not None
    answer = httpx.get(url, headers={"Range": "bytes=10-19"})
    assert answer.status_code == 206
    assert answer.content == bytes(range(10, 20))
    assert answer.headers["content-type"] == "video/mp4"
    assert answer.headers["content-range"] == "bytes 10-19/1024"


def test_large_file_goes_multipart_with_checksum(s3_server: S3Server, s3_bucket: str,
                                                 tmp_path: Path) -> None:
    store = make_s3_store(s3_server, s3_bucket, tmp_path / "cache",
                          multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    src = tmp_path / "big.mp4"
    with src.open("wb") as f:
        for i in range(12):  # 12 MiB: three parts
            f.write(hashlib.sha256(str(i).encode()).digest() * (1 << 15))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    key = store.put_file(store.key("job1", "final/video.mp4"), src)
    head = store.client.head_object(Bucket=s3_bucket, Key=f"tenant/a/{key}")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts
    assert head["Metadata"]["sha256"] == digest
    assert head["ContentLength"] == 12 << 20
    _forget_cache(store)
    assert hashlib.sha256(store.path(key).read_bytes()).hexdigest() == digest


def test_corrupt_cached_copy_is_fetched_again(s3_store: S3ArtifactStore) -> None:
    key = s3_store.key("job1", "segments/seg_00.mp4")
    with s3_store.writing(key) as tmp:
        tmp.write_bytes(b"good segment")
    cached = s3_store.path(key)
    cached.write_bytes(b"bit rot here")
    assert s3_store.path(key).read_bytes() == b"good segment"


def test_corrupt_object_in_bucket_is_refused(s3_store: S3ArtifactStore, s3_bucket: str) -> None:
    key = s3_store.key("job1", "audio/mix.wav")
    with s3_store.writing(key) as tmp:
        tmp.write_bytes(b"the real mix")
    # Someone rewrites the object's bytes but not its checksum.
    s3_store.client.put_object(Bucket=s3_bucket, Key=f"tenant/a/{key}", Body=b"tampered",
                               Metadata={"sha256": hashlib.sha256(b"the real mix").hexdigest()})
    _forget_cache(s3_store)
    with pytest.raises(ArtifactIntegrityError) as caught:
        s3_store.path(key)
    assert caught.value.key == key
    assert not s3_store.cache.path(key).exists()


def test_rewritten_artifact_replaces_other_workers_cache(s3_server: S3Server, s3_bucket: str,
                                                         tmp_path: Path) -> None:
    writer = make_s3_store(s3_server, s3_bucket, tmp_path / "worker-a")
    reader = make_s3_store(s3_server, s3_bucket, tmp_path / "worker-b")
    key = writer.key("job1", "captions/captions.ass")
    for text in (b"run 1", b"run 2"):  # a retry rewrites the stage's artifact
        with writer.writing(key) as tmp:
            tmp.write_bytes(text)
        assert reader.path(key).read_bytes() == text
    assert os.path.commonpath([reader.path(key), tmp_path / "worker-b"]) == str(
        tmp_path / "worker-b")
