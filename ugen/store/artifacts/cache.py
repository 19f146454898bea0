"""The worker-local cache of a remote artifact store, and streamed SHA-256 of files.

The cache mirrors keys under one directory (``data_dir/cache/artifacts``). It holds copies
only: it may be emptied at any time, and every read checks the cached bytes against the
checksum stored with the object before trusting them.

Its size is bounded (``UGEN_CACHE_MAX_BYTES``): a file's modification time is its last use
(set when it is fetched or written, and again on every read), and when the files add up to
more than the bound the least recently used are removed. A file used in the last
``min_idle_s`` seconds is never removed, so the copy just fetched for a reader, in this
process or another worker sharing the data dir, stays while it is read (the bound is then
exceeded for a while rather than a step failing). Files being written have hidden temporary
names and are never counted or removed; folders are kept, as a writer may be about to fill
one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ugen.store.artifacts.base import ArtifactKey, check_relative

CHUNK = 1 << 20
RESCAN_EVERY = 64
"""Files added by this process after which the cache is measured again, to see what other
processes sharing it added."""

log = logging.getLogger("ugen.store")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (a video is never held in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used: float
    """Last use (the file's modification time), seconds since the epoch."""


class ArtifactCache:
    """Files of a remote store kept on this machine under ``root``, one per key, at most
    ``max_bytes`` of them (None or 0: unbounded) less what is in use (see the module)."""

    def __init__(self, root: Path, *, max_bytes: int | None = None,
                 min_idle_s: float = 600.0) -> None:
        self.root = root
        self.max_bytes = max_bytes or None
        self.min_idle_s = min_idle_s
        self._lock = threading.Lock()
        self._trimming = threading.Lock()
        self._estimate: int | None = None  # bytes held, as last measured plus added since
        self._added_since_scan = 0

    def path(self, key: ArtifactKey | str) -> Path:
        """Where ``key`` is cached (whether or not it is there now)."""
        check_relative(key)
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"artifact key escapes the store: {key!r}")
        return target

    def temp_beside(self, final: Path) -> Path:
        """A hidden, unique temporary name in ``final``'s folder (same file system: the
        rename that publishes it is atomic)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(f".{final.stem}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}")

    def holds(self, key: ArtifactKey | str, sha256: str | None) -> bool:
        """Whether the cached copy of ``key`` exists and its bytes hash to ``sha256``; a copy
        that does not is removed (corrupt or stale after the artifact was rewritten)."""
        path = self.path(key)
        if not path.is_file():
            return False
        if sha256 is not None and sha256_file(path) == sha256:
            self.touch(path)
            return True
        path.unlink(missing_ok=True)
        return False

    def touch(self, path: Path) -> None:
        """Mark ``path`` as used now (its modification time is its last use)."""
        with contextlib.suppress(FileNotFoundError):  # evicted meanwhile: fetched again
            os.utime(path)

    def added(self, size: int) -> None:
        """Account for a file of ``size`` bytes just placed in the cache; trim the cache
        when it may be over its bound."""
        if self.max_bytes is None:
            return
        with self._lock:
            self._added_since_scan += 1
            if self._estimate is not None:
                self._estimate += size
            due = (self._estimate is None or self._estimate > self.max_bytes
                   or self._added_since_scan >= RESCAN_EVERY)
        if due:
            self.trim()

    def _entries(self) -> list[_Entry]:
        found: list[_Entry] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):  # a write or download in progress
                    continue
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                found.append(_Entry(path, st.st_size, st.st_mtime))
        return found

    def trim(self, *, now: float | None = None) -> int:
        """Remove least recently used files until the cache is within its bound, never one
        used in the last ``min_idle_s``; returns the bytes removed. One thread of a process
        trims at a time (another asking meanwhile returns 0 at once)."""
        if self.max_bytes is None or not self._trimming.acquire(blocking=False):
            return 0
        try:
            entries = self._entries()
            total = sum(e.size for e in entries)
            removed = 0
            idle_before = (now if now is not None else time.time()) - self.min_idle_s
            for entry in sorted(entries, key=lambda e: e.used):
                if total <= self.max_bytes or entry.used > idle_before:
                    break
                try:
                    if entry.path.stat().st_mtime > idle_before:  # read since the scan
                        continue
                    entry.path.unlink()
                    removed += entry.size
                except FileNotFoundError:  # removed by another process
                    pass
                total -= entry.size
            with self._lock:
                self._estimate, self._added_since_scan = total, 0
            if removed:
                log.info("artifact cache: %d bytes of least recently used files removed, "
                         "%d bytes kept (bound %d)", removed, total, self.max_bytes)
            return removed
        finally:
            self._trimming.release()

    def drop(self, key: ArtifactKey | str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)

    def drop_prefix(self, prefix: str) -> None:
        """Forget every cached file whose key starts with ``prefix``."""
        root = self.root.resolve()
        start = root / prefix.rsplit("/", 1)[0] if "/" in prefix else root
        if not start.is_dir():
            return
        if prefix.endswith("/") and start != root:
            shutil.rmtree(start, ignore_errors=True)
            return
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                full = Path(dirpath) / name
                if full.relative_to(root).as_posix().startswith(prefix):
                    full.unlink(missing_ok=True)
