"""Crossfades where the motion jumps at a join: the decision, its limits, the pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_kit import FAST_H264, FPS, H, W, decode_audio, decode_gray

from ugen.media.boundary import TRANSITION_FRAMES, transition_frames
from ugen.media.concat import ConcatPlan, SegmentPlan, check_blends, join_audio, plan_concat
from ugen.media.encode import BT709_TAGS
from ugen.media.probe import probe
from ugen.media.render import render_plan
from ugen.media.runner import run_ffmpeg


def _frames(*levels: float) -> np.ndarray:
    base = np.random.default_rng(5).uniform(60, 190, (16, 16)).astype(np.float32)
    return np.stack([base + v for v in levels]).astype(np.float32)


def test_transition_frames_jump_far_above_motion_blended() -> None:
    assert transition_frames(_frames(0, 1, 2, 3), _frames(40, 41, 42)) == TRANSITION_FRAMES


def test_transition_frames_cut_within_motion_left_alone() -> None:
    assert transition_frames(_frames(0, 1, 2, 3), _frames(4, 5, 6)) == 0
    # fast motion on both sides: a big change at the cut is just more of the same
    assert transition_frames(_frames(0, 10, 20, 30), _frames(45, 55)) == 0
    # a still picture and a barely different one: below the absolute minimum
    assert transition_frames(_frames(0, 0, 0), _frames(4, 4)) == 0
    assert transition_frames(_frames(0, 1), _frames(0)[:0]) == 0


def _plan(name: str, *, frames: int = 30, blend: int = 0) -> SegmentPlan:
    return SegmentPlan(path=Path(name), has_audio=True, skip_frames=0, skip_s=0.0,
                       out_frames=frames, blend_frames=blend)


def test_check_blends_longer_than_a_neighbour_or_on_the_first_segment_rejected() -> None:
    with pytest.raises(ValueError, match="segment 1"):
        check_blends([_plan("a.mp4", frames=1), _plan("b.mp4", blend=4)])
    with pytest.raises(ValueError, match="segment 0"):
        check_blends([_plan("a.mp4", blend=2), _plan("b.mp4")])
    check_blends([_plan("a.mp4", frames=2), _plan("b.mp4", blend=4)])  # held frames suffice


@pytest.fixture(scope="module")
def jump_segments(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A: frames 0-44 of testsrc2; B: its next 45 frames (smooth); C: 45 frames negated (a
    jump). Each with a tone so audio alignment can be checked."""
    folder = tmp_path_factory.mktemp("jump")
    out = []
    for name, first, negate in (("a", 0, False), ("b", 45, False), ("c", 45, True)):
        vf = f"trim=start_frame={first}:end_frame={first + 45},setpts=PTS-STARTPTS"
        vf += ",negate" if negate else ""
        vf += ",scale=out_color_matrix=bt709:out_range=tv"  # BT.709: concat keeps the pixels
        path = folder / f"{name}.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration=3",
                    "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=1.5",
                    "-vf", vf, *FAST_H264, "-pix_fmt", "yuv420p", *BT709_TAGS,
                    "-c:a", "aac", "-ac", "2", "-shortest", str(path)])
        out.append(path)
    return out[0], out[1], out[2]


def _steps(frames: np.ndarray) -> np.ndarray:
    return np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))


def _render(segments: list[Path], folder: Path) -> tuple[ConcatPlan, Path, Path]:
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    sound = join_audio(plan, folder / "joined.wav")
    return plan, render_plan(plan, sound, folder / "joined.mp4"), sound


def test_render_plan_motion_jump_crossfaded(jump_segments: tuple[Path, Path, Path],
                                            tmp_path: Path) -> None:
    a, _, c = jump_segments
    plan, video, sound = _render([a, c], tmp_path)

    assert plan.transition_frames == (TRANSITION_FRAMES,)
    assert plan.frame_count == 90 and plan.segment_offsets_s == (0.0, 1.5)
    info = probe(video, count_frames=True)
    assert info.video is not None and info.video.frames == 90
    assert len(decode_audio(sound, channels=2)) == 3 * 48000
    frames = decode_gray(video)
    raw_jump = float(np.abs(decode_gray(c)[0] - decode_gray(a)[-1]).mean())
    steps = _steps(frames)
    assert raw_jump > 30
    # the jump is spread over the fade: no step near the join is more than a third of it
    assert steps[40:50].max() < 0.35 * raw_jump
    assert np.median(steps[:40]) < 5 and np.median(steps[50:]) < 5
    # away from the fade the pictures are the segments' own
    assert np.abs(frames[30] - decode_gray(a)[30]).mean() < 2
    assert np.abs(frames[60] - decode_gray(c)[15]).mean() < 2


def test_render_plan_smooth_join_untouched(jump_segments: tuple[Path, Path, Path],
                                           tmp_path: Path) -> None:
    a, b, _ = jump_segments
    plan, video, _ = _render([a, b], tmp_path)

    assert plan.transition_frames == (0,) and plan.frame_count == 90
    frames, a_frames, b_frames = decode_gray(video), decode_gray(a), decode_gray(b)
    assert np.abs(frames[44] - a_frames[44]).mean() < 2
    assert np.abs(frames[45] - b_frames[0]).mean() < 2
