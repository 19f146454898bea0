"""Crossfades where the motion jumps at a join: the decision, the filtergraph, the pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_kit import FAST_H264, FPS, H, W, decode_audio, decode_gray

from ugen.media.boundary import TRANSITION_FRAMES, transition_frames
from ugen.media.concat import SegmentPlan, build_concat_args, concat_segments
from ugen.media.encode import BT709_TAGS
from ugen.media.probe import probe
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


def _graph(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_build_concat_args_blend_centred_on_join_audio_cut() -> None:
    plans = [_plan("a.mp4", frames=45), _plan("b.mp4", frames=45, blend=4), _plan("c.mp4")]
    graph = _graph(build_concat_args(plans, Path("o.mkv"), width=W, height=H, fps=FPS))
    # both sides held by two frames, the fade over four, starting two frames before the join
    assert "[v0]fps=30,tpad=stop_mode=clone:stop=2[l1]" in graph
    assert "[v1]tpad=start_mode=clone:start=2[r1]" in graph
    assert "xfade=transition=fade:duration=0.133333:offset=1.433333[j1]" in graph
    assert "[j1][v2]concat=n=2:v=1:a=0[j2]" in graph
    assert "[a0][a1][a2]concat=n=3:v=0:a=1[aout]" in graph


def test_build_concat_args_blend_longer_than_neighbour_rejected() -> None:
    with pytest.raises(ValueError, match="segment 1"):
        build_concat_args([_plan("a.mp4", frames=1), _plan("b.mp4", blend=4)], Path("o.mkv"),
                          width=W, height=H, fps=FPS)


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


def test_concat_segments_motion_jump_crossfaded(jump_segments: tuple[Path, Path, Path],
                                                tmp_path: Path) -> None:
    a, _, c = jump_segments
    result = concat_segments([a, c], tmp_path / "j.mkv", width=W, height=H, fps=FPS)

    assert result.transition_frames == (TRANSITION_FRAMES,)
    assert result.frame_count == 90 and result.segment_offsets_s == (0.0, 1.5)
    info = probe(result.path, count_frames=True)
    assert info.video is not None and info.video.frames == 90
    assert len(decode_audio(result.path, channels=2)) == 3 * 48000
    frames = decode_gray(result.path)
    raw_jump = float(np.abs(decode_gray(c)[0] - decode_gray(a)[-1]).mean())
    steps = _steps(frames)
    assert raw_jump > 30
    # the jump is spread over the fade: no step near the join is more than a third of it
    assert steps[40:50].max() < 0.35 * raw_jump
    assert np.median(steps[:40]) < 5 and np.median(steps[50:]) < 5
    # away from the fade the pictures are the segments' own
    assert np.abs(frames[30] - decode_gray(a)[30]).mean() < 2
    assert np.abs(frames[60] - decode_gray(c)[15]).mean() < 2


def test_concat_segments_smooth_join_untouched(jump_segments: tuple[Path, Path, Path],
                                               tmp_path: Path) -> None:
    a, b, _ = jump_segments
    result = concat_segments([a, b], tmp_path / "j.mkv", width=W, height=H, fps=FPS)

    assert result.transition_frames == (0,) and result.frame_count == 90
    frames, a_frames, b_frames = decode_gray(result.path), decode_gray(a), decode_gray(b)
    assert np.abs(frames[44] - a_frames[44]).mean() < 2
    assert np.abs(frames[45] - b_frames[0]).mean() < 2
