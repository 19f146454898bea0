"""Pixel QA of segments: a smooth one passes, each bad one fails its one check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.qa import scenes
from tests.qa.scenes import Frame
from ugen.qa import PixelSegmentJudge, QaVerdict

DURATION = 2.0


@pytest.fixture(scope="module")
def good_video(path_frames: list[Frame], qa_dir: Path) -> Path:
    return scenes.write_video(qa_dir / "good.mp4", path_frames)


def _judge(judge: PixelSegmentJudge, video: Path, first: Path, last: Path,
           duration: float = DURATION, mode: str = "standard") -> QaVerdict:
    return judge.judge_segment(video, first_keyframe=first, last_keyframe=last,
                               fps=scenes.FPS, duration_s=duration, qai_mode=mode)


def test_pass_segment_when_moving_between_keyframes(
    segment_judge: PixelSegmentJudge, good_video: Path, anchor_path: Path,
    keyframe_b_path: Path,
) -> None:
    verdict = _judge(segment_judge, good_video, anchor_path, keyframe_b_path)
    assert verdict.passed, verdict.reasons
    assert verdict.categories == ()
    assert verdict.score >= 0.9


def _frozen(frames: list[Frame]) -> list[Frame]:
    return [frames[0]] * len(frames)


def _flicker(frames: list[Frame]) -> list[Frame]:
    def brighten(i: int, f: Frame) -> Frame:
        return np.clip(f.astype(np.int16) + (40 if i % 3 == 1 else 0), 0, 255).astype(np.uint8)

    return scenes.edit(frames, brighten)


def _black_frame(frames: list[Frame]) -> list[Frame]:
    middle = len(frames) // 2
    return scenes.edit(frames, lambda i, f: np.zeros_like(f) if i == middle else f)


def _noise_frame(frames: list[Frame]) -> list[Frame]:
    middle = len(frames) // 2
    noise = np.random.default_rng(0).integers(0, 256, frames[0].shape, dtype=np.uint8)
    return scenes.edit(frames, lambda i, f: noise if i == middle else f)


def _jump(frames: list[Frame]) -> list[Frame]:
    half = len(frames) // 2
    other = np.asarray(scenes.unrelated_scene(), np.uint8)
    return frames[:half] + scenes.crossfade(other, frames[-1], len(frames) - half)


# name: (frames, check that fails, category, the last keyframe is the first one)
BAD_SEGMENTS: dict[str, tuple[Callable[[list[Frame]], list[Frame]], str, str, bool]] = {
    "frozen": (_frozen, "motion", "MOTION_ARTIFACT", True),
    "flicker": (_flicker, "flicker", "TEMPORAL_INCONSISTENCY", False),
    "black_frame": (_black_frame, "broken_frames", "CRITICAL_DEFECT", False),
    "garbage_frame": (_noise_frame, "broken_frames", "CRITICAL_DEFECT", False),
    "identity_jump": (_jump, "identity_jump", "TEMPORAL_INCONSISTENCY", False),
}


@pytest.mark.parametrize("case", list(BAD_SEGMENTS))
def test_fail_segment_when_one_check_is_broken(
    case: str, segment_judge: PixelSegmentJudge, path_frames: list[Frame], qa_dir: Path,
    anchor_path: Path, keyframe_b_path: Path,
) -> None:
    build, check, category, static = BAD_SEGMENTS[case]
    video = scenes.write_video(qa_dir / f"bad_{case}.mp4", build(path_frames))
    last = anchor_path if static else keyframe_b_path
    verdict = _judge(segment_judge, video, anchor_path, last)
    _assert_fails_only(verdict, check, category)


def _assert_fails_only(verdict: QaVerdict, check: str, category: str) -> None:
    assert not verdict.passed
    assert set(verdict.categories) == {category, "BELOW_THRESHOLD"}, verdict.reasons
    assert [c for c, v in verdict.checks.items() if v < 0.5] == [check], verdict.checks


@pytest.mark.parametrize("end", ["first", "last"])
def test_fail_segment_when_endpoint_differs_from_keyframe(
    end: str, segment_judge: PixelSegmentJudge, good_video: Path, anchor_path: Path,
    keyframe_b_path: Path, unrelated_path: Path,
) -> None:
    first = unrelated_path if end == "first" else anchor_path
    last = unrelated_path if end == "last" else keyframe_b_path
    verdict = _judge(segment_judge, good_video, first, last)
    _assert_fails_only(verdict, f"{end}_frame", "TEMPORAL_INCONSISTENCY")


def test_fail_segment_when_frame_count_is_off(
    segment_judge: PixelSegmentJudge, good_video: Path, anchor_path: Path,
    keyframe_b_path: Path,
) -> None:
    verdict = _judge(segment_judge, good_video, anchor_path, keyframe_b_path, duration=4.0)
    _assert_fails_only(verdict, "frame_count", "CRITICAL_DEFECT")


def test_fail_segment_when_file_is_not_a_video(
    segment_judge: PixelSegmentJudge, qa_dir: Path, anchor_path: Path, keyframe_b_path: Path
) -> None:
    video = qa_dir / "broken.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    verdict = _judge(segment_judge, video, anchor_path, keyframe_b_path)
    assert not verdict.passed
    assert "CRITICAL_DEFECT" in verdict.categories


def test_lower_segment_score_when_frame_count_slightly_off(
    segment_judge: PixelSegmentJudge, good_video: Path, anchor_path: Path,
    keyframe_b_path: Path,
) -> None:
    """15 % fewer frames than asked lowers the score but is no defect."""
    verdict = _judge(segment_judge, good_video, anchor_path, keyframe_b_path,
                     duration=DURATION * 1.18)
    assert verdict.passed, verdict.reasons
    assert verdict.categories == ()
    assert 0.0 < verdict.checks["frame_count"] < 1.0
    assert verdict.score < 1.0
