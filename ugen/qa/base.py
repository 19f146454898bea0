"""The QA verdict and the judge interfaces that pixel checks and vision models implement.

A judge scores one keyframe or one segment from 0 to 1 and names what is wrong with the
documented fail categories. ``passed`` is ``score >= threshold`` where the threshold comes
from the job's ``qai_mode`` (:data:`QAI_THRESHOLDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

PRODUCT_INTEGRITY = "PRODUCT_INTEGRITY"
MODE_VIOLATION = "MODE_VIOLATION"
CRITICAL_DEFECT = "CRITICAL_DEFECT"
MOTION_ARTIFACT = "MOTION_ARTIFACT"
TEMPORAL_INCONSISTENCY = "TEMPORAL_INCONSISTENCY"
VISUAL_ARTIFACT = "VISUAL_ARTIFACT"
BELOW_THRESHOLD = "BELOW_THRESHOLD"

FAIL_CATEGORIES: tuple[str, ...] = (
    PRODUCT_INTEGRITY,
    MODE_VIOLATION,
    CRITICAL_DEFECT,
    MOTION_ARTIFACT,
    TEMPORAL_INCONSISTENCY,
    VISUAL_ARTIFACT,
    BELOW_THRESHOLD,
)

QAI_THRESHOLDS: dict[str, float] = {"lenient": 0.55, "standard": 0.70, "strict": 0.80}

# The highest score a verdict may keep when it carries the category: high severity fails
# every mode, medium fails every mode, low (slight blur) passes only ``lenient``.
SEVERITY_CAPS: dict[str, float] = {
    PRODUCT_INTEGRITY: 0.30,
    MODE_VIOLATION: 0.30,
    CRITICAL_DEFECT: 0.30,
    MOTION_ARTIFACT: 0.50,
    TEMPORAL_INCONSISTENCY: 0.50,
    VISUAL_ARTIFACT: 0.65,
}


def threshold_for(qai_mode: str) -> float:
    """The pass threshold of a ``qai_mode``.

    Raises:
        ValueError: the mode is not one of :data:`QAI_THRESHOLDS`.
    """
    try:
        return QAI_THRESHOLDS[qai_mode]
    except KeyError:
        raise ValueError(f"unknown qai_mode {qai_mode!r}") from None


@dataclass(frozen=True)
class QaVerdict:
    """What a judge decided about one keyframe or one segment."""

    score: float
    passed: bool
    threshold: float
    categories: tuple[str, ...] = ()
    checks: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for storage and the API)."""
        return {
            "score": self.score,
            "passed": self.passed,
            "threshold": self.threshold,
            "categories": list(self.categories),
            "checks": dict(self.checks),
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QaVerdict:
        """Read back what :meth:`to_dict` wrote."""
        return cls(
            score=float(data["score"]),
            passed=bool(data["passed"]),
            threshold=float(data["threshold"]),
            categories=tuple(str(c) for c in data.get("categories", ())),
            checks={str(k): float(v) for k, v in dict(data.get("checks", {})).items()},
            reasons=tuple(str(r) for r in data.get("reasons", ())),
        )


@dataclass
class Findings:
    """What the checks of one judgement found so far; :meth:`verdict` turns it into a verdict."""

    checks: dict[str, float] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def record(self, name: str, score: float, reason: str, *, category: str | None = None,
               fail_below: float = 0.5) -> None:
        """Keep a sub-score; below ``fail_below`` it adds ``category`` and the reason."""
        self.checks[name] = score
        if score < fail_below:
            if category is not None:
                self.categories.append(category)
            self.reasons.append(f"{name}: {reason}")

    def fail(self, name: str, category: str, reason: str) -> None:
        """A check that failed outright (score 0)."""
        self.record(name, 0.0, reason, category=category)

    def verdict(self, weights: Mapping[str, float], qai_mode: str) -> QaVerdict:
        """Combine into a verdict (see :func:`combine`)."""
        return combine(self.checks, weights, self.categories, self.reasons, qai_mode)


def combine(
    checks: Mapping[str, float],
    weights: Mapping[str, float],
    categories: list[str],
    reasons: list[str],
    qai_mode: str,
) -> QaVerdict:
    """Weight the sub-scores, cap by the worst category, and compare with the threshold.

    Checks absent from ``weights`` are reported but do not count in the score.
    """
    threshold = threshold_for(qai_mode)
    total = sum(weights[k] for k in checks if k in weights)
    score = sum(checks[k] * weights[k] for k in checks if k in weights) / (total or 1.0)
    for category in categories:
        score = min(score, SEVERITY_CAPS.get(category, 1.0))
    score = round(max(0.0, min(1.0, score)), 4)
    cats = list(dict.fromkeys(categories))
    if score < threshold:
        cats.append(BELOW_THRESHOLD)
        reasons = [*reasons, f"score {score:.2f} below the {qai_mode} threshold {threshold:.2f}"]
    return QaVerdict(
        score=score,
        passed=score >= threshold,
        threshold=threshold,
        categories=tuple(cats),
        checks={k: round(float(v), 4) for k, v in checks.items()},
        reasons=tuple(reasons),
    )


@runtime_checkable
class KeyframeJudge(Protocol):
    """Judges one generated keyframe (PNG)."""

    def judge_keyframe(
        self,
        image: Path,
        *,
        anchor: Path | None,
        product: Path,
        width: int,
        height: int,
        interaction_mode: str,
        qai_mode: str,
    ) -> QaVerdict: ...


@runtime_checkable
class SegmentJudge(Protocol):
    """Judges one generated video segment (MP4) between two keyframes."""

    def judge_segment(
        self,
        video: Path,
        *,
        first_keyframe: Path,
        last_keyframe: Path,
        fps: int,
        duration_s: float,
        qai_mode: str,
    ) -> QaVerdict: ...
