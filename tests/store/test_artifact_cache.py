"""The worker-local cache of S3 artifacts stays within ``UGEN_CACHE_MAX_BYTES``: the least
recently used files go first, never one used lately or one being written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.store.conftest import S3Server, make_s3_store
from ugen.core.config import Settings, get_settings
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.artifacts.cache import ArtifactCache, sha256_file
from ugen.store.artifacts.s3 import S3ArtifactStore

NOW = time.time()


def _file(cache: ArtifactCache, key: str, size: int, *, used_ago_s: float) -> Path:
    path = cache.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    os.utime(path, (NOW - used_ago_s, NOW - used_ago_s))
    return path


def _cached(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_trim_removes_least_recently_used_files_first(tmp_path: Path) -> None:
    cache = ArtifactCache(tmp_path, max_bytes=2500, min_idle_s=60)
    oldest = _file(cache, "j1/segments/seg_00.mp4", 1000, used_ago_s=3000)
    _file(cache, "j1/segments/seg_01.mp4", 1000, used_ago_s=2000)
    _file(cache, "j2/final.mp4", 1000, used_ago_s=1000)
    # Reading the oldest copy (its checksum holds) makes it the most recently used.
    assert cache.holds("j1/segments/seg_00.mp4", sha256_file(oldest))

    assert cache.trim(now=NOW) == 1000
    assert _cached(tmp_path) == {"j1/segments/seg_00.mp4", "j2/final.mp4"}
    assert cache.trim(now=NOW) == 0  # within the bound now


def test_trim_keeps_files_in_use_and_writes_in_progress(tmp_path: Path) -> None:
    cache = ArtifactCache(tmp_path, max_bytes=1000, min_idle_s=600)
    _file(cache, "j1/keyframes/kf_00.png", 800, used_ago_s=5000)
    _file(cache, "j1/segments/seg_00.mp4", 800, used_ago_s=300)  # read 5 min ago: in use
    _file(cache, "j1/segments/seg_01.mp4", 800, used_ago_s=1)  # just fetched
    writing = cache.temp_beside(cache.path("j1/final.mp4"))
    writing.write_bytes(os.urandom(5000))
    os.utime(writing, (NOW - 9000, NOW - 9000))

    assert cache.trim(now=NOW) == 800
    # Over the bound still, but nothing left was idle long enough to be taken from a reader.
    assert _cached(tmp_path) == {"j1/segments/seg_00.mp4", "j1/segments/seg_01.mp4",
                                 writing.relative_to(tmp_path).as_posix()}
    assert cache.trim(now=NOW + 600) == 800  # later it is idle: the older goes
    assert _cached(tmp_path) == {"j1/segments/seg_01.mp4",
                                 writing.relative_to(tmp_path).as_posix()}


def test_unbounded_cache_keeps_everything(tmp_path: Path) -> None:
    cache = ArtifactCache(tmp_path, max_bytes=None)
    _file(cache, "j1/a.bin", 5000, used_ago_s=99999)
    cache.added(5000)
    assert cache.trim(now=NOW) == 0 and _cached(tmp_path) == {"j1/a.bin"}


def test_s3_store_cache_stays_bounded_and_refetches_evicted(s3_server: S3Server,
                                                            s3_bucket: str,
                                                            tmp_path: Path) -> None:
    store = make_s3_store(s3_server, s3_bucket, tmp_path / "cache", cache_max_bytes=2500,
                          cache_min_idle_s=0)
    sources = {}
    for i in range(4):
        src = tmp_path / f"seg_{i}.mp4"
        src.write_bytes(os.urandom(1000))
        key = store.put_file(store.key("job-1", f"segments/seg_{i}.mp4"), src)
        sources[key] = src
        # Used in the order written (distinct times, whatever the clock's resolution).
        os.utime(store.cache.path(key), (NOW - 100 + i, NOW - 100 + i))
    # Every write was counted; the two oldest copies went to keep 2500 bytes.
    assert _cached(tmp_path / "cache") == {"job-1/segments/seg_2.mp4",
                                          "job-1/segments/seg_3.mp4"}
    first = ArtifactKey("job-1/segments/seg_0.mp4")
    path = store.path(first)  # evicted: fetched again from the bucket, verified
    assert path.read_bytes() == sources[first].read_bytes()
    assert sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*") if p.is_file()
               ) <= 2500


def test_configured_store_uses_the_cache_bound(settings: Settings, s3_server: S3Server,
                                               s3_bucket: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_STORAGE_URL", f"s3://{s3_bucket}/ugen")
    monkeypatch.setenv("UGEN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("UGEN_CACHE_MAX_BYTES", "123456")
    store = artifact_store(get_settings())
    assert isinstance(store, S3ArtifactStore)
    assert store.cache.max_bytes == 123456
    assert store.cache.root == settings.data_dir / "cache" / "artifacts"
