"""Artifacts in an S3-compatible bucket, read through a worker-local cache.

Every object carries the hex SHA-256 of its bytes in its metadata (``x-amz-meta-sha256``):
a download or a cached copy whose bytes do not hash to it is refused, so a torn transfer, a
corrupt cache or a stale copy of a rewritten artifact is never read. Uploads also ask the
server to verify a SHA-256 checksum in transit. Files are streamed both ways (boto3's
transfer manager: multipart above ``multipart_threshold``), never held in memory whole.

Companion files (``<artifact>.<more>``, a keyframe's ``.layout.json``) are objects of their
own, uploaded before the artifact and listed in its metadata (``x-amz-meta-companions``), so
a reader that fetches the artifact fetches them too.

boto3 types stay in this module; its errors leave as :class:`ArtifactError` subclasses.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ugen.store.artifacts.base import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactKey,
    StoredObject,
    check_relative,
    make_key,
)
from ugen.store.artifacts.cache import ArtifactCache, sha256_file

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

SHA_META = "sha256"
COMPANIONS_META = "companions"
MAX_PRESIGN_S = 7 * 86400
"""SigV4 presigned URLs live at most a week."""


def s3_client(*, endpoint_url: str | None, region: str | None) -> S3Client:
    """A client whose credentials come from boto3's standard chain (``AWS_*`` variables,
    profiles, instance roles); path-style addressing when an endpoint is given, as local
    servers (MinIO, SeaweedFS, moto) have no per-bucket host names."""
    config = Config(
        signature_version="s3v4",
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint_url,
                          region_name=region or session.region_name or "us-east-1",
                          config=config)


class S3ArtifactStore:
    """Artifacts as objects ``{prefix}/{key}`` of one bucket, cached under ``cache_dir``."""

    def __init__(self, *, bucket: str, prefix: str, cache_dir: Path, client: S3Client,
                 multipart_threshold: int = 8 << 20, multipart_chunksize: int = 8 << 20,
                 cache_max_bytes: int | None = None, cache_min_idle_s: float = 600.0
                 ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.cache = ArtifactCache(cache_dir, max_bytes=cache_max_bytes,
                                   min_idle_s=cache_min_idle_s)
        self.transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                       multipart_chunksize=multipart_chunksize,
                                       max_concurrency=4)

    # -- keys ---------------------------------------------------------------------------

    def key(self, job_id: str, name: str) -> ArtifactKey:
        try:
            return make_key(job_id, name)
        except ValueError:
            raise ValueError(f"bad artifact name {name!r}") from None

    def _object(self, key: str) -> str:
        check_relative(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _key_of(self, object_key: str) -> ArtifactKey:
        return ArtifactKey(object_key[len(self.prefix) + 1:] if self.prefix else object_key)

    # -- reads --------------------------------------------------------------------------

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ArtifactError(f"cannot read {key}: {err}", key=key) from err
        except BotoCoreError as err:
            raise ArtifactError(f"cannot reach the store for {key}: {err}", key=key) from err
        return dict(head)

    def exists(self, key: ArtifactKey) -> bool:
        return self._head(key) is not None

    def path(self, key: ArtifactKey) -> Path:
        """The cached copy of the artifact (and its companions), fetched if missing or not
        matching the stored checksum. A key with no object gives a path that does not exist,
        as with the local store.

        Raises:
            ArtifactIntegrityError: the downloaded bytes do not match the stored checksum
                (after one retry, in case the artifact was being rewritten).
        """
        target = self.cache.path(key)
        head = self._head(key)
        if head is None:
            self.cache.drop(key)
            return target
        meta = head.get("Metadata", {})
        for suffix in _companions(meta):
            self._fetch(ArtifactKey(key + suffix))
        self._fetch(key, head)
        return target

    def _fetch(self, key: ArtifactKey, head: dict[str, Any] | None = None) -> None:
        for _attempt in range(2):
            head = head if head is not None else self._head(key)
            if head is None:
                self.cache.drop(key)
                return
            want = head.get("Metadata", {}).get(SHA_META)
            if self.cache.holds(key, want):
                return
            final = self.cache.path(key)
            tmp = self.cache.temp_beside(final)
            try:
                self.client.download_file(self.bucket, self._object(key), str(tmp),
                                          Config=self.transfer)
                got = sha256_file(tmp)
                if want is None or got == want:
                    size = tmp.stat().st_size
                    os.replace(tmp, final)
                    self.cache.added(size)
                    return
            except ClientError as err:
                raise ArtifactError(f"cannot download {key}: {err}", key=key) from err
            except BotoCoreError as err:
                raise ArtifactError(f"cannot download {key}: {err}", key=key) from err
            finally:
                tmp.unlink(missing_ok=True)
            head = None  # rewritten meanwhile? look again once
        raise ArtifactIntegrityError(
            f"{key}: downloaded bytes do not match the stored SHA-256", key=key)

    def iter_keys(self, prefix: str = "") -> Iterator[StoredObject]:
        check_relative(prefix, allow_empty=True)
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full)
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    yield StoredObject(key=self._key_of(obj["Key"]), size=obj["Size"],
                                       modified=obj["LastModified"].astimezone(UTC))
        except (ClientError, BotoCoreError) as err:
            raise ArtifactError(f"cannot list {prefix!r}: {err}", key=prefix) from err

    def local_path(self, key: ArtifactKey) -> Path | None:
        """None: the artifact lives in the bucket; a copy is fetched only by :meth:`path`."""
        return None

    def presigned_url(self, key: ArtifactKey, expires_in_s: int,
                      filename: str | None = None) -> str | None:
        """A GET URL of the object signed by the store, valid ``expires_in_s`` (at most a
        week, SigV4's limit); the server answers ``Range`` requests itself."""
        params: dict[str, str] = {"Bucket": self.bucket, "Key": self._object(key)}
        if filename:
            safe = filename.replace('"', "").replace("\\", "")
            params["ResponseContentDisposition"] = f'inline; filename="{safe}"'
        return self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=max(1, min(expires_in_s, MAX_PRESIGN_S)))

    # -- writes -------------------------------------------------------------------------

    def put_file(self, key: ArtifactKey, src: Path) -> ArtifactKey:
        with self.writing(key) as tmp:
            shutil.copyfile(src, tmp)
        return key

    @contextmanager
    def writing(self, key: ArtifactKey) -> Iterator[Path]:
        """A temporary path in the cache to write; when the block ends its companions
        (``<tmp>.<more>``), then the artifact itself, are uploaded, and the files become the
        cached copies. On an error nothing is uploaded and the files are removed."""
        final = self.cache.path(key)
        tmp = self.cache.temp_beside(final)
        pattern = f"{tmp.name}."
        try:
            yield tmp
            companions = sorted(p for p in tmp.parent.iterdir() if p.name.startswith(pattern))
            suffixes = [p.name[len(tmp.name):] for p in companions]
            for path, suffix in zip(companions, suffixes, strict=True):
                self._upload(ArtifactKey(key + suffix), path, {})
            self._upload(key, tmp, {COMPANIONS_META: ",".join(suffixes)} if suffixes else {})
            size = tmp.stat().st_size
            for path, suffix in zip(companions, suffixes, strict=True):
                size += path.stat().st_size
                os.replace(path, final.with_name(final.name + suffix))
            os.replace(tmp, final)
            self.cache.added(size)
        finally:
            tmp.unlink(missing_ok=True)
            for leftover in tmp.parent.glob(f"{tmp.name}.*"):
                leftover.unlink(missing_ok=True)

    def _upload(self, key: ArtifactKey, path: Path, meta: dict[str, str]) -> None:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        extra = {"Metadata": {SHA_META: sha256_file(path), **meta},
                 "ContentType": content_type, "ChecksumAlgorithm": "SHA256"}
        try:
            self.client.upload_file(str(path), self.bucket, self._object(key),
                                    ExtraArgs=extra, Config=self.transfer)
        except (ClientError, BotoCoreError, S3UploadFailedError) as err:
            raise ArtifactError(f"cannot upload {key}: {err}", key=key) from err

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix`` (and its cached copies);
        returns the bytes freed. An empty prefix is refused: it would wipe the store."""
        if not prefix:
            raise ValueError("refusing to delete the whole artifact store (empty prefix)")
        freed, batch = 0, []
        for obj in self.iter_keys(prefix):
            batch.append((obj.key, obj.size))
            if len(batch) == 1000:
                freed += self._delete(batch)
                batch = []
        if batch:
            freed += self._delete(batch)
        self.cache.drop_prefix(prefix)
        return freed

    def _delete(self, batch: list[tuple[ArtifactKey, int]]) -> int:
        try:
            answer = self.client.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": self._object(k)} for k, _ in batch], "Quiet": True})
        except (ClientError, BotoCoreError) as err:
            raise ArtifactError(f"cannot delete {batch[0][0]}…: {err}", key=batch[0][0]) from err
        failed = {self._key_of(e["Key"]) for e in answer.get("Errors", []) if "Key" in e}
        if failed:
            first = sorted(failed)[0]
            raise ArtifactError(f"could not delete {len(failed)} objects, {first} first",
                                key=first)
        return sum(size for _, size in batch)


def _companions(meta: dict[str, str]) -> list[str]:
    return [s for s in meta.get(COMPANIONS_META, "").split(",") if s.startswith(".")]
