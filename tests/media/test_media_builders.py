"""Argument builders and pure helpers, checked without running ffmpeg."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ugen.media.audio import (
    LOUDNESS_TOLERANCE_LU,
    finish_args,
    premix_args,
    search_limited_gain,
    timeline_args,
)
from ugen.media.boundary import count_duplicates, duplicate_threshold
from ugen.media.concat import ConcatPlan, SegmentPlan, build_audio_join_args
from ugen.media.encode import aac_args, x264_args
from ugen.media.errors import InvalidMediaError
from ugen.media.filters import filter_value, fit_and_pad
from ugen.media.loudness import parse_ebur128_summary
from ugen.media.render import build_plan_render_args
from ugen.media.verify import is_faststart, top_level_atoms


def _graph(args: list[str]) -> str:
    assert args.count("-filter_complex") == 1
    return args[args.index("-filter_complex") + 1]


def _value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_escape_filter_value_all_special_characters() -> None:
    # option level escapes \ ' : ; graph level then escapes \ ' [ ] , ; (and the first level's \)
    assert filter_value("a:b") == "a\\\\:b"
    assert filter_value("x,y[z];w") == "x\\,y\\[z\\]\\;w"
    assert filter_value("it's") == "it\\\\\\'s"
    assert filter_value("C:\\f") == "C\\\\:\\\\\\\\f"
    assert filter_value("/plain/path.ass") == "/plain/path.ass"


def test_fit_and_pad_yuv_chain_converts_once() -> None:
    filters = fit_and_pad(1080, 1920)
    converting = [f for f in filters if "out_color_matrix" in f]
    assert len(converting) == 1 and converting[0].startswith("scale=")
    assert filters[-1] == "pad=w=1080:h=1920:x=(ow-iw)/2:y=(oh-ih)/2:color=black"
    assert "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv" in filters


def _plan(name: str, *, audio: bool = True, skip: int = 0, frames: int = 30) -> SegmentPlan:
    return SegmentPlan(path=Path(name), has_audio=audio, skip_frames=skip, skip_s=skip / 30,
                       out_frames=frames)


def test_build_audio_join_args_sound_only_wav() -> None:
    args = build_audio_join_args([_plan("a.mp4"), _plan("b.mp4")], Path("o.wav"), fps=30)
    assert [args[i + 1] for i, a in enumerate(args) if a == "-i"] == ["a.mp4", "b.mp4"]
    assert _graph(args).endswith("[a0][a1]concat=n=2:v=0:a=1[aout]")
    assert "[0:v" not in _graph(args) and _value(args, "-map") == "[aout]"
    assert args.count("-map") == 1 and _value(args, "-c:a") == "pcm_s16le"
    assert _value(args, "-ar") == "48000" and _value(args, "-ac") == "2"
    assert _value(args, "-f") == "wav" and args[-1] == "o.wav"


def test_build_audio_join_args_skipped_frames_trim_audio_equally() -> None:
    graph = _graph(build_audio_join_args([_plan("a.mp4"), _plan("b.mp4", skip=2, frames=28)],
                                         Path("o.wav"), fps=30))
    seg_b = next(part for part in graph.split(";") if part.startswith("[1:a:0]"))
    assert "atrim=start=0.066667," in seg_b and "atrim=end_sample=44800" in seg_b
    seg_a = next(part for part in graph.split(";") if part.startswith("[0:a:0]"))
    assert "atrim=start=" not in seg_a and "atrim=end_sample=48000" in seg_a


def test_build_audio_join_args_missing_audio_becomes_exact_silence() -> None:
    graph = _graph(build_audio_join_args([_plan("a.mp4", frames=45), _plan("b.mp4", audio=False)],
                                         Path("o.wav"), fps=30))
    silent = next(part for part in graph.split(";") if part.endswith("[a1]"))
    assert silent.startswith("anullsrc=r=48000:cl=stereo") and "[1:a" not in graph
    assert silent.endswith("atrim=end_sample=48000[a1]")


def test_build_audio_join_args_odd_rate_samples_add_up_to_timeline() -> None:
    plans = [_plan(f"{i}.mp4", frames=7) for i in range(3)]
    graph = _graph(build_audio_join_args(plans, Path("o.wav"), fps=29))
    counts = [int(p.split("atrim=end_sample=")[1].split("[")[0])
              for p in graph.split(";") if "[a" in p and "end_sample" in p]
    assert sum(counts) == round(21 * 48000 / 29)


def test_x264_args_high_profile_bt709() -> None:
    args = x264_args(preset="medium", crf=18, fps=30, threads=3)
    assert _value(args, "-profile:v") == "high" and _value(args, "-pix_fmt") == "yuv420p"
    assert _value(args, "-crf") == "18" and _value(args, "-preset") == "medium"
    assert _value(args, "-g") == "60" and _value(args, "-threads") == "3"
    for flag in ("-colorspace", "-color_primaries", "-color_trc"):
        assert _value(args, flag) == "bt709"


def _render_plan(frames: int) -> ConcatPlan:
    seg = _plan("s.mp4", frames=frames)
    return ConcatPlan(segments=(seg,), width=1080, height=1920, fps=30,
                      dropped_boundary_frames=())


def test_build_plan_render_args_one_encode_exact_lengths() -> None:
    args = build_plan_render_args(_render_plan(90), Path("a.wav"), Path("o.mp4"),
                                  preset="veryfast", crf=20)
    graph = _graph(args)
    assert args.count("-c:v") == 1 and _value(args, "-c:v") == "libx264"
    assert "atrim=end_sample=144000" in graph
    assert "-shortest" not in args and "-frames:v" not in args
    assert _value(args, "-movflags") == "+faststart"
    assert args[args.index("-c:a"):args.index("-c:a") + len(aac_args())] == aac_args()
    assert "ass=" not in graph


def test_build_plan_render_args_subtitles_with_escaped_path_on_the_yuv_frames() -> None:
    subs = Path("/tmp/we:ird,dir [1]/it's.ass")
    args = build_plan_render_args(_render_plan(30), Path("a.wav"), Path("o.mp4"),
                                  preset="veryfast", crf=20, subtitles=subs,
                                  fonts_dir=Path("/f"))
    graph = _graph(args)
    expected = "ass=filename=/tmp/we\\\\:ird\\,dir \\[1\\]/it\\\\\\'s.ass:fontsdir=/f"
    assert f"[0:v:0]{expected}[v]" in graph
    assert "rgb24" not in graph and "out_color_matrix" not in graph


def test_timeline_args_clip_past_end_left_out() -> None:
    args = timeline_args([(Path("a.wav"), 0.5), (Path("b.wav"), 3.0)], duration_s=2.0,
                         out=Path("t.wav"))
    assert [args[i + 1] for i, a in enumerate(args) if a == "-i"] == ["a.wav"]
    graph = _graph(args)
    assert "adelay=delays=24000S:all=1" in graph and "normalize=0" in graph
    assert "atrim=end_sample=96000[out]" in graph


def test_timeline_args_negative_start_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        timeline_args([(Path("a.wav"), -0.1)], duration_s=1.0, out=Path("t.wav"))


def test_premix_args_music_ducked_by_voice_key() -> None:
    args = premix_args(Path("v.wav"), Path("m.mp3"), duration_s=10.0, out=Path("p.wav"),
                       voice_gain_db=2.0, music_gain_db=-18.5)
    graph = _graph(args)
    assert args[args.index("-stream_loop") + 1] == "-1"
    assert "[music][key]sidechaincompress=" in graph
    assert "afade=t=out:st=8.500:d=1.500" in graph and "volume=-18.50dB" in graph
    assert "normalize=0,ebur128=peak=true" in graph  # metered as it is written


def test_finish_args_gain_then_limiter_only_when_asked() -> None:
    plain = _value(finish_args(Path("p.wav"), Path("o.wav"), duration_s=1.5, gain_db=-0.4,
                               peak_ceiling_db=None), "-af")
    assert plain.startswith("volume=-0.400dB,") and "alimiter" not in plain
    assert "atrim=end_sample=72000,ebur128=peak=true" in plain  # metered as it is written
    assert plain.endswith("aformat=sample_fmts=s16:sample_rates=48000:channel_layouts=stereo")
    limited = _value(finish_args(Path("p.wav"), Path("o.wav"), duration_s=1.5, gain_db=3.0,
                                 peak_ceiling_db=-1.5), "-af")
    assert "volume=3.000dB,aresample=192000,alimiter=limit=0.8414" in limited
    assert "aresample=48000" in limited


def _frames(*values: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    base = rng.uniform(0, 255, (16, 16)).astype(np.float32)
    return np.stack([np.clip(base + v, 0, 255) for v in values]).astype(np.float32)


def test_count_duplicates_repeated_head_frames_counted() -> None:
    tail = _frames(0, 4, 8, 12)  # content moving by 4 levels per frame
    noise = np.random.default_rng(1).normal(0, 0.3, (3, 16, 16)).astype(np.float32)
    head = _frames(12, 12, 16) + noise
    assert count_duplicates(tail, head) == 2
    assert count_duplicates(tail, head, limit=1) == 1


def test_count_duplicates_fresh_head_frames_none() -> None:
    assert count_duplicates(_frames(0, 4, 8, 12), _frames(16, 20)) == 0
    assert count_duplicates(_frames(0, 4, 8, 12), _frames(20, 12)) == 0  # a run must start at 0


def test_duplicate_threshold_bounded_by_motion() -> None:
    assert duplicate_threshold(_frames(0, 0, 0)) == pytest.approx(0.5)
    assert duplicate_threshold(_frames(0, 2, 4)) == pytest.approx(1.0, abs=0.05)
    assert duplicate_threshold(_frames(0, 50, 100)) == pytest.approx(2.0)


def _box(kind: bytes, payload: int = 0) -> bytes:
    return struct.pack(">I4s", 8 + payload, kind) + b"\0" * payload


def test_top_level_atoms_order_and_large_size(tmp_path: Path) -> None:
    large = struct.pack(">I4sQ", 1, b"mdat", 16 + 4) + b"\0" * 4
    (tmp_path / "fast.mp4").write_bytes(_box(b"ftyp", 4) + _box(b"moov", 10) + large)
    (tmp_path / "slow.mp4").write_bytes(_box(b"ftyp", 4) + large + _box(b"moov", 10))
    assert top_level_atoms(tmp_path / "fast.mp4") == ["ftyp", "moov", "mdat"]
    assert is_faststart(tmp_path / "fast.mp4") and not is_faststart(tmp_path / "slow.mp4")


def test_top_level_atoms_truncated_file_rejected(tmp_path: Path) -> None:
    (tmp_path / "bad.mp4").write_bytes(_box(b"ftyp", 4) + b"\0\0\0")
    with pytest.raises(InvalidMediaError, match="truncated"):
        top_level_atoms(tmp_path / "bad.mp4")


EBUR128_LOG = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -14.2 LUFS
    Threshold: -24.6 LUFS

  Loudness range:
    LRA:         3.1 LU
    Threshold: -34.5 LUFS

  True peak:
    Peak:       -1.7 dBFS
"""


def test_parse_ebur128_summary_values() -> None:
    loud = parse_ebur128_summary(EBUR128_LOG)
    assert (loud.integrated_lufs, loud.true_peak_dbtp, loud.lra) == (-14.2, -1.7, 3.1)
    with pytest.raises(InvalidMediaError):
        parse_ebur128_summary("no summary here")




@pytest.mark.parametrize(("curve", "most"), [
    (lambda g: -21.4 + g, 2),                            # no limiting left: one step lands
    (lambda g: -21.4 + 0.3 * g + 0.02 * g * g, 6),       # the limiter fights back harder
    (lambda g: -21.4 + 0.9 * g - 0.01 * g * g, 4),       # and less as the gain rises
])
def test_limited_mix_gain_search_lands_within_the_tolerance(
        curve: Callable[[float], float], most: int) -> None:
    tried: list[float] = []

    def finish(gain: float) -> float:
        tried.append(gain)
        return -14.0 - curve(gain)

    search_limited_gain(finish, 0.0, -14.0 - curve(0.0))
    assert abs(-14.0 - curve(tried[-1])) <= LOUDNESS_TOLERANCE_LU
    assert len(tried) + 1 <= most
