"""What each stage made, as typed values: the contract between stages and with every client.

Each stage's step returns one frozen model of this module; it is stored with the stage's
record (as JSON) and read back by later stages, the job view and ``/jobs/{job_id}/stages``
through :func:`parse_output`, which also reads the shapes stored by earlier versions.
Artifacts are named by :data:`ArtifactKey`, never by bare strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    WrapSerializer,
    computed_field,
)

from ugen.core.types import StageName
from ugen.media.concat import ConcatPlan, SegmentPlan
from ugen.media.loudness import Loudness
from ugen.providers.base import KeyframeShot, Script, ScriptLine, WordTiming
from ugen.qa.base import QaVerdict
from ugen.store.artifacts import ArtifactKey


class MediaLink(BaseModel):
    """An artifact as clients get it: its key and an expiring signed URL to download it."""

    model_config = ConfigDict(frozen=True)

    key: str
    url: str


SIGN_ARTIFACT = "sign_artifact"
"""Serialisation context key: a function from an artifact key to its signed URL. With it,
every artifact of an output is written as a :class:`MediaLink`; without it, as its key."""


def _artifact(value: str, handler: SerializerFunctionWrapHandler,
              info: SerializationInfo) -> str | MediaLink:
    sign = (info.context or {}).get(SIGN_ARTIFACT)
    return MediaLink(key=value, url=sign(value)) if sign is not None else value


Artifact = Annotated[ArtifactKey, WrapSerializer(_artifact, when_used="always")]
"""An artifact key in an output model."""


class StageOutput(BaseModel):
    """The output of one stage (subclasses name theirs with ``stage``). Figures derived from
    the fields are serialised with them for clients, and ignored when read back."""

    # Every field is always written: generated clients see them all as required.
    model_config = ConfigDict(frozen=True, extra="ignore",
                              json_schema_serialization_defaults_required=True)
    stage: ClassVar[StageName]
    output_version: Literal[2] = 2
    """Stored with the output; records without it are of the untyped shapes before it."""


class ImageInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str
    width: int
    height: int
    has_alpha: bool


class PrepareOutput(StageOutput):
    stage: ClassVar[StageName] = "prepare"

    product_image: Artifact
    image: ImageInfo
    estimate_total: int


class LanguageChoice(BaseModel):
    """How the script's language was chosen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["requested", "default", "detected", "fallback"]
    detected: str | None = None
    confidence: float | None = None
    certain: bool | None = None


class AgentsOutput(StageOutput):
    stage: ClassVar[StageName] = "agents"

    script_file: Artifact
    script: Script
    """The lines (with their timing targets), the keyframe plan and the motion prompts."""
    language_choice: LanguageChoice

    @property
    def language(self) -> str:
        return self.script.language


class ItemRecord(BaseModel):
    """One keyframe or segment as the stage kept it: its artifact, the verdict that let it
    through, how many attempts this run made (0 when an earlier run's was reused) and when
    it was started and accepted (the streaming overlap drawn from them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str
    """``kf_00`` (the anchor), ``kf_01``..., ``seg_00``..."""
    index: int
    artifact: Artifact
    qa: QaVerdict
    attempts: int
    reused: bool = False
    started_at: datetime | None = None
    finished_at: datetime | None = None


class SegmentRecord(ItemRecord):
    ends: Artifact | None = None
    """The segment's first and last frames, read for ``concat`` as it was accepted."""


class InitOutput(StageOutput):
    stage: ClassVar[StageName] = "init"

    anchor: ItemRecord


class GenerationOutput(StageOutput):
    stage: ClassVar[StageName] = "generation"

    keyframes: tuple[ItemRecord, ...]
    """Keyframes 1..N (the anchor is ``init``'s)."""
    segments: tuple[SegmentRecord, ...]

    def keyframe_keys(self, anchor: ArtifactKey) -> list[ArtifactKey]:
        return [anchor, *(k.artifact for k in self.keyframes)]

    @property
    def segment_keys(self) -> list[ArtifactKey]:
        return [s.artifact for s in self.segments]


