"""The eight stages in the product's words, as the dashboard names and explains them."""

from __future__ import annotations

from dataclasses import dataclass

from ugen.core.types import STAGES, StageName


@dataclass(frozen=True)
class StageInfo:
    stage: StageName
    number: int
    label: str
    summary: str


STAGE_INFO: tuple[StageInfo, ...] = tuple(
    StageInfo(stage, number, label, summary)
    for number, (stage, (label, summary)) in enumerate(zip(STAGES, (
        ("Prepare",
         "Validates inputs, reserves credits, and creates the job record."),
        ("AI Agents",
         "AI agents generate the video script and plan keyframe prompts."),
        ("Initialize",
         "Generates the anchor keyframe — the visual foundation for the entire video."),
        ("Generation",
         "Generates all video segments from keyframe pairs, with streaming overlap."),
        ("Concatenate",
         "Stitches all video segments into a single continuous video."),
        ("Audio + Music",
         "Applies voice-over and mixes background music."),
        ("Captions",
         "Generates word-level synchronized captions."),
        ("Complete",
         "Final render, upload, and delivery."),
    ), strict=True))
)
assert tuple(info.stage for info in STAGE_INFO) == STAGES

_LABELS: dict[str, str] = {info.stage: info.label for info in STAGE_INFO}

_STATUS_LABELS = {
    "queued": "Queued", "running": "Running", "awaiting_review": "Awaiting review",
    "completed": "Completed", "failed": "Failed",
    "cancelled": "Cancelled", "stopped": "Stopped", "pending": "Waiting", "skipped": "Skipped",
}


def stage_label(stage: str | None) -> str:
    """``AI Agents`` for ``agents``; an unknown name as it is."""
    return _LABELS.get(stage or "", stage or "—")


def status_label(status: str | None) -> str:
    return _STATUS_LABELS.get(status or "", status or "—")
