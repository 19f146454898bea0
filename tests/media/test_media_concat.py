"""The join on real (tiny) segments, planned and rendered as the pipeline does (plan_concat,
join_audio, render_plan): timing, normalisation, boundary duplicates, segment ends, errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from media_kit import (
    FAST_H264,
    FPS,
    H,
    VideoFactory,
    W,
    decode_audio,
    decode_gray,
    lossless_testsrc,
)

from ugen.media import concat as concat_module
from ugen.media.boundary import HEAD_FRAMES, SegmentEnds, analysis_size
from ugen.media.concat import ConcatPlan, join_audio, plan_concat, read_segment_ends
from ugen.media.errors import InvalidSegmentError
from ugen.media.loudness import mean_volume_db
from ugen.media.probe import probe
from ugen.media.render import render_plan, verify_output
from ugen.media.runner import run_ffmpeg


def _join(segments: list[Path], folder: Path) -> tuple[ConcatPlan, Path, Path]:
    """The plan, the rendered video and the joined sound (WAV) of ``segments``."""
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    sound = join_audio(plan, folder / "joined.wav")
    return plan, render_plan(plan, sound, folder / "joined.mp4"), sound


def test_join_mixed_formats_exact_duration(make_video: VideoFactory, tmp_path: Path) -> None:
    segments = [
        make_video("a.mp4", duration=1.5, audio="mono44"),
        make_video("b.mp4", size="640x360", fps=24, duration=1.0, audio=None, pix_fmt="yuv444p"),
        make_video("c.mp4", size="240x426", fps=25, duration=1.2, sar="2/1"),
    ]
    plan, video, sound = _join(segments, tmp_path)

    assert plan.frame_count == 45 + 30 + 36
    assert plan.segment_offsets_s == pytest.approx((0.0, 1.5, 2.5))
    assert plan.dropped_boundary_frames == (0, 0)
    info = verify_output(video, width=W, height=H, expected_duration_s=plan.duration_s, fps=FPS)
    counted = probe(video, count_frames=True).video
    assert counted is not None and counted.frames == plan.frame_count
    assert info.video is not None and info.video.pix_fmt == "yuv420p"
    audio = probe(sound).audio
    assert audio is not None
    assert (audio.codec, audio.sample_rate, audio.channels) == ("pcm_s16le", 48000, 2)
    samples = decode_audio(sound, channels=2)
    assert len(samples) == round(plan.frame_count / FPS * 48000)
    # the segment without audio became silence, its neighbours kept their tone
    assert mean_volume_db(sound, 1.6, 2.4) < -80
    assert mean_volume_db(sound, 0.2, 1.3) > -30
    assert mean_volume_db(sound, 2.6, 3.6) > -30


def test_join_landscape_and_anamorphic_letterboxed(make_video: VideoFactory,
                                                   tmp_path: Path) -> None:
    segments = [
        make_video("wide.mp4", size="640x360", duration=0.5, audio=None),
        make_video("sar.mp4", size="160x568", duration=0.5, audio=None, sar="2/1"),
    ]
    frames = decode_gray(_join(segments, tmp_path)[1])
    wide, anamorphic = frames[5], frames[20]
    # 16:9 in 9:16: picture is 320x180 in the middle, black above and below
    assert wide[:190].mean() < 1 and wide[200:370].mean() > 20 and wide[380:].mean() < 1
    # 160 px at SAR 2:1 displays 320 wide: it must fill the frame, no pillarbox
    assert anamorphic[:, :8].mean() > 20 and anamorphic[:, -8:].mean() > 20


@pytest.fixture(scope="module")
def source_frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seconds of testsrc2 at 30 fps, losslessly coded: frame k is the ground truth."""
    return lossless_testsrc(tmp_path_factory.mktemp("src") / "src.mkv",
                            size=(W, H), fps=FPS, seconds=3)


