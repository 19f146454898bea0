"""Whole jobs through the eight stages, in process, with the offline providers."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import c2pa
from sqlalchemy import select

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import output, path_of, stage, submit, wait
from tests.utils.jobs import view as view_of
from ugen import service
from ugen.core.config import Settings
from ugen.core.types import STAGES
from ugen.media.boundary import SegmentEnds, analysis_size
from ugen.media.loudness import measure_loudness
from ugen.media.probe import probe
from ugen.pipeline.outputs import AudioOutput, CompleteOutput, ConcatOutput, GenerationOutput
from ugen.pipeline.worker import start_worker
from ugen.providers import registry
from ugen.providers.base import PermanentProviderError
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction, JobEvent


def test_run_job_completes_with_verified_mp4(settings: Settings, product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, music_mood="chill")
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    assert view["progress_percent"] == 100
    assert [s["status"] for s in view["stages"]] == ["completed"] * len(STAGES)
    final = Path(view["final_video_path"])
    info = probe(final, count_frames=True)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", 1080, 1920)
    assert info.video.pix_fmt == "yuv420p" and info.audio.codec == "aac"
    concat = output(settings, job_id, ConcatOutput)
    # Duration within one frame of the concatenated timeline (2 x 3 s less the dropped
    # duplicate boundary frame).
    frame = 1 / 30
    assert abs(info.duration - concat.duration_s) <= frame + 1e-3
    assert abs(concat.duration_s - (6.0 - sum(concat.plan.dropped_boundary_frames) * frame)) \
        <= frame + 1e-3
    assert info.video.frames == concat.plan.frame_count
    # The stored video carries Content Credentials: a trained algorithm and U-Gen made it,
    # signed with this installation's certificate (valid, its signer untrusted by readers).
    with c2pa.Reader(final) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    created = actions["data"]["actions"][0]
    assert (created["action"], created["digitalSourceType"]) == (
        "c2pa.created", "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    assert manifest["claim_generator_info"][0]["name"] == "U-Gen"
    assert store["validation_state"] == "Valid"
    assert [f["code"] for f in store["validation_results"]["activeManifest"]["failure"]] \
        == ["signingCredential.untrusted"]
    credentials = output(settings, job_id, CompleteOutput).content_credentials
    assert credentials is not None and credentials.manifest == store["active_manifest"]
    assert credentials.signed_with == "installation" and credentials.untrusted_signer
    # Each accepted segment's joined frames were read in generation, for concat: the first
    # segment's tail, the last one's head.
    segments = output(settings, job_id, GenerationOutput).segments
    size = analysis_size(1080, 1920)
    ends = [SegmentEnds.load(path_of(settings, seg.ends or ""),
                             source=path_of(settings, seg.artifact), size=size)
            for seg in segments]
    assert ends[0] is not None and ends[0].head is None and ends[0].tail is not None
    assert ends[1] is not None and ends[1].head is not None and ends[1].tail is None
    loud = measure_loudness(final)
    assert -15.0 <= loud.integrated_lufs <= -13.0
    assert Path(view["thumbnail_path"]).stat().st_size > 10_000
    # Money: reserved at prepare, consumed in full on success, nothing left held.
    assert view["credits_consumed"] == view["estimate"]["total"]
    assert view["credits_reserved"] == 0
    assert_ledger_balances(settings, "local")
    # Every keyframe and segment made once.
    calls = view["provider_calls"]
    assert calls == {"keyframe:kf_00": 1, "keyframe:kf_01": 1, "keyframe:kf_02": 1,
                     "music:music": 1, "script:script": 1, "video:seg_00": 1,
                     "video:seg_01": 1, "voice_conversion:line_00": 1,
                     "voice_conversion:line_01": 1}
    # The persona's own speech in each segment was converted, not spoken again.
    assert output(settings, job_id, AudioOutput).speech_sources == ("segment", "segment")
    with session_scope(settings) as s:
        kinds = [e.type for e in s.scalars(select(JobEvent).where(JobEvent.job_id == job_id))]
    assert kinds[0] == "job_created" and kinds[-1] == "job_completed"
    assert kinds.count("stage_completed") == len(STAGES) - 1


def test_stop_at_stage_then_retry_continues(settings: Settings, product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, stop_at_stage="init", music_enabled=False)
    view = wait(settings, job_id)
    assert view["status"] == "stopped"
    assert stage(view, "init")["status"] == "completed"
    assert stage(view, "generation")["status"] == "pending"
    held = view["credits_consumed"]
    assert held == sum(s["credits_used"] for s in view["stages"])  # prepare+agents+init
    assert view["credits_reserved"] == 0
    result = service.retry_job(settings, job_id, "generation")
    assert result["credits_reserved"] == view["estimate"]["total"] - held
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    assert view["credits_consumed"] == view["estimate"]["total"]
    assert view["provider_calls"]["keyframe:kf_00"] == 1  # the anchor was reused
    assert view["provider_calls"]["script:script"] == 1
    assert_ledger_balances(settings, "local")


@dataclasses.dataclass
class FlakyVoice:
    """A voice provider that fails its first ``failures`` calls, then delegates."""

    inner: object
    failures: int

    def _spend(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise PermanentProviderError("voice quota exhausted (402)", provider="flaky")

    def synthesize(self, text: str, **kwargs: object) -> object:
        self._spend()
        return self.inner.synthesize(text, **kwargs)  # type: ignore[attr-defined]

    def convert(self, source: Path, **kwargs: object) -> object:
        self._spend()
        return self.inner.convert(source, **kwargs)  # type: ignore[attr-defined]


def test_failed_job_retries_from_stage_reusing_earlier_outputs(
    settings: Settings, product_image: Path
) -> None:
    base = registry.build_providers(settings)
    registry.set_override(dataclasses.replace(base, voice=FlakyVoice(base.voice, 1)))  # type: ignore[arg-type]
    start_worker(settings)
    job_id = submit(settings, product_image)
    view = wait(settings, job_id)
    assert view["status"] == "failed"
    assert view["error_stage"] == "audio"
    assert "audio failed" in view["error_message"] and "quota exhausted" in view["error_message"]
    assert stage(view, "audio")["status"] == "failed"
    by_stage = view["estimate"]["by_stage"]
    used = sum(by_stage[s] for s in ("prepare", "agents", "init", "generation", "concat"))
    assert view["credits_consumed"] == used  # failure released what no finished stage used
    calls_before = dict(view["provider_calls"])

    # Retrying from a stage after the failure is refused; from the failed stage works.
    try:
        service.retry_job(settings, job_id, "captions")
        raise AssertionError("retry past the failed stage must be refused")
    except service.JobStateError as err:
        assert "audio has not completed" in str(err)
    result = service.retry_job(settings, job_id, "audio")
    assert result["credits_reserved"] == view["estimate"]["total"] - used
    view = wait(settings, job_id)
    assert view["status"] == "completed", view["error_message"]
    calls = view["provider_calls"]
    for item in ("script:script", "keyframe:kf_00", "keyframe:kf_01", "keyframe:kf_02",
                 "video:seg_00", "video:seg_01"):
        assert calls[item] == calls_before[item] == 1, item
    assert calls["voice_conversion:line_00"] == 1  # the failed attempt was never billed
    assert view["credits_consumed"] == view["estimate"]["total"]
    assert_ledger_balances(settings, "local")


def test_cancel_queued_job_releases_credits(settings: Settings, product_image: Path) -> None:
    job_id = submit(settings, product_image)  # no worker: the job stays queued
    before = view_of(settings, job_id)
    assert before["status"] == "queued" and before["credits_reserved"] > 0
    assert service.cancel_job(settings, job_id)
    view = view_of(settings, job_id)
    assert view["status"] == "cancelled"
    assert view["credits_reserved"] == 0 and view["credits_consumed"] == 0
    with session_scope(settings) as s:
        types = [t.type for t in s.scalars(select(CreditTransaction)
                                           .where(CreditTransaction.job_id == job_id))]
    assert types == ["reserve", "release"]
    assert_ledger_balances(settings, "local")
    try:
        service.cancel_job(settings, job_id)
        raise AssertionError("cancelling twice must be refused")
    except service.JobStateError:
        pass


def test_cancel_running_job_releases_unused_credits(settings: Settings,
                                                    product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, segment_count=3)
    deadline = time.monotonic() + 120
    while service.job_view(settings, job_id).current_stage != "generation":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert service.cancel_job(settings, job_id)
    view = view_of(settings, job_id)
    assert view["status"] == "cancelled"
    finished = {s["stage"] for s in view["stages"] if s["status"] == "completed"}
    assert "generation" not in finished
    assert view["credits_consumed"] == sum(view["estimate"]["by_stage"][s] for s in finished)
    assert view["credits_reserved"] == 0
    # The workflow stops at its next step boundary; nothing moves afterwards.
    time.sleep(2.0)
    after = view_of(settings, job_id)
    assert after["status"] == "cancelled"
    assert after["credits_consumed"] == view["credits_consumed"]
    assert_ledger_balances(settings, "local")