class SegmentJoin(BaseModel):
    """What the final render takes from one segment (see :class:`ugen.media.concat.SegmentPlan`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    artifact: Artifact
    has_audio: bool
    skip_frames: int
    skip_s: float
    out_frames: int
    blend_frames: int = 0
    pix_fmt: str | None = None
    color_space: str | None = None
    stream: str | None = None


class JoinPlan(BaseModel):
    """How the segments join: trimmed boundary frames and crossfaded joins."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    segments: tuple[SegmentJoin, ...]
    width: int
    height: int
    fps: int
    dropped_boundary_frames: tuple[int, ...]

    @classmethod
    def of(cls, plan: ConcatPlan, keys: list[ArtifactKey]) -> JoinPlan:
        joins = [SegmentJoin(artifact=key, has_audio=seg.has_audio, skip_frames=seg.skip_frames,
                             skip_s=seg.skip_s, out_frames=seg.out_frames,
                             blend_frames=seg.blend_frames, pix_fmt=seg.pix_fmt,
                             color_space=seg.color_space, stream=seg.stream)
                 for seg, key in zip(plan.segments, keys, strict=True)]
        return cls(segments=tuple(joins), width=plan.width, height=plan.height, fps=plan.fps,
                   dropped_boundary_frames=plan.dropped_boundary_frames)

    def concat_plan(self, paths: list[Path]) -> ConcatPlan:
        """The media layer's plan, with each segment at its local path."""
        segments = tuple(
            SegmentPlan(path=path, has_audio=j.has_audio, skip_frames=j.skip_frames,
                        skip_s=j.skip_s, out_frames=j.out_frames, blend_frames=j.blend_frames,
                        pix_fmt=j.pix_fmt, color_space=j.color_space, stream=j.stream)
            for j, path in zip(self.segments, paths, strict=True))
        return ConcatPlan(segments=segments, width=self.width, height=self.height, fps=self.fps,
                          dropped_boundary_frames=self.dropped_boundary_frames)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def frame_count(self) -> int:
        return sum(j.out_frames for j in self.segments)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    @computed_field  # type: ignore[prop-decorator]
    @property
    def segment_offsets_s(self) -> tuple[float, ...]:
        offsets, frames = [], 0
        for j in self.segments:
            offsets.append(frames / self.fps)
            frames += j.out_frames
        return tuple(offsets)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def transition_frames(self) -> tuple[int, ...]:
        return tuple(j.blend_frames for j in self.segments[1:])


class ConcatOutput(StageOutput):
    stage: ClassVar[StageName] = "concat"

    plan: JoinPlan
    audio: Artifact
    """The segments' own sound joined on the plan's timeline."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_s(self) -> float:
        return self.plan.duration_s


SpeechSource = Literal["segment", "synthesis"]


class AudioOutput(StageOutput):
    stage: ClassVar[StageName] = "audio"

    voice: Artifact
    mix: Artifact
    words_file: Artifact
    speech_sources: tuple[SpeechSource, ...]
    """Per line: the segment's own speech converted, or the line spoken by the voice."""
    words: tuple[WordTiming, ...] = ()
    """Rough word timings on the video timeline (the captions' fallback)."""
    mix_loudness: Loudness | None = None


class CaptionsOutput(StageOutput):
    stage: ClassVar[StageName] = "captions"

    subtitles: Artifact | None
    """The ``.ass`` file; None when captions are off."""
    language: str | None = None
    alignment: str | None = None
    """How the words were timed (``pocketsphinx``, ``speech-activity``, a vendor's, or
    ``voice-track`` when the aligner failed)."""
    words: tuple[WordTiming, ...] = ()


class ContentCredentials(BaseModel):
    """The signed C2PA manifest the final video carries (``ugen.media.provenance``), as it
    read back when the video was made."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    standard: Literal["c2pa"] = "c2pa"
    manifest: str
    """The active manifest's label (``urn:c2pa:...``)."""
    claim_generator: str | None
    digital_source_type: str | None
    """``http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia``."""
    signer: str | None
    signed_with: Literal["operator", "installation"]
    """The operator's certificate (``UGEN_C2PA_CERT_FILE``) or the installation's own."""
    validation_state: Literal["Invalid", "Valid", "Trusted"]
    untrusted_signer: bool
    """Readers without the signer's CA among their trust anchors (every reader, for an
    installation certificate) show the signer as untrusted."""


class CompleteOutput(StageOutput):
    stage: ClassVar[StageName] = "complete"

    final_video: Artifact
    thumbnail: Artifact
    duration_s: float
    size_bytes: int
    content_credentials: ContentCredentials | None = None
    """None for a video made before final videos were signed."""


OUTPUT_MODELS: dict[StageName, type[StageOutput]] = {
    model.stage: model for model in (PrepareOutput, AgentsOutput, InitOutput,
                                     GenerationOutput, ConcatOutput, AudioOutput,
                                     CaptionsOutput, CompleteOutput)
}

