"""QA judges that add a vision model's opinion to the pixel checks.

A :class:`VisionModel` (OpenAI GPT-6 Luna, Gemini 3.8 Flash) looks at labelled images and
answers a :class:`VisionAssessment`: a score from 0 to 1, the documented fail categories and
reasons. The judges here wrap the pixel judges: the pixel verdict is always computed and its
failures stand; the vision score joins it (the two averaged, capped by every category either
found). Models are tried in order (a fallback after a failure); when none answers, or none is
configured, the pixel checks alone decide and the verdict says so in its reasons.

Which models judge, in which order, is chosen by :mod:`ugen.providers.choice`
(``UGEN_QA_JUDGE``) and the judges are built by :mod:`ugen.providers.registry`: this module
knows the :class:`VisionModel` interface the vendors implement, never a vendor.

Billing: a model's tokens are moved into the judge's own :attr:`usage` ledger under the judged
artifact (the keyframe image, the segment video), so a stage can record them with
``ctx.record_billed("qa", item, judge, artifact)`` like any other vendor call.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ugen.media.errors import FFmpegError
from ugen.media.runner import run_ffmpeg
from ugen.providers.base import ProviderError, UsageLedger
from ugen.qa.base import BELOW_THRESHOLD, KeyframeJudge, QaVerdict, SegmentJudge, combine

log = logging.getLogger(__name__)

FailCategory = Literal["PRODUCT_INTEGRITY", "MODE_VIOLATION", "CRITICAL_DEFECT",
                       "MOTION_ARTIFACT", "TEMPORAL_INCONSISTENCY", "VISUAL_ARTIFACT"]


class VisionAssessment(BaseModel):
    """The structured answer of a vision model."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0.0, le=1.0)
    categories: list[FailCategory]
    reasons: list[str]


class VisionModel(Protocol):
    """One vendor's vision model, asked one question about labelled images."""

    name: str

    def assess(self, images: Sequence[tuple[str, Path]], question: str) -> VisionAssessment:
        """Raises ProviderError when the vendor fails or answers out of schema."""
        ...


RUBRIC = """\
You are the QA reviewer of frames for a UGC video ad. Score from 0 (unusable) to 1 (perfect)
and list every problem with these categories only: PRODUCT_INTEGRITY (the product is missing,
redesigned, wrong colours, garbled label), MODE_VIOLATION (the product is not shown the way the
interaction mode asks), CRITICAL_DEFECT (broken image, extra limbs, deformed face or hands,
nudity, text overlays), MOTION_ARTIFACT (warping, smearing, melting between frames),
TEMPORAL_INCONSISTENCY (the person, outfit, room or product changes between frames),
VISUAL_ARTIFACT (blur, noise, banding, bad exposure). Give one short reason per problem.
Answer only with the JSON object of the schema."""


def keyframe_question(*, interaction_mode: str, has_anchor: bool) -> str:
    ref = ("The 'anchor' image is the first frame of the same video: the person, outfit, room "
           "and lighting must match it. " if has_anchor else "")
    return (f"{RUBRIC}\nJudge the 'keyframe' image. The 'product' image is the real product. "
            f"{ref}Interaction mode: {interaction_mode}.")


def segment_question(frame_count: int) -> str:
    return (f"{RUBRIC}\nJudge a video segment from {frame_count} frames sampled in order. It "
            "must move smoothly from the 'first keyframe' to the 'last keyframe' with the same "
            "person, product and room throughout.")


def join(pixel: QaVerdict, vision: VisionAssessment, *, model: str, qai_mode: str) -> QaVerdict:
    """The pixel verdict with the vision score joined; pixel failures stand."""
    categories = [c for c in pixel.categories if c != BELOW_THRESHOLD] + list(vision.categories)
    reasons = [r for r in pixel.reasons if " below the " not in r]
    reasons += [f"vision ({model}): {r}" for r in vision.reasons]
    checks = {**pixel.checks, "pixels": pixel.score, "vision": vision.score}
    verdict = combine(checks, {"pixels": 1.0, "vision": 1.0}, categories, reasons, qai_mode)
    if pixel.passed:
        return verdict
    score = min(verdict.score, pixel.score)
    cats = list(dict.fromkeys([*verdict.categories, BELOW_THRESHOLD]))
    return QaVerdict(score=score, passed=False, threshold=verdict.threshold,
                     categories=tuple(cats), checks=verdict.checks, reasons=verdict.reasons)


