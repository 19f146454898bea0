"""The final render fed one segment decoder at a time: builders, crossfades, a ten-segment ad
with repeated boundary frames and a jump, failures that name the segment and leave nothing
running."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from media_kit import (
    FAST_H264,
    decode_audio,
    decode_gray,
    lossless_testsrc,
    processes_mentioning,
    silence,
)

from ugen.media.concat import ConcatPlan, SegmentPlan, join_audio, plan_concat
from ugen.media.encode import BT709_TAGS
from ugen.media.errors import FFmpegTimeout, InvalidSegmentError
from ugen.media.feed import crossfade, decode_args, encode_fed, frame_bytes
from ugen.media.filters import normalise_yuv420p
from ugen.media.probe import probe
from ugen.media.render import build_plan_render_args, render_plan, verify_output
from ugen.media.runner import ffmpeg_argv, run_ffmpeg

W, H, FPS = 96, 170, 30
SEG = 36
"""Source frames per segment."""


def test_crossfade_weights_and_held_frames_as_xfade() -> None:
    left, right = [bytes([10] * 6), bytes([20] * 6)], [bytes([100] * 6), bytes([200] * 6)]
    faded = [frame[0] for frame in crossfade(left, right)]
    # right weighs k/4; left's last frame and right's first frame are held across the join
    assert faded == [10, round(20 + 80 * 0.25), round(20 + 80 * 0.5), round(20 + 180 * 0.75)]
    with pytest.raises(ValueError):
        crossfade(left, right[:1])


def test_normalise_yuv420p_conversions_only_where_needed() -> None:
    tagged = normalise_yuv420p(1080, 1920, pix_fmt="yuv420p", color_space="bt709")
    assert not [f for f in tagged if "colorspace=all" in f or "color_matrix" in f]
    assert tagged[0].startswith("scale=") and tagged[-1].startswith("pad=w=1080:h=1920")
    untagged = normalise_yuv420p(1080, 1920, pix_fmt="yuv420p", color_space=None)
    assert [f for f in untagged if f.startswith("colorspace=")] == [
        "colorspace=all=bt709:iall=bt470bg:irange=tv:range=tv:fast=1:format=yuv420p"]
    assert not [f for f in untagged if "color_matrix" in f]
    for pix_fmt, space in (("yuv444p", "bt709"), ("yuvj420p", None), ("yuv420p", "bt2020nc")):
        general = normalise_yuv420p(1080, 1920, pix_fmt=pix_fmt, color_space=space)
        assert "out_color_matrix=bt709" in general[0]


def test_decode_args_raw_frames_of_one_segment() -> None:
    plan = SegmentPlan(path=Path("s.mp4"), has_audio=True, skip_frames=2, skip_s=0.08,
                       out_frames=40, pix_fmt="yuv420p", color_space="bt709")
    args = decode_args(plan, width=W, height=H, fps=FPS)
    assert args[:4] == ["-threads", "2", "-i", "s.mp4"]
    vf = args[args.index("-vf") + 1]
    assert vf.startswith("trim=start_frame=2,setpts=PTS-STARTPTS,fps=30,")
    assert "trim=end_frame=40" in vf and "colorspace=all" not in vf
    assert args[-5:] == ["-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]
    assert frame_bytes(W, H) == W * H * 3 // 2


def test_build_plan_render_args_raw_frames_on_stdin() -> None:
    seg = SegmentPlan(path=Path("s.mp4"), has_audio=False, skip_frames=0, skip_s=0.0,
                      out_frames=45)
    plan = ConcatPlan(segments=(seg, seg), width=W, height=H, fps=FPS,
                      dropped_boundary_frames=(0,))
    args = build_plan_render_args(plan, Path("mix.wav"), Path("o.mp4"), preset="veryfast",
                                  crf=20, subtitles=Path("c.ass"))
    first = args.index("-i")
    assert args[first + 1] == "pipe:0" and "s.mp4" not in args
    assert args[:first] == ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s:v", f"{W}x{H}",
                            "-framerate", "30", *BT709_TAGS]
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:v:0]ass=filename=c.ass[v];[1:a:0]")
    assert "apad=whole_len=144000,atrim=end_sample=144000[a]" in graph


def test_segment_plan_saved_without_source_format_still_loads() -> None:
    seg = SegmentPlan(path=Path("s.mp4"), has_audio=True, skip_frames=0, skip_s=0.0,
                      out_frames=30, pix_fmt="yuv420p", color_space="bt709")
    data = ConcatPlan(segments=(seg,), width=W, height=H, fps=FPS,
                      dropped_boundary_frames=()).to_dict()
    assert ConcatPlan.from_dict(data).segments == (seg,)
    for saved in data["segments"]:
        del saved["pix_fmt"], saved["color_space"]
    assert ConcatPlan.from_dict(data).segments == (replace(seg, pix_fmt=None,
                                                           color_space=None),)


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve seconds of testsrc2, losslessly coded: frame k is the ground truth."""
    return lossless_testsrc(tmp_path_factory.mktemp("truth") / "truth.mkv",
                            size=(W, H), fps=FPS, seconds=12)


