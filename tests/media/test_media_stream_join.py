"""The final render with the segments decoded as one stream (the concat demuxer): when it is
chosen, that it gives the feed's pictures frame for frame, and that it steps aside when a
segment does not decode as planned."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from media_kit import FAST_H264, decode_gray, lossless_testsrc, silence

from ugen.media.concat import ConcatPlan, SegmentPlan, concat_list, plan_concat, stream_join
from ugen.media.encode import BT709_TAGS
from ugen.media.feed import encode_fed
from ugen.media.probe import probe
from ugen.media.render import (
    build_plan_render_args,
    build_stream_render_args,
    helper_threads,
    render_plan,
)
from ugen.media.runner import ffmpeg_argv, run_capture, run_ffmpeg

W, H, FPS = 96, 170, 30
SEG = 30


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four seconds of testsrc2, losslessly coded: frame k is the ground truth."""
    return lossless_testsrc(tmp_path_factory.mktemp("truth") / "truth.mkv",
                            size=(W, H), fps=FPS, seconds=4)


def _segment(truth: Path, out: Path, index: int, *, repeat: int = 0, fps: int = FPS,
             tagged: bool = True, sound_s: float | None = None) -> Path:
    """Source frames ``SEG*index`` onwards, starting on the previous segment's last picture
    repeated ``repeat`` times (as a generated segment starts on its first keyframe), with a
    tone ``sound_s`` long (default: as long as the pictures)."""
    first = SEG * index - min(repeat, 1)
    vf = f"trim=start_frame={first}:end_frame={SEG * (index + 1)},setpts=PTS-STARTPTS"
    if repeat > 1:
        vf += f",tpad=start_mode=clone:start={repeat - 1}"
    if fps != FPS:
        vf += f",fps={fps}"
    frames = SEG + repeat
    tone = f"sine=frequency=440:sample_rate=48000:duration={sound_s or frames / FPS}"
    tags = list(BT709_TAGS) if tagged else []
    run_ffmpeg(["-i", str(truth), "-f", "lavfi", "-i", tone, "-vf", vf, *FAST_H264,
                "-pix_fmt", "yuv420p", *tags, "-c:a", "aac", "-ac", "2", str(out)])
    return out


def _seg(**fields: object) -> SegmentPlan:
    base: dict[str, object] = {"path": Path("s.mp4"), "has_audio": True, "skip_frames": 0,
                               "skip_s": 0.0, "out_frames": 30, "pix_fmt": "yuv420p",
                               "color_space": "bt709", "stream": "h264|96x170|30"}
    return SegmentPlan(**{**base, **fields})  # type: ignore[arg-type]


def _plan(*segments: SegmentPlan) -> ConcatPlan:
    return ConcatPlan(segments=segments, width=W, height=H, fps=FPS,
                      dropped_boundary_frames=tuple(s.skip_frames for s in segments[1:]))


def test_stream_join_drops_repeated_frames_by_their_place_in_the_stream() -> None:
    join = stream_join(_plan(_seg(), _seg(skip_frames=2, out_frames=28), _seg(),
                             _seg(skip_frames=1, out_frames=29)))
    assert join is not None
    # 30 + 30 + 30 frames decoded before the fourth segment
    assert join[0] == "select='not(between(n,30,31)+between(n,90,90))'"
    assert join[1] == "setpts=N/(30*TB)"
    assert not [f for f in join if f.startswith("colorspace=")]  # BT.709 stays as it is
    no_skips = stream_join(_plan(_seg(), _seg()))
    assert no_skips is not None and no_skips[0] == "setpts=N/(30*TB)"


@pytest.mark.parametrize("other", [
    {"blend_frames": 4},            # a crossfaded join
    {"stream": "h264|96x170|25"},   # another format or rate
    {"stream": None},               # not at the output's constant frame rate
])
def test_stream_join_refused_where_frames_would_not_map_one_to_one(
        other: dict[str, object]) -> None:
    assert stream_join(_plan(_seg(), _seg(**other))) is None


