"""The artifact store the settings name: ``UGEN_STORAGE_URL`` (a directory, or ``s3://``)."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from ugen.core.config import Settings
from ugen.store.artifacts.base import ArtifactStore
from ugen.store.artifacts.local import LocalArtifactStore

_lock = threading.Lock()
_stores: dict[tuple[str, str | None, str | None, Path, int], ArtifactStore] = {}


@lru_cache(maxsize=64)
def _local(root: Path) -> LocalArtifactStore:
    """One store per directory (it keeps its resolved root)."""
    return LocalArtifactStore(root)


def artifact_store(settings: Settings) -> ArtifactStore:
    """The configured store: ``LocalArtifactStore`` on a directory (default: ``artifacts`` in
    the data dir), or ``S3ArtifactStore`` for ``s3://bucket/prefix`` with its cache in
    ``data_dir/cache/artifacts`` (bounded by ``UGEN_CACHE_MAX_BYTES``). S3 stores are kept
    per configuration, as a boto3 client is costly to build and safe to share between
    threads.

    Raises:
        ValueError: a storage URL of another scheme, or ``s3://`` without a bucket.
    """
    url = settings.storage_url
    if not url:
        return _local(settings.artifacts_dir)
    parts = urlsplit(url)
    if parts.scheme in ("", "file"):
        return _local(Path(parts.path if parts.scheme else url).expanduser())
    if parts.scheme != "s3":
        raise ValueError(f"UGEN_STORAGE_URL: unknown scheme {parts.scheme!r} (a directory or "
                         "s3://bucket/prefix)")
    if not parts.netloc:
        raise ValueError("UGEN_STORAGE_URL: s3:// needs a bucket (s3://bucket/prefix)")
    cache_dir = settings.data_dir / "cache" / "artifacts"
    ident = (url, settings.s3_endpoint_url, settings.s3_region, cache_dir,
             settings.cache_max_bytes)
    with _lock:
        found = _stores.get(ident)
        if found is None:
            from ugen.store.artifacts.s3 import S3ArtifactStore, s3_client  # boto3: only here

            client = s3_client(endpoint_url=settings.s3_endpoint_url,
                               region=settings.s3_region)
            found = _stores[ident] = S3ArtifactStore(
                bucket=parts.netloc, prefix=parts.path.strip("/"), cache_dir=cache_dir,
                client=client, cache_max_bytes=settings.cache_max_bytes)
        return found