def _ask(models: Sequence[VisionModel], images: Sequence[tuple[str, Path]], question: str,
         *, usage: UsageLedger, artifact: Path) -> tuple[VisionAssessment, str] | tuple[None, str]:
    """The first answer of ``models`` in order; every call's billed usage (failed ones too)
    moved into ``usage`` under ``artifact``."""
    failures: list[str] = []
    for model in models:
        try:
            return model.assess(images, question), model.name
        except ProviderError as err:
            log.warning("vision QA by %s failed: %s", model.name, err)
            failures.append(f"{model.name}: {err}")
        finally:
            ledger = getattr(model, "usage", None)
            if isinstance(ledger, UsageLedger) and images:
                for found in ledger.take(images[0][1]):  # models bill under the first image
                    usage.add(artifact, found)
    return None, "; ".join(failures) or "no vision model configured"


def _pixel_only(pixel: QaVerdict, why: str) -> QaVerdict:
    return QaVerdict(score=pixel.score, passed=pixel.passed, threshold=pixel.threshold,
                     categories=pixel.categories, checks=pixel.checks,
                     reasons=(*pixel.reasons, f"vision: not used ({why}); pixel checks only"))


class VisionKeyframeJudge:
    """A :class:`~ugen.qa.base.KeyframeJudge`: the pixel judge, then the vision models."""

    def __init__(self, pixel: KeyframeJudge, models: Sequence[VisionModel]) -> None:
        self.pixel = pixel
        self.models = tuple(models)
        self.usage = UsageLedger()

    def judge_keyframe(self, image: Path, *, anchor: Path | None, product: Path, width: int,
                       height: int, interaction_mode: str, qai_mode: str) -> QaVerdict:
        pixel = self.pixel.judge_keyframe(image, anchor=anchor, product=product, width=width,
                                          height=height, interaction_mode=interaction_mode,
                                          qai_mode=qai_mode)
        images = [("keyframe", image), ("product", product)]
        if anchor is not None:
            images.append(("anchor", anchor))
        question = keyframe_question(interaction_mode=interaction_mode,
                                     has_anchor=anchor is not None)
        vision, name = _ask(self.models, images, question, usage=self.usage, artifact=image)
        if vision is None:
            return _pixel_only(pixel, name)
        return join(pixel, vision, model=name, qai_mode=qai_mode)


def sample_frames_args(video: Path, out_pattern: Path, *, duration_s: float,
                       count: int) -> list[str]:
    """ffmpeg arguments: ``count`` frames evenly inside the video, as PNGs (long side 512)."""
    fps = count / max(duration_s, 0.1)
    return ["-i", str(video), "-vf", f"fps={fps:.6f},scale='min(512,iw)':-2",
            "-frames:v", str(count), str(out_pattern)]


class VisionSegmentJudge:
    """A :class:`~ugen.qa.base.SegmentJudge`: the pixel judge, then a few sampled frames."""

    def __init__(self, pixel: SegmentJudge, models: Sequence[VisionModel], *,
                 frames: int = 4) -> None:
        self.pixel = pixel
        self.models = tuple(models)
        self.frames = frames
        self.usage = UsageLedger()

    def judge_segment(self, video: Path, *, first_keyframe: Path, last_keyframe: Path, fps: int,
                      duration_s: float, qai_mode: str) -> QaVerdict:
        pixel = self.pixel.judge_segment(video, first_keyframe=first_keyframe,
                                         last_keyframe=last_keyframe, fps=fps,
                                         duration_s=duration_s, qai_mode=qai_mode)
        if not self.models:
            return _pixel_only(pixel, "no vision model configured")
        with tempfile.TemporaryDirectory(prefix="ugen-qa-") as tmp:
            try:
                run_ffmpeg(sample_frames_args(video, Path(tmp) / "f%02d.png",
                                              duration_s=duration_s, count=self.frames),
                           timeout=120)
            except FFmpegError as err:
                return _pixel_only(pixel, f"frames could not be sampled: {err}")
            frames = sorted(Path(tmp).glob("f*.png"))
            images = [("first keyframe", first_keyframe),
                      *((f"frame {i + 1}", f) for i, f in enumerate(frames)),
                      ("last keyframe", last_keyframe)]
            vision, name = _ask(self.models, images, segment_question(len(frames)),
                                usage=self.usage, artifact=video)
        if vision is None:
            return _pixel_only(pixel, name)
        return join(pixel, vision, model=name, qai_mode=qai_mode)
