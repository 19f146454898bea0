"""Artifact storage behind one small interface; a local directory today.

Artifacts are addressed by a key ``{job_id}/{name}`` that the database stores; steps pass keys,
never media bytes. Writers get a path to fill and the file appears atomically.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import NewType, Protocol

ArtifactKey = NewType("ArtifactKey", str)
"""Where an artifact lives in the store: ``{job_id}/{name}``."""


class ArtifactStore(Protocol):
    def key(self, job_id: str, name: str) -> ArtifactKey: ...

    def path(self, key: ArtifactKey) -> Path:
        """A local path to read the artifact from."""
        ...

    def exists(self, key: ArtifactKey) -> bool: ...

    def put_file(self, key: ArtifactKey, src: Path) -> ArtifactKey: ...

    @contextmanager
    def writing(self, key: ArtifactKey) -> Iterator[Path]:
        """Yield a temporary path to write; it becomes the artifact when the block ends."""
        ...


class LocalArtifactStore:
    """Artifacts as files under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def key(self, job_id: str, name: str) -> ArtifactKey:
        parts = PurePosixPath(name).parts
        if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
            raise ValueError(f"bad artifact name {name!r}")
        return ArtifactKey(f"{job_id}/{name}")

    def path(self, key: ArtifactKey) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return target

    def exists(self, key: ArtifactKey) -> bool:
        return self.path(key).is_file()

    def put_file(self, key: ArtifactKey, src: Path) -> ArtifactKey:
        with self.writing(key) as tmp:
            shutil.copyfile(src, tmp)
        return key

    @contextmanager
    def writing(self, key: ArtifactKey) -> Iterator[Path]:
        """A temporary path to write; it becomes the artifact when the block ends. Companion
        files written beside it (``<tmp>.<more>``, a provider's metadata) travel with it as
        ``<artifact>.<more>``."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")
        companions = f"{glob.escape(tmp.name)}.*"
        try:
            yield tmp
            for companion in tmp.parent.glob(companions):
                os.replace(companion, final.with_name(final.name + companion.name[len(tmp.name):]))
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
            for companion in tmp.parent.glob(companions):
                companion.unlink(missing_ok=True)
