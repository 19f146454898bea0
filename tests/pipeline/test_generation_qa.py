"""QA inside generation: a rejected item is made again with a new seed; past the allowed
retries the stage fails naming the item and its categories, and unused credits go back."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from tests.core.test_credits import assert_ledger_balances
from tests.utils.jobs import output, submit, wait
from ugen.core.config import Settings
from ugen.pipeline.outputs import GenerationOutput
from ugen.pipeline.worker import start_worker
from ugen.providers import registry
from ugen.qa import QaVerdict


@dataclasses.dataclass
class RejectingJudge:
    """Delegates to the real judge, but rejects the first ``times`` looks at items whose
    file name contains ``target``."""

    inner: Any
    target: str
    times: int
    seen: int = 0

    def _maybe_reject(self, path: Path, verdict: QaVerdict) -> QaVerdict:
        if self.target in path.name and self.seen < self.times:
            self.seen += 1
            return dataclasses.replace(verdict, score=0.2, passed=False,
                                       categories=("MOTION_ARTIFACT", "BELOW_THRESHOLD"),
                                       reasons=("motion: warped hand (test)",))
        return verdict

    def judge_keyframe(self, image: Path, **kwargs: Any) -> QaVerdict:
        return self._maybe_reject(image, self.inner.judge_keyframe(image, **kwargs))

    def judge_segment(self, video: Path, **kwargs: Any) -> QaVerdict:
        return self._maybe_reject(video, self.inner.judge_segment(video, **kwargs))


def test_rejected_keyframe_is_regenerated_then_passes(settings: Settings,
                                                      product_image: Path) -> None:
    base = registry.build_providers(settings)
    judge = RejectingJudge(base.keyframe_judge, "kf_02", times=1)
    registry.set_override(dataclasses.replace(base, keyframe_judge=judge))
    start_worker(settings)
    job_id = submit(settings, product_image, stop_at_stage="generation")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    keyframes = {k.item: k for k in output(settings, job_id, GenerationOutput).keyframes}
    assert keyframes["kf_02"].attempts == 2 and keyframes["kf_02"].qa.passed
    assert keyframes["kf_01"].attempts == 1
    assert view["provider_calls"]["keyframe:kf_02"] == 2
    assert view["provider_calls"]["keyframe:kf_01"] == 1


def test_segment_failing_qa_past_retries_fails_stage(settings: Settings,
                                                     product_image: Path) -> None:
    base = registry.build_providers(settings)
    judge = RejectingJudge(base.segment_judge, "seg_01", times=10)
    registry.set_override(dataclasses.replace(base, segment_judge=judge))
    start_worker(settings)
    job_id = submit(settings, product_image, max_retries_video=1)
    view = wait(settings, job_id)
    assert view["status"] == "failed"
    assert view["error_stage"] == "generation"
    message = view["error_message"]
    assert message.startswith("generation failed: segment 1: failed QA after 2 attempt(s)")
    assert "MOTION_ARTIFACT" in message and "warped hand" in message
    assert view["provider_calls"]["video:seg_01"] == 2
    by_stage = view["estimate"]["by_stage"]
    assert view["credits_consumed"] == by_stage["prepare"] + by_stage["agents"] + by_stage["init"]
    assert view["credits_reserved"] == 0
    assert_ledger_balances(settings, "local")