OutputT = TypeVar("OutputT", bound=StageOutput)


class LegacyOutputError(ValueError):
    """A stage record stored by an older version that this version cannot read as typed."""


def parse_output(model: type[OutputT], data: dict[str, Any], *,
                 threshold: float | None = None,
                 path_of: Callable[[str], Path] | None = None) -> OutputT:
    """A stage's stored output as its typed model; older stored shapes are read too.

    Args:
        threshold: the job's QA threshold, for verdicts stored without theirs.
        path_of: where an artifact is on disk, for outputs stored before the script and the
            word timings were kept in the record (read from their files).

    Raises:
        LegacyOutputError: an old shape with nothing this version can use (retry that stage).
    """
    if _is_current(model, data):
        return model.model_validate(data)
    return model.model_validate(_upgrade(model.stage, data, threshold, path_of))


def save_script(script: Script, path: Path) -> None:
    path.write_text(json.dumps(asdict(script), ensure_ascii=False, indent=2), encoding="utf-8")


def load_script(path: Path) -> Script:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Script(
        lines=tuple(ScriptLine(**line) for line in data["lines"]),
        keyframes=tuple(KeyframeShot(**shot) for shot in data["keyframes"]),
        language=data["language"],
        segment_prompts=tuple(data["segment_prompts"]),
    )


def _is_current(model: type[StageOutput], data: dict[str, Any]) -> bool:
    return data.get("output_version") == 2


def _verdict(data: dict[str, Any], threshold: float | None) -> dict[str, Any]:
    return {"score": data["score"], "passed": data["passed"],
            "threshold": data.get("threshold", threshold if threshold is not None else 0.0),
            "categories": list(data.get("categories", ())), "checks": data.get("checks", {}),
            "reasons": list(data.get("reasons", ()))}


def _upgrade(stage: StageName, data: dict[str, Any], threshold: float | None,
             path_of: Callable[[str], Path] | None) -> dict[str, Any]:
    """The shapes stored before outputs were typed (plain dicts of keys)."""
    if stage in ("agents", "audio") and path_of is None:
        raise LegacyOutputError(f"{stage}: an old output whose content is only in its files")
    if stage == "agents":
        assert path_of is not None
        return {"script_file": data["script"], "script": load_script(path_of(data["script"])),
                "language_choice": data.get("language_choice", {"source": "default"})}
    if stage == "init":
        return {"anchor": {"item": "kf_00", "index": 0, "artifact": data["anchor"],
                           "qa": _verdict(data["qa"], threshold),
                           "attempts": data.get("attempts", 1),
                           "reused": data.get("reused", False)}}
    if stage == "generation":
        qa = data.get("qa", {})
        ends = data.get("segment_ends") or [None] * len(data["segments"])
        keyframes = [
            {"item": f"kf_{i:02d}", "index": i, "artifact": key,
             "qa": _verdict(qa.get(f"kf_{i:02d}", {"score": 1.0, "passed": True}), threshold),
             "attempts": qa.get(f"kf_{i:02d}", {}).get("attempts", 1)}
            for i, key in enumerate(data["keyframes"]) if i > 0]
        segments = [
            {"item": f"seg_{i:02d}", "index": i, "artifact": key, "ends": end,
             "qa": _verdict(qa.get(f"seg_{i:02d}", {"score": 1.0, "passed": True}), threshold),
             "attempts": qa.get(f"seg_{i:02d}", {}).get("attempts", 1)}
            for i, (key, end) in enumerate(zip(data["segments"], ends, strict=True))]
        return {"keyframes": keyframes, "segments": segments}
    if stage == "concat":
        if "plan" not in data:
            raise LegacyOutputError("concat: a lossless intermediate of an old version")
        plan = dict(data["plan"])
        plan["segments"] = [{**{k: v for k, v in seg.items() if k != "path"},
                             "artifact": seg["path"]} for seg in plan["segments"]]
        return {"plan": plan, "audio": data["audio"]}
    if stage == "audio":
        assert path_of is not None
        words = json.loads(path_of(data["words"]).read_text(encoding="utf-8"))["words"]
        return {"voice": data["voice"], "mix": data["mix"], "words_file": data["words"],
                "speech_sources": data.get("speech_sources", ()), "words": words}
    if stage == "captions":
        return {"subtitles": data.get("subtitles"), "language": data.get("language"),
                "alignment": data.get("alignment")}
    if stage == "complete":
        return {k: data[k] for k in ("final_video", "thumbnail", "duration_s", "size_bytes")}
    return data
