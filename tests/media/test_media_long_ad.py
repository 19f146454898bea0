"""A 60-second ad of 10 segments through the stages' media path (small pictures: the point
is length), one segment without audio among them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from media_kit import FAST_H264, decode_audio

from ugen.media.concat import join_audio, plan_concat
from ugen.media.loudness import mean_volume_db
from ugen.media.probe import probe
from ugen.media.render import render_plan, verify_output
from ugen.media.runner import run_ffmpeg

W, H, FPS, SEGMENTS, SECONDS = 96, 170, 30, 10, 6


def _segment(out: Path, index: int, *, audio: bool) -> Path:
    """Frames 180*index.. of one continuous testsrc2, so the joins run on smoothly."""
    first = index * SECONDS * FPS
    src = (f"testsrc2=size={W}x{H}:rate={FPS},"
           f"trim=start_frame={first}:end_frame={first + SECONDS * FPS},setpts=PTS-STARTPTS")
    args = ["-f", "lavfi", "-i", src]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={300 + 40 * index}:duration={SECONDS}",
                 "-c:a", "aac", "-ac", "2"]
    run_ffmpeg([*args, *FAST_H264, "-pix_fmt", "yuv420p", "-shortest", str(out)])
    return out


def test_render_plan_sixty_second_ten_segment_ad_exact(tmp_path: Path) -> None:
    segments = [_segment(tmp_path / f"s{i}.mp4", i, audio=i != 3) for i in range(SEGMENTS)]
    plan = plan_concat(segments, width=W, height=H, fps=FPS)
    native = join_audio(plan, tmp_path / "native.wav")
    out = render_plan(plan, native, tmp_path / "final.mp4")

    assert plan.frame_count == SEGMENTS * SECONDS * FPS and plan.duration_s == 60.0
    assert plan.dropped_boundary_frames == (0,) * 9 and plan.transition_frames == (0,) * 9
    assert plan.segment_offsets_s == tuple(float(i * SECONDS) for i in range(SEGMENTS))
    assert len(decode_audio(native, channels=2)) == 60 * 48000
    info = verify_output(out, width=W, height=H, expected_duration_s=60.0, fps=FPS)
    counted = probe(out, count_frames=True).video
    assert counted is not None and counted.frames == 1800
    assert info.audio is not None and info.audio.duration is not None
    assert abs(info.audio.duration - 60.0) <= 1 / FPS
    # the segment without audio is silent on the timeline, its neighbours are not
    assert mean_volume_db(native, 18.2, 23.8) < -80
    assert mean_volume_db(native, 12.2, 17.8) > -30 and mean_volume_db(native, 24.2, 29.8) > -30
    samples = np.abs(decode_audio(native)[:, 0])
    assert samples[int(59.5 * 48000):].max() > 0.1  # the last segment's tone reaches the end
