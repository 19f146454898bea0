"""The verdict, the thresholds per qai_mode and the judge interfaces."""

from __future__ import annotations

import pytest

from ugen.qa import (
    FAIL_CATEGORIES,
    QAI_THRESHOLDS,
    KeyframeJudge,
    PixelKeyframeJudge,
    PixelSegmentJudge,
    QaVerdict,
    SegmentJudge,
    threshold_for,
)
from ugen.qa.base import combine


def test_roundtrip_verdict_through_dict() -> None:
    verdict = QaVerdict(score=0.42, passed=False, threshold=0.7,
                        categories=("VISUAL_ARTIFACT", "BELOW_THRESHOLD"),
                        checks={"sharpness": 0.1, "size": 1.0}, reasons=("blurry",))
    assert QaVerdict.from_dict(verdict.to_dict()) == verdict


def test_read_thresholds_per_mode_as_documented() -> None:
    assert QAI_THRESHOLDS == {"lenient": 0.55, "standard": 0.70, "strict": 0.80}
    assert threshold_for("strict") == 0.80


def test_reject_qai_mode_when_unknown() -> None:
    with pytest.raises(ValueError, match="qai_mode"):
        threshold_for("relaxed")


def test_cap_score_when_category_is_severe() -> None:
    checks = {"a": 1.0, "b": 1.0, "c": 0.0}
    weights = {"a": 1.0, "b": 1.0, "c": 1.0}
    verdict = combine(checks, weights, ["PRODUCT_INTEGRITY"], ["gone"], "lenient")
    assert verdict.score == 0.30
    assert not verdict.passed
    assert verdict.categories == ("PRODUCT_INTEGRITY", "BELOW_THRESHOLD")
    assert set(verdict.categories) <= set(FAIL_CATEGORIES)


def test_pass_score_when_low_severity_in_lenient_mode() -> None:
    checks = {"a": 1.0, "b": 0.2}
    weights = {"a": 0.9, "b": 0.1}
    lenient = combine(checks, weights, ["VISUAL_ARTIFACT"], [], "lenient")
    strict = combine(checks, weights, ["VISUAL_ARTIFACT"], [], "strict")
    assert (lenient.passed, strict.passed) == (True, False)
    assert "BELOW_THRESHOLD" in strict.categories


def test_satisfy_protocols_with_pixel_judges() -> None:
    assert isinstance(PixelKeyframeJudge(), KeyframeJudge)
    assert isinstance(PixelSegmentJudge(), SegmentJudge)