def test_concat_list_quotes_paths_and_refuses_line_breaks(truth: Path, tmp_path: Path) -> None:
    odd = _segment(truth, tmp_path / "it's [here].mp4", 0)
    listed = tmp_path / "list.txt"
    listed.write_text(concat_list([odd, odd]), encoding="utf-8")
    assert listed.read_text(encoding="utf-8").startswith(f"file '{tmp_path!s}/it'\\''s")
    both, _ = run_capture(ffmpeg_argv(["-f", "concat", "-safe", "0", "-i", str(listed),
                                       "-map", "0:v:0", "-fps_mode", "passthrough",
                                       "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]))
    assert len(both) == 2 * SEG * W * H  # the demuxer found the file, twice
    with pytest.raises(ValueError, match="line break"):
        concat_list([tmp_path / "a\nb.mp4"])


def test_build_stream_render_args_one_process_reads_the_list() -> None:
    plan = _plan(_seg(), _seg(skip_frames=1, out_frames=29))
    args = build_stream_render_args(plan, Path("list.txt"), Path("mix.wav"), Path("o.mp4"),
                                    preset="veryfast", crf=20, subtitles=Path("c.ass"))
    assert args is not None
    assert args[:6] == ["-f", "concat", "-safe", "0", "-i", "list.txt"]
    graph = args[args.index("-filter_complex") + 1]
    assert graph.startswith("[0:v:0]select='not(between(n,30,30))',setpts=N/(30*TB),")
    assert ",ass=filename=c.ass[v];[1:a:0]" in graph
    assert "apad=whole_len=94400,atrim=end_sample=94400[a]" in graph
    crossfaded = _plan(_seg(), _seg(blend_frames=4))
    assert build_stream_render_args(crossfaded, Path("l"), Path("m"), Path("o"),
                                     preset="veryfast", crf=20) is None


def test_build_stream_render_args_decoder_and_filters_single_threaded_on_few_cores() -> None:
    """On two cores the encoder keeps both busy: the decoder (an input option, so before the
    list) and the filters get one thread each, the encoder keeps its own count."""
    assert (helper_threads(1), helper_threads(2), helper_threads(4)) == (1, 1, 0)
    plan = _plan(_seg(), _seg())
    args = build_stream_render_args(plan, Path("list.txt"), Path("mix.wav"), Path("o.mp4"),
                                    preset="veryfast", crf=20, threads=3, decode_threads=1)
    assert args is not None
    assert args[:10] == ["-filter_complex_threads", "1", "-threads", "1", "-f", "concat",
                         "-safe", "0", "-i", "list.txt"]
    assert args[args.index("libx264"):].count("-threads") == 1
    assert args[args.index("-threads", 4) + 1] == "3"


@pytest.mark.parametrize("tagged", [True, False])
def test_render_plan_as_one_stream_same_frames_as_fed(truth: Path, tmp_path: Path,
                                                      tagged: bool) -> None:
    """Segments of one format, two of them starting on repeated pictures, one whose sound
    outlasts its pictures: one stream, every frame the feed would give, in place."""
    segments = [_segment(truth, tmp_path / "s0.mp4", 0, tagged=tagged),
                _segment(truth, tmp_path / "s1.mp4", 1, repeat=1, tagged=tagged,
                         sound_s=1.6),
                _segment(truth, tmp_path / "s2.mp4", 2, repeat=2, tagged=tagged)]
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    assert plan.dropped_boundary_frames == (1, 2) and plan.frame_count == 3 * SEG
    assert stream_join(plan) is not None
    audio = silence(tmp_path / "a.wav", 3.0)
    joined = decode_gray(render_plan(plan, audio, tmp_path / "one.mp4"), size=(W, H))
    fed_out = tmp_path / "fed.mp4"
    encode_fed(ffmpeg_argv(build_plan_render_args(plan, audio, fed_out, preset="veryfast",
                                                  crf=20)), plan, timeout=120)
    fed, source = decode_gray(fed_out, size=(W, H)), decode_gray(truth, size=(W, H))
    assert joined.shape == fed.shape == (3 * SEG, H, W)
    assert np.abs(joined - fed).mean(axis=(1, 2)).max() < 0.5  # the same pictures in
    for k in range(SEG - 2, 2 * SEG + 2):  # every frame shows the source frame of its index
        errors = [np.abs(joined[k] - source[j]).mean() for j in (k - 1, k, k + 1)]
        assert int(np.argmin(errors)) == 1, (k, errors)
    info = probe(tmp_path / "one.mp4")
    assert info.video is not None and info.video.frames == 3 * SEG


def test_render_plan_mixed_rates_fed_frame_by_frame(truth: Path, tmp_path: Path) -> None:
    segments = [_segment(truth, tmp_path / "s0.mp4", 0),
                _segment(truth, tmp_path / "s1.mp4", 1, fps=25)]
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    assert plan.segments[1].stream is None and stream_join(plan) is None
    out = render_plan(plan, silence(tmp_path / "a.wav", 2.0), tmp_path / "o.mp4")
    info = probe(out, count_frames=True)
    assert info.video is not None and info.video.frames == plan.frame_count


def test_render_plan_segment_shorter_than_declared_falls_back_to_the_feed(
        truth: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A segment replaced after planning by one of the same format with fewer frames: the
    single stream comes out short, and the frame-by-frame render (which holds the short
    segment's last picture, keeping the rest in place) is used instead."""
    segments = [_segment(truth, tmp_path / f"s{i}.mp4", i) for i in range(3)]
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    short = replace(plan.segments[1], out_frames=SEG + 6)  # planned longer than it is
    plan = replace(plan, segments=(plan.segments[0], short, plan.segments[2]))
    assert stream_join(plan) is not None
    with caplog.at_level(logging.WARNING, logger="ugen.media.render"):
        out = render_plan(plan, silence(tmp_path / "a.wav", 4.0), tmp_path / "o.mp4")
    assert "decoding segment by segment" in caplog.text
    info = probe(out, count_frames=True)
    assert info.video is not None and info.video.frames == plan.frame_count == 3 * SEG + 6
    frames, source = decode_gray(out, size=(W, H)), decode_gray(truth, size=(W, H))
    # the third segment starts where the plan put it, after the held frames
    assert np.abs(frames[2 * SEG + 6] - source[2 * SEG]).mean() < 3
