"""What the job page's stage panels show, computed from the typed stage records.

Templates stay loops and conditions: the names of items and error categories, each item's
attempts, and the streaming-overlap timeline of ``generation`` (keyframes and segments
drawn from their start and finish times) are made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ugen.pipeline.outputs import GenerationOutput, ItemRecord
from ugen.views import AttemptPublic

TRACK = 1000
"""Width of a timeline track in its SVG's own units."""

ERROR_LABELS = {
    "QA_REJECTED": "Failed the quality checks",
    "CONTENT_POLICY": "Refused by the provider's content policy",
    "PROVIDER_ERROR": "The provider could not make it",
    "PROVIDER_UNAVAILABLE": "The provider was unavailable",
    "MEDIA_ERROR": "Video or audio processing failed",
    "CANCELLED": "Cancelled",
    "INTERNAL": "Unexpected error",
}

LANGUAGE_SOURCES = {
    "requested": "as requested",
    "default": "the default",
    "detected": "detected from the product's text",
    "fallback": "the default (the text's language was not certain)",
}

SPEECH_SOURCES = {
    "segment": "the segment's own speech, in the selected voice",
    "synthesis": "spoken by the selected voice",
}


def error_label(category: str) -> str:
    return ERROR_LABELS.get(category, category)


def item_label(item: str) -> str:
    """``Keyframe 0 (anchor)`` for ``kf_00``, ``Segment 2`` for ``seg_02`` (the numbering of
    the API and of error messages)."""
    kind, _, number = item.partition("_")
    if not number.isdigit():
        return item
    index = int(number)
    if kind == "kf":
        return "Keyframe 0 (anchor)" if index == 0 else f"Keyframe {index}"
    if kind == "seg":
        return f"Segment {index}"
    return item


def attempts_by_item(attempts: Iterable[AttemptPublic]) -> dict[str, list[AttemptPublic]]:
    """Each item's attempts (every run's), in the order they were judged."""
    found: dict[str, list[AttemptPublic]] = {}
    for attempt in attempts:
        found.setdefault(attempt.item, []).append(attempt)
    return found


def latest_attempts(attempts: Sequence[AttemptPublic], prefix: str) -> list[AttemptPublic]:
    """The latest attempt at each item named ``prefix...`` (what a running stage has made so
    far), in item order."""
    latest = {a.item: a for a in attempts if a.item.startswith(prefix)}
    return [latest[item] for item in sorted(latest)]


@dataclass(frozen=True)
class Bar:
    """One keyframe or segment on the timeline: where its bar starts and how wide it is, in
    track units, and its times in seconds from the first start."""

    item: str
    label: str
    kind: Literal["keyframe", "segment"]
    x: float
    width: float
    start_s: float
    duration_s: float


@dataclass(frozen=True)
class Timeline:
    bars: tuple[Bar, ...]
    span_s: float
    """From the first start to the last finish."""
    overlap_s: float
    """How long keyframes and segments were being made at the same time."""
    first_segment_s: float | None
    """When the first segment started."""
    last_keyframe_s: float | None
    """When the last keyframe was accepted."""


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap_s(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> float:
    """How long both sets of spans cover at once."""
    total = 0.0
    for a0, a1 in _union(first):
        for b0, b1 in _union(second):
            total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


def _timed(records: Iterable[ItemRecord]) -> list[tuple[ItemRecord, datetime, datetime]]:
    return [(r, r.started_at, r.finished_at) for r in records
            if r.started_at is not None and r.finished_at is not None]


def timeline(output: GenerationOutput) -> Timeline | None:
    """The keyframes and segments of ``generation`` on one time axis (those reused from an
    earlier run, which were not made in this one, are left out); None when none was timed."""
    keyframes = _timed(output.keyframes)
    segments = _timed(output.segments)
    timed = keyframes + segments
    if not timed:
        return None
    origin = min(start for _, start, _ in timed)
    span = max((end - origin).total_seconds() for _, _, end in timed) or 1e-9

    def seconds(moment: datetime) -> float:
        return (moment - origin).total_seconds()

    bars = []
    for kind, rows in (("keyframe", keyframes), ("segment", segments)):
        for record, start, end in rows:
            start_s, end_s = seconds(start), seconds(end)
            bars.append(Bar(item=record.item, label=item_label(record.item),
                            kind=kind,  # type: ignore[arg-type]
                            x=round(start_s / span * TRACK, 1),
                            width=round(max((end_s - start_s) / span * TRACK, 4.0), 1),
                            start_s=start_s, duration_s=end_s - start_s))
    kf_spans = [(seconds(s), seconds(e)) for _, s, e in keyframes]
    seg_spans = [(seconds(s), seconds(e)) for _, s, e in segments]
    return Timeline(bars=tuple(bars), span_s=span, overlap_s=overlap_s(kf_spans, seg_spans),
                    first_segment_s=min((s for s, _ in seg_spans), default=None),
                    last_keyframe_s=max((e for _, e in kf_spans), default=None))
