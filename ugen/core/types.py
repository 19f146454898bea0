"""Shared names of the product: stages, statuses and other enumerations used everywhere."""

from __future__ import annotations

from typing import Literal, get_args

StageName = Literal[
    "prepare", "agents", "init", "generation", "concat", "audio", "captions", "complete"
]
STAGES: tuple[StageName, ...] = get_args(StageName)

JobStatus = Literal["queued", "running", "awaiting_review", "completed", "failed", "cancelled",
                    "stopped"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled", "stopped"})

StageStatus = Literal["pending", "running", "completed", "failed", "skipped", "cancelled"]

AspectRatio = Literal["9:16", "16:9", "1:1", "auto"]
QaiMode = Literal["lenient", "standard", "strict"]
TransactionType = Literal["purchase", "reserve", "consume", "release", "refund", "bonus"]

# Share of progress_percent each stage carries; generation dominates wall time.
STAGE_WEIGHTS: dict[StageName, int] = {
    "prepare": 2,
    "agents": 4,
    "init": 8,
    "generation": 56,
    "concat": 6,
    "audio": 8,
    "captions": 4,
    "complete": 12,
}


def stage_index(stage: str) -> int:
    """Position of a stage in the pipeline; raises ValueError for an unknown name."""
    return STAGES.index(stage)  # type: ignore[arg-type,unused-ignore]


def progress_at_stage_start(stage: StageName) -> int:
    """progress_percent when ``stage`` begins."""
    return sum(STAGE_WEIGHTS[s] for s in STAGES[: stage_index(stage)])
