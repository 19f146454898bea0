"""Artifact storage behind one interface: a local directory (default) or an S3 bucket.

``artifact_store(settings)`` builds the configured one from ``UGEN_STORAGE_URL``.
"""

from ugen.store.artifacts.base import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactKey,
    ArtifactNotFoundError,
    ArtifactStore,
    StoredObject,
)
from ugen.store.artifacts.factory import artifact_store
from ugen.store.artifacts.local import LocalArtifactStore

__all__ = [
    "ArtifactError",
    "ArtifactIntegrityError",
    "ArtifactKey",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "LocalArtifactStore",
    "StoredObject",
    "artifact_store",
]
