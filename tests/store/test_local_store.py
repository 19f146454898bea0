"""The local artifact store's own rules: keys stay under the root, and a stored copy of
another artifact is a link that a later rewrite of the original never changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ugen.store.artifacts import ArtifactKey, LocalArtifactStore


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.mark.parametrize("key", ["../outside.png", "job/../../outside.png", "/etc/passwd",
                                 "job/input/../../../x"])
def test_path_refuses_keys_that_leave_the_root(store: LocalArtifactStore, key: str) -> None:
    with pytest.raises(ValueError, match="escapes the store"):
        store.path(ArtifactKey(key))


def test_path_is_under_the_resolved_root(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    store = LocalArtifactStore(tmp_path / "link")
    assert store.path(ArtifactKey("job/a/../b.txt")) == real / "job" / "b.txt"


def test_copy_of_an_artifact_is_a_link_a_rewrite_never_reaches(
        store: LocalArtifactStore) -> None:
    with store.writing(ArtifactKey("uploads/acct/p.png")) as tmp:
        tmp.write_bytes(b"first")
    original = store.path(ArtifactKey("uploads/acct/p.png"))
    copy = store.path(store.put_file(ArtifactKey("job1/input/product.png"), original))
    assert copy.read_bytes() == b"first"
    assert copy.stat().st_ino == original.stat().st_ino  # linked, not copied
    with store.writing(ArtifactKey("uploads/acct/p.png")) as tmp:  # the original rewritten
        tmp.write_bytes(b"second")
    assert original.read_bytes() == b"second" and copy.read_bytes() == b"first"
    assert store.delete_prefix("uploads/") == len(b"second")
    assert copy.read_bytes() == b"first"  # the job keeps its input


def test_copy_of_an_outside_file_is_a_copy(store: LocalArtifactStore, tmp_path: Path) -> None:
    outside = tmp_path / "photo.png"
    outside.write_bytes(b"mine")
    copy = store.path(store.put_file(ArtifactKey("job1/input/product.png"), outside))
    assert copy.stat().st_ino != outside.stat().st_ino
    outside.write_bytes(b"changed in place")
    assert copy.read_bytes() == b"mine"
    # Storing again over an existing artifact replaces it.
    store.put_file(ArtifactKey("job1/input/product.png"), outside)
    assert copy.read_bytes() == b"changed in place"
    assert [p.name for p in copy.parent.iterdir()] == ["product.png"]  # no temporary left
