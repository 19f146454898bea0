"""Artifacts as files under one local directory: the default store of a single machine."""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ugen.store.artifacts.base import ArtifactKey, StoredObject, check_relative, make_key


class LocalArtifactStore:
    """Artifacts as files under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root: str | None = None

    def _real(self) -> str:
        """The root with its links resolved (once: the store makes no links itself)."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        return self._real_root

    def key(self, job_id: str, name: str) -> ArtifactKey:
        try:
            return make_key(job_id, name)
        except ValueError:
            raise ValueError(f"bad artifact name {name!r}") from None

    def path(self, key: ArtifactKey) -> Path:
        """The artifact's file. A key names a place under the root (``..`` that leaves it,
        or an absolute key, is refused); the store itself makes no links, so no lookup of
        each folder on the way is needed (this runs for every artifact read or written)."""
        root = self._real()
        target = os.path.normpath(os.path.join(root, key))
        if not target.startswith(root + os.sep):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return Path(target)

    def local_path(self, key: ArtifactKey) -> Path | None:
        """The artifact's file: it is on this machine already."""
        return self.path(key)

    def exists(self, key: ArtifactKey) -> bool:
        return self.path(key).is_file()

    def put_file(self, key: ArtifactKey, src: Path) -> ArtifactKey:
        """Store a copy of ``src``. A file of this store (an upload, another job's artifact)
        is linked rather than copied: artifacts are never rewritten in place (each write
        replaces the file), so the two names can never differ."""
        final, tmp = self._final_and_tmp(key)
        try:
            if not self._link(src, tmp):
                shutil.copyfile(src, tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return key

    def _final_and_tmp(self, key: ArtifactKey) -> tuple[Path, Path]:
        """The artifact's file (its folder made) and a hidden temporary name beside it."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final, final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")

    def _link(self, src: Path, dst: Path) -> bool:
        real = os.path.realpath(src)
        if not real.startswith(self._real() + os.sep) or os.path.basename(real).startswith("."):
            return False  # not an artifact of this store (or a write in progress)
        try:
            os.link(real, dst)
        except OSError:  # e.g. a file system without hard links
            return False
        return True

    @contextmanager
    def writing(self, key: ArtifactKey) -> Iterator[Path]:
        """A temporary path to write; it becomes the artifact when the block ends. Companion
        files written beside it (``<tmp>.<more>``, a provider's metadata) travel with it as
        ``<artifact>.<more>``."""
        final, tmp = self._final_and_tmp(key)
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

    def iter_keys(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every stored file whose key starts with ``prefix``; writes in progress (hidden
        ``.<stem>.<id>.tmp`` files) are not artifacts yet and are skipped."""
        check_relative(prefix, allow_empty=True)
        root = Path(self._real())
        # Walk only the deepest folder the prefix names in full.
        start = root / prefix.rsplit("/", 1)[0] if "/" in prefix else root
        if not start.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for filename in filenames:
                if filename.startswith("."):
                    continue
                full = Path(dirpath) / filename
                key = full.relative_to(root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    st = full.stat()
                except FileNotFoundError:  # deleted while we walked
                    continue
                yield StoredObject(
                    key=ArtifactKey(key),
                    size=st.st_size,
                    modified=datetime.fromtimestamp(st.st_mtime, tz=UTC),
                )

    def delete_prefix(self, prefix: str) -> int:
        """Delete every artifact whose key starts with ``prefix`` (and the folders left empty);
        returns the bytes freed. An empty prefix is refused: it would wipe the store."""
        if not prefix:
            raise ValueError("refusing to delete the whole artifact store (empty prefix)")
        freed = 0
        folders: set[Path] = set()
        for obj in list(self.iter_keys(prefix)):
            target = self.path(obj.key)
            try:
                target.unlink()
            except FileNotFoundError:
                continue
            freed += obj.size
            folders.add(target.parent)
        root = Path(self._real())
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != root and folder.is_relative_to(root):
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    break
                folder = folder.parent
        return freed

    def presigned_url(
        self, key: ArtifactKey, expires_in_s: int, filename: str | None = None
    ) -> str | None:
        """None: local artifacts are downloaded through the API's own signed URLs."""
        return None
