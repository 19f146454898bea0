"""The artifact store interface shared by the local directory and S3 implementations.

Artifacts are addressed by a key ``{job_id}/{name}`` that the database stores; steps pass keys,
never media bytes. Writers get a path to fill and the artifact appears atomically when the
block ends; readers get a local path (for S3: a verified file in the worker's cache).

Errors::

    ArtifactError                 any failure of the store, ``key`` attached
    ├── ArtifactNotFoundError     no artifact under that key
    └── ArtifactIntegrityError    the bytes read do not match the checksum stored with them
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NewType, Protocol

ArtifactKey = NewType("ArtifactKey", str)
"""Where an artifact lives in the store: ``{job_id}/{name}``."""


class ArtifactError(Exception):
    """The artifact store failed; ``key`` names the artifact (or prefix) concerned."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


class ArtifactNotFoundError(ArtifactError):
    """No artifact is stored under the key."""


class ArtifactIntegrityError(ArtifactError):
    """An artifact's bytes do not match the SHA-256 recorded when it was written."""


@dataclass(frozen=True)
class StoredObject:
    """One artifact as listed by :meth:`ArtifactStore.iter_keys`."""

    key: ArtifactKey
    size: int
    modified: datetime
    """Last write time, timezone-aware UTC."""


def make_key(job_id: str, name: str) -> ArtifactKey:
    """The key of ``name`` within ``job_id``; names that could escape the store are refused."""
    check_relative(name)
    check_relative(job_id)
    return ArtifactKey(f"{job_id}/{name}")


def check_relative(text: str, *, allow_empty: bool = False) -> str:
    """``text`` if it is a plain relative POSIX path (no ``..``, no leading ``/``, no ``\\``).

    Raises:
        ValueError: the path is empty (unless allowed) or could leave the store.
    """
    if not text:
        if allow_empty:
            return text
        raise ValueError("empty artifact key")
    parts = text.removesuffix("/").split("/")  # a prefix may end in "/"
    if "\\" in text or "\x00" in text or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"artifact key escapes the store: {text!r}")
    return text


class ArtifactStore(Protocol):
    """Where every stage reads and writes artifacts (built by ``ugen.store.artifact_store``)."""

    def key(self, job_id: str, name: str) -> ArtifactKey: ...

    def path(self, key: ArtifactKey) -> Path:
        """A local path to read the artifact from (S3: fetched into the cache and verified)."""
        ...

    def local_path(self, key: ArtifactKey) -> Path | None:
        """Where the artifact is on this machine without fetching it (local storage), or
        None for a remote store (whose copy is fetched only by :meth:`path`)."""
        ...

    def exists(self, key: ArtifactKey) -> bool: ...

    def put_file(self, key: ArtifactKey, src: Path) -> ArtifactKey: ...

    def writing(self, key: ArtifactKey) -> AbstractContextManager[Path]:
        """Yield a temporary path to write; it becomes the artifact when the block ends.
        Companion files ``<tmp>.<more>`` travel with it as ``<artifact>.<more>``."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every artifact whose key starts with ``prefix``; returns the bytes freed."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every artifact whose key starts with ``prefix``, in no particular order."""
        ...

    def presigned_url(
        self, key: ArtifactKey, expires_in_s: int, filename: str | None = None
    ) -> str | None:
        """A direct download URL valid ``expires_in_s`` seconds, or None when the store has
        none (local storage: the API serves its own signed URLs)."""
        ...

