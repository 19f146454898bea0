"""Artifact storage behind one small interface; a local directory today.

Artifacts are addressed by a key ``{job_id}/{name}`` that the database stores; steps pass keys,
never media bytes. Writers get a path to fill and the file appears atomically.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol


class ArtifactStore(Protocol):
    def key(self, job_id: str, name: str) -> str: ...

    def path(self, key: str) -> Path:
        """A local path to read the artifact from."""
        ...

    def exists(self, key: str) -> bool: ...

    def put_file(self, key: str, src: Path) -> str: ...

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        """Yield a temporary path to write; it becomes the artifact when the block ends."""
        ...


class LocalArtifactStore:
    """Artifacts as files under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def key(self, job_id: str, name: str) -> str:
        parts = PurePosixPath(name).parts
        if not parts or any(p in ("..", "") or p.startswith("/") for p in parts):
            raise ValueError(f"bad artifact name {name!r}")
        return f"{job_id}/{name}"

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return target

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def put_file(self, key: str, src: Path) -> str:
        with self.writing(key) as tmp:
            shutil.copyfile(src, tmp)
        return key

    @contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")
        try:
            yield tmp
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