def _cut(src: Path, out: Path, first: int, last: int, *, copies: int = 0,
         tone_from: int = 0) -> Path:
    """Frames first..last of ``src`` (the first one repeated ``copies`` extra times) as an
    MP4 whose 1 kHz tone starts ``tone_from`` frames in."""
    vf = f"trim=start_frame={first}:end_frame={last + 1},setpts=PTS-STARTPTS"
    if copies:
        vf += f",tpad=start_mode=clone:start={copies}"
    n = last + 1 - first + copies
    tone = f"aevalsrc='0.5*sin(2*PI*1000*t)*gte(t,{tone_from / FPS:.6f})':s=48000:d={n / FPS}"
    run_ffmpeg(["-i", str(src), "-f", "lavfi", "-i", tone, "-vf", vf, *FAST_H264,
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-b:a", "192k", str(out)])
    return out


@pytest.mark.parametrize("copies", [0, 1, 2])
def test_join_duplicated_boundary_frames_dropped(
    source_frames: Path, tmp_path: Path, copies: int
) -> None:
    """A (silent) ends on frame 44. B starts on frame 44 repeated ``copies`` times (0: on
    frame 45); B's tone starts with frame 45, so after the join it must start at 1.5 s."""
    a = _cut(source_frames, tmp_path / "a.mp4", 0, 44, tone_from=45)  # silent
    first = 45 - min(copies, 1)
    b = _cut(source_frames, tmp_path / "b.mp4", first, 89, copies=max(copies - 1, 0),
             tone_from=copies)
    plan, video, sound = _join([a, b], tmp_path)

    assert plan.dropped_boundary_frames == (copies,)
    assert plan.frame_count == 90 and plan.segment_offsets_s == (0.0, 1.5)
    truth, out = decode_gray(source_frames), decode_gray(video)
    assert len(out) == 90
    for k in (43, 44, 45, 46):  # every output frame shows the source frame of its index
        errors = [np.abs(out[k] - truth[j]).mean() for j in (k - 1, k, k + 1)]
        assert int(np.argmin(errors)) == 1, (k, errors)
    audio = np.abs(decode_audio(sound)[:, 0])
    onset = int(np.argmax(audio > 0.25))
    assert abs(onset / 48000 - 1.5) < 0.006


def test_plan_concat_distinct_boundary_nothing_dropped(make_video: VideoFactory) -> None:
    a = make_video("a.mp4", duration=1.0)
    b = make_video("b.mp4", size="480x852", duration=1.0)  # same pattern restarts: frame 0 != 29
    plan = plan_concat([a, b], width=W, height=H, fps=FPS)
    assert plan.dropped_boundary_frames == (0,) and plan.frame_count == 60


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
def test_plan_concat_corrupt_segment_raises_naming_it(
    make_video: VideoFactory, tmp_path: Path, damage: str
) -> None:
    good = make_video("good.mp4", duration=0.5)
    bad = tmp_path / "bad_segment.mp4"
    if damage == "garbage":
        bad.write_bytes(np.random.default_rng(3).bytes(50_000))
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InvalidSegmentError) as caught:
        plan_concat([good, good, bad], width=W, height=H, fps=FPS)
    assert caught.value.index == 2 and caught.value.path == bad
    assert "segment 2" in str(caught.value) and "bad_segment.mp4" in str(caught.value)


def test_join_variable_frame_rate_and_4k_inputs(make_video: VideoFactory,
                                                tmp_path: Path) -> None:
    # A variable-frame-rate segment: frames kept at irregular times, timestamps preserved.
    vfr = tmp_path / "vfr.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}:rate=30:duration=1.5",
                "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration=1.5",
                "-vf", "select='not(mod(n\\,3))+not(mod(n\\,5))',setpts=PTS",
                "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                str(vfr)])
    vfr_info = probe(vfr, count_frames=True)
    assert vfr_info.video is not None and vfr_info.video.frames is not None
    assert vfr_info.video.frames < 45  # frames really are missing: the rate varies
    big = make_video("uhd.mp4", size="3840x2160", duration=0.5)
    plan, video, sound = _join([vfr, big], tmp_path)
    # The VFR segment is retimed to a constant rate over its video's real duration (its last
    # frame at 1.4 s, shown for one frame), the 4K one scaled down to the output size.
    assert vfr_info.video.duration is not None
    vfr_frames = round(vfr_info.video.duration * FPS)
    assert vfr_frames in (43, 44, 45)
    assert plan.frame_count == vfr_frames + 15
    assert plan.segment_offsets_s == pytest.approx((0.0, vfr_frames / FPS))
    info = probe(video, count_frames=True)
    assert info.video is not None and info.video.frames == plan.frame_count
    assert (info.video.width, info.video.height) == (W, H)
    samples = decode_audio(sound, channels=2)
    assert len(samples) == round(plan.frame_count / FPS * 48000)


@pytest.mark.parametrize("copies", [1, 2])
def test_plan_concat_segment_ends_read_earlier_give_the_same_plan(
    source_frames: Path, tmp_path: Path, copies: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ends read when the segments arrived (saved, loaded back) decide the join exactly as
    reading them in plan_concat does, and no segment is decoded again for them."""
    a = _cut(source_frames, tmp_path / "a.mp4", 0, 44)
    b = _cut(source_frames, tmp_path / "b.mp4", 44, 89, copies=copies - 1)
    cold = plan_concat([a, b], width=W, height=H, fps=FPS)
    size = analysis_size(W, H)
    loaded = []
    for i, seg in enumerate((a, b)):
        ends = read_segment_ends(i, seg, width=W, height=H)
        assert ends.head.shape == (HEAD_FRAMES, size[1], size[0]) and len(ends.tail) >= 4
        ends.save(tmp_path / f"{i}.npz", source=seg)
        loaded.append(SegmentEnds.load(tmp_path / f"{i}.npz", source=seg, size=size))
    reads: list[Path] = []
    probes: list[Path] = []
    real, real_probe = concat_module.read_gray_frames, concat_module.probe
    monkeypatch.setattr(concat_module, "read_gray_frames",
                        lambda path, **kw: reads.append(path) or real(path, **kw))
    monkeypatch.setattr(concat_module, "probe",
                        lambda path, **kw: probes.append(path) or real_probe(path, **kw))
    warm = plan_concat([a, b], width=W, height=H, fps=FPS, ends=loaded)
    assert warm == cold and warm.dropped_boundary_frames == (copies,)
    assert reads == [] and probes == []  # the probes kept with the ends serve the plan
    # Only the segment without ends of its own is read (its head: it is the second), and
    # probed.
    plan_concat([a, b], width=W, height=H, fps=FPS, ends=[loaded[0], None])
    assert reads == [b] and probes == [b]


def test_segment_ends_load_refuses_other_content_size_and_damage(
    make_video: VideoFactory, tmp_path: Path
) -> None:
    a = make_video("a.mp4", duration=0.5)
    other = make_video("other.mp4", duration=0.6)
    size = analysis_size(W, H)
    saved = tmp_path / "a.npz"
    read_segment_ends(0, a, width=W, height=H).save(saved, source=a)
    assert SegmentEnds.load(saved, source=a, size=size) is not None
    moved = tmp_path / "moved.mp4"  # the same content elsewhere: its probe names it there
    moved.write_bytes(a.read_bytes())
    kept = SegmentEnds.load(saved, source=moved, size=size)
    assert kept is not None and kept.info is not None
    assert kept.info == replace(probe(a), path=moved)
    assert SegmentEnds.load(saved, source=other, size=size) is None  # another segment now
    assert SegmentEnds.load(saved, source=a, size=analysis_size(W, 2 * H)) is None
    assert SegmentEnds.load(tmp_path / "missing.npz", source=a, size=size) is None
    saved.write_bytes(saved.read_bytes()[:100])
    assert SegmentEnds.load(saved, source=a, size=size) is None


def test_plan_concat_refuses_more_ends_than_segments(make_video: VideoFactory) -> None:
    a = make_video("a.mp4", duration=0.5)
    with pytest.raises(ValueError, match="more segment ends"):
        plan_concat([a], width=W, height=H, fps=FPS, ends=[None, None])


def test_read_segment_ends_names_a_broken_segment(tmp_path: Path) -> None:
    bad = tmp_path / "seg_03.mp4"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(InvalidSegmentError) as caught:
        read_segment_ends(3, bad, width=W, height=H)
    assert caught.value.index == 3 and caught.value.path == bad
