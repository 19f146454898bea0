"""``ugen admin gc``: expired uploads, orphaned artifacts and stale work files go; live jobs'
files and fresh uploads stay; the bytes freed are reported."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.utils.jobs import submit
from ugen.cli import app
from ugen.core.config import Settings
from ugen.service import parse_duration
from ugen.store.artifacts import ArtifactKey, artifact_store

runner = CliRunner()
OLD = time.time() - 10 * 86400  # ten days ago


def _put(settings: Settings, key: str, size: int, tmp_path: Path, *, old: bool) -> Path:
    """Store ``size`` bytes under ``key``; back-date the file when ``old``."""
    src = tmp_path / f"src-{uuid.uuid4().hex}"
    src.write_bytes(os.urandom(size))
    store = artifact_store(settings)
    store.put_file(ArtifactKey(key), src)
    path = store.path(ArtifactKey(key))
    if old:
        os.utime(path, (OLD, OLD))
    return path


def _age(path: Path) -> None:
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.utime(Path(root) / name, (OLD, OLD))
    os.utime(path, (OLD, OLD))


def test_gc_removes_expired_and_orphaned_and_keeps_live(settings: Settings,
                                                       product_image: Path,
                                                       tmp_path: Path) -> None:
    live = submit(settings, product_image)  # queued: its input is in the store
    _age(settings.artifacts_dir / live)
    live_scratch = settings.work_dir / live / "run1" / "audio"
    live_scratch.mkdir(parents=True)
    (live_scratch / "line_00.wav").write_bytes(b"x" * 100)
    _age(settings.work_dir / live)

    orphan = str(uuid.uuid4())
    old_orphan = [_put(settings, f"{orphan}/segments/seg_00.mp4", 3000, tmp_path, old=True),
                  _put(settings, f"{orphan}/final.mp4", 2000, tmp_path, old=True)]
    fresh_orphan = _put(settings, f"{uuid.uuid4()}/input/product.png", 500, tmp_path, old=False)
    expired = _put(settings, f"uploads/acct-1/{uuid.uuid4()}.png", 700, tmp_path, old=True)
    fresh = _put(settings, f"uploads/acct-1/{uuid.uuid4()}.png", 800, tmp_path, old=False)
    stale_scratch = settings.work_dir / str(uuid.uuid4()) / "run2" / "segments"
    stale_scratch.mkdir(parents=True)
    (stale_scratch / "seg.mp4").write_bytes(b"y" * 400)
    _age(stale_scratch.parents[1])
    expected = {"expired_uploads": 1, "upload_bytes": 700, "orphaned_jobs": 1,
                "orphan_bytes": 5000, "work_entries": 1, "work_bytes": 400,
                "bytes_freed": 6100}

    dry = runner.invoke(app, ["admin", "gc", "--older-than", "7d", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True
    assert {k: report[k] for k in expected} == expected
    assert all(p.is_file() for p in [*old_orphan, expired]) and stale_scratch.is_dir()

    done = runner.invoke(app, ["admin", "gc", "--older-than", "7d", "--json"])
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is False
    assert {k: report[k] for k in expected} == expected
    assert not any(p.exists() for p in [*old_orphan, expired])
    assert not (settings.artifacts_dir / orphan).exists()
    assert not stale_scratch.parents[1].exists()
    assert fresh.is_file() and fresh_orphan.is_file()
    assert list(artifact_store(settings).iter_keys(f"{live}/input/"))
    assert (live_scratch / "line_00.wav").is_file()  # the job is queued: in use

    again = runner.invoke(app, ["admin", "gc", "--older-than", "7d", "--json"])
    assert json.loads(again.stdout)["bytes_freed"] == 0


def test_gc_text_report_names_bytes_freed(settings: Settings, tmp_path: Path) -> None:
    _put(settings, f"uploads/acct-2/{uuid.uuid4()}.png", 1234, tmp_path, old=True)
    result = runner.invoke(app, ["admin", "gc", "--older-than", "24h"])
    assert result.exit_code == 0, result.stderr
    assert "expired uploads 1 (1234 bytes)" in result.stdout
    assert "freed 1234 bytes" in result.stdout


def test_gc_refuses_a_bad_duration(settings: Settings) -> None:
    result = runner.invoke(app, ["admin", "gc", "--older-than", "soon"])
    assert result.exit_code == 2 and "--older-than" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("7d", timedelta(days=7)), ("24h", timedelta(hours=24)), ("30m", timedelta(minutes=30)),
    ("90s", timedelta(seconds=90)), ("2w", timedelta(weeks=2)), ("1.5h", timedelta(minutes=90)),
])
def test_parse_duration_reads_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7y", "-1d", "0h"])
def test_parse_duration_rejects_others(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