def _segment(truth: Path, out: Path, index: int, *, repeat: bool, negate: bool) -> Path:
    """Source frames ``SEG*index`` onwards (with the previous frame first when ``repeat``,
    a generated segment restarting on the picture the last one ended on) and a tone."""
    first = SEG * index - int(repeat)
    vf = f"trim=start_frame={first}:end_frame={SEG * (index + 1)},setpts=PTS-STARTPTS"
    vf += ",negate" if negate else ""
    frames = SEG + int(repeat)
    tone = f"sine=frequency={300 + 50 * index}:sample_rate=48000:duration={frames / FPS}"
    run_ffmpeg(["-i", str(truth), "-f", "lavfi", "-i", tone, "-vf", vf, *FAST_H264,
                "-pix_fmt", "yuv420p", *BT709_TAGS, "-c:a", "aac", "-ac", "2", str(out)])
    return out


def test_render_plan_ten_segments_exact_joins_crossfade_and_lengths(truth: Path,
                                                                    tmp_path: Path) -> None:
    repeats = {1, 2, 4, 8}  # these start on the previous segment's last picture
    segments = [_segment(truth, tmp_path / f"s{i}.mp4", i, repeat=i in repeats, negate=i == 6)
                for i in range(10)]
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    out = render_plan(plan, join_audio(plan, tmp_path / "native.wav"), tmp_path / "final.mp4")

    assert plan.dropped_boundary_frames == tuple(int(i in repeats) for i in range(1, 10))
    assert plan.transition_frames == tuple(4 * (i in (6, 7)) for i in range(1, 10))
    assert plan.frame_count == 10 * SEG
    info = verify_output(out, width=W, height=H, expected_duration_s=12.0, fps=FPS)
    counted = probe(out, count_frames=True).video
    assert counted is not None and counted.frames == 10 * SEG
    assert info.video is not None and info.video.duration is not None
    assert info.audio is not None and info.audio.duration is not None
    assert abs(info.audio.duration - info.video.duration) <= 1 / FPS
    assert abs(len(decode_audio(out)) / 48000 - 12.0) <= 1 / FPS
    frames, source = decode_gray(out, size=(W, H)), decode_gray(truth, size=(W, H))
    # every frame around the plain joins shows the source frame of its index: the repeated
    # pictures were dropped, nothing is missing
    for join in (1, 2, 3, 4, 5, 8, 9):
        for k in range(SEG * join - 2, SEG * join + 2):
            errors = [np.abs(frames[k] - source[j]).mean() for j in (k - 1, k, k + 1)]
            assert int(np.argmin(errors)) == 1 and errors[1] < 3, (join, k, errors)
    # into and out of the negated segment the pictures fade over four frames, centred on the
    # join; away from the fades they are the segment's own
    negated = decode_gray(segments[6], size=(W, H))
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2))
    jump = float(np.abs(negated[0] - source[SEG * 6 - 1]).mean())
    assert jump > 30
    for join in (6, 7):
        around = steps[SEG * join - 3: SEG * join + 2]
        assert around.max() < 0.4 * jump and around.sum() > 0.8 * jump, (join, around)
    assert np.abs(frames[SEG * 6 + 10] - negated[10]).mean() < 3


def _good_segments(tmp_path: Path, count: int, *, seconds: float = 0.5) -> list[Path]:
    paths = []
    for i in range(count):
        path = tmp_path / f"seg{i}_{uuid.uuid4().hex[:8]}.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={seconds}",
                    *FAST_H264, "-pix_fmt", "yuv420p", str(path)])
        paths.append(path)
    return paths


@pytest.mark.parametrize("damage", ["truncated", "garbage", "short"])
def test_render_plan_segment_broken_after_planning_named(tmp_path: Path, damage: str) -> None:
    segments = _good_segments(tmp_path, 4, seconds=1.5)
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    bad = segments[2]
    if damage == "truncated":
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    elif damage == "garbage":
        bad.write_bytes(np.random.default_rng(3).bytes(20_000))
    else:  # a valid video, far shorter than planned
        _good_segments(tmp_path, 1, seconds=0.2)[0].replace(bad)
    out = tmp_path / "final.mp4"
    with pytest.raises(InvalidSegmentError) as caught:
        render_plan(plan, silence(tmp_path / "a.wav", 6.0), out)
    assert caught.value.index == 2 and caught.value.path == bad
    assert f"segment 2 ({bad.name})" in str(caught.value)
    if damage == "short":
        assert "decoded to 36 of 45 frames" in str(caught.value)
    assert not out.exists() and not list(tmp_path.glob(".final*"))
    assert processes_mentioning(bad.name) == []


def test_encode_fed_timeout_ends_every_process(tmp_path: Path) -> None:
    segments = _good_segments(tmp_path, 2, seconds=4.0)
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    marker = f"ugen-feed-{uuid.uuid4().hex}"
    # an encoder reading at the real-time rate: four seconds of input, far past the deadline
    argv = ffmpeg_argv(["-re", *build_plan_render_args(plan, silence(tmp_path / "a.wav", 8.0),
                                                       tmp_path / "o.mp4", preset="ultrafast",
                                                       crf=30)[:-1],
                        "-metadata", f"comment={marker}", str(tmp_path / "o.mp4")])
    with pytest.raises(FFmpegTimeout) as caught:
        encode_fed(argv, plan, timeout=0.5)
    assert caught.value.returncode is None
    assert processes_mentioning(marker) == []
    assert [p for seg in segments for p in processes_mentioning(seg.name)] == []
