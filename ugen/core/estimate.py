"""Credit estimate of a job: one line per documented cost component, each owned by a stage.

The stage that spends a component is what lets failure and retry move exactly the right
credits: a failure releases what no finished stage used, and a retry reserves again only for
the restart stage onward.
"""

from __future__ import annotations

from dataclasses import dataclass

from ugen import catalog
from ugen.core.config import get_settings
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES, StageName, stage_index


@dataclass(frozen=True)
class CostLine:
    component: str
    stage: StageName
    quantity: float
    unit: str
    unit_credits: int
    credits: int
    note: str = ""


@dataclass(frozen=True)
class Estimate:
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> int:
        return sum(line.credits for line in self.lines)

    def from_stage(self, stage: StageName) -> int:
        """Credits of the components spent at ``stage`` or later."""
        start = stage_index(stage)
        return sum(line.credits for line in self.lines if stage_index(line.stage) >= start)

    def by_stage(self) -> dict[str, int]:
        totals: dict[str, int] = {s: 0 for s in STAGES}
        for line in self.lines:
            totals[line.stage] += line.credits
        return totals

    def to_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "components": [dict(vars(line)) for line in self.lines],  # flat: no asdict
            "by_stage": self.by_stage(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Estimate:
        raw = data.get("components", [])
        assert isinstance(raw, list)
        return cls(tuple(CostLine(**item) for item in raw))


def current_pricing() -> catalog.Pricing:
    """The credit prices in force: the catalog's, or the settings' ``pricing_file``."""
    return catalog.pricing(get_settings().pricing_file)


def estimate(options: JobOptions) -> Estimate:
    """Price a job from the prices in force (:func:`current_pricing`)."""
    prices = current_pricing()
    model = options.model
    n = options.segment_count
    seconds = n * options.effective_segment_duration
    keyframe_price = {
        "1k": prices.keyframe_1k, "2k": prices.keyframe_2k, "4k": prices.keyframe_4k
    }[options.keyframe_resolution]

    if model.pricing_unit == "second":
        video = CostLine("video_model", "generation", seconds, "second",
                         model.credits_per_unit, seconds * model.credits_per_unit, model.id)
    else:
        video = CostLine("video_model", "generation", n, "segment",
                         model.credits_per_unit, n * model.credits_per_unit, model.id)
    lines = [
        CostLine("keyframes", "init", 1, "keyframe", keyframe_price, keyframe_price,
                 f"anchor keyframe, {options.keyframe_resolution}"),
        CostLine("keyframes", "generation", n, "keyframe", keyframe_price, n * keyframe_price,
                 f"{n} keyframes after the anchor, {options.keyframe_resolution}"),
        video,
    ]
    retries = options.max_retries_keyframe + options.max_retries_video
    if retries:
        base = video.credits + (n + 1) * keyframe_price
        buffer = -(-base * prices.qa_retry_buffer_percent * retries // 100)
        lines.append(CostLine("qa_retry_buffer", "generation", retries, "retry", 0, buffer,
                              f"{prices.qa_retry_buffer_percent}% per allowed retry"))
    custom_voice = options.voice_settings is not None and options.voice_settings.voice_id
    voice_price = prices.custom_voice_override if custom_voice else prices.voice_over
    lines.append(CostLine("voice_over", "audio", 1, "job", voice_price, voice_price))
    if options.music_enabled:
        lines.append(CostLine("music", "audio", 1, "job", prices.music, prices.music,
                              options.music_mood))
    if options.captions_enabled and options.custom_caption_options is not None:
        lines.append(CostLine("custom_captions", "captions", 1, "job", prices.custom_captions,
                              prices.custom_captions))
    lines.append(CostLine("post_processing", "complete", 1, "job", prices.post_processing,
                          prices.post_processing, "concat, audio mix, caption burn-in"))
    return Estimate(tuple(lines))


def expected_usage(options: JobOptions) -> dict[str, tuple[float, str]]:
    """Billable units a job is expected to use per capability, when nothing is retried.

    The actual units are recorded per provider call; comparing both shows what retries,
    regenerations and resubmissions cost.
    """
    n = options.segment_count
    seconds = float(n * options.effective_segment_duration)
    usage: dict[str, tuple[float, str]] = {
        "script": (1.0, "call"),
        "keyframe": (float(n + 1), "image"),
        "video": (seconds, "second"),
    }
    if options.music_enabled:
        usage["music"] = (seconds, "second")
    return usage
