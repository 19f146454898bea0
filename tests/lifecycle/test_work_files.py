"""Work files: a stage's scratch is gone once the stage completes, and a finished job leaves
none; deleting the job then removes every artifact it made."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import submit, wait
from ugen import service
from ugen.core.config import Settings
from ugen.pipeline.worker import start_worker
from ugen.pipeline.workfiles import clean_run_work
from ugen.store.artifacts import artifact_store


def _files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_finished_job_leaves_no_work_files(settings: Settings, product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, segment_count=1, music_enabled=True)
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    assert _files(settings.work_dir / job_id) == []
    assert not (settings.work_dir / job_id).exists()
    stored = list(artifact_store(settings).iter_keys(f"{job_id}/"))
    root = settings.artifacts_dir.resolve()
    outputs = {Path(view[k]).resolve().relative_to(root).as_posix()
               for k in ("final_video_path", "thumbnail_path")}
    assert {o.key for o in stored} >= outputs

    deleted = service.delete_job(settings, job_id)
    assert deleted.artifact_bytes == sum(o.size for o in stored) > 0
    assert list(artifact_store(settings).iter_keys(f"{job_id}/")) == []
    assert_ledger_balances(settings, settings.default_account)


def test_clean_run_work_keeps_other_runs(settings: Settings) -> None:
    job = settings.work_dir / "job-a"
    for run in ("run1", "run2"):
        (job / run / "audio").mkdir(parents=True)
        (job / run / "audio" / "line_00.wav").write_bytes(b"x" * 10)
    assert clean_run_work(settings, "job-a", 1) == 10
    assert not (job / "run1").exists() and (job / "run2" / "audio" / "line_00.wav").is_file()
    assert clean_run_work(settings, "job-a", 2) == 10
    assert not job.exists()
    assert clean_run_work(settings, "job-a", 3) == 0
