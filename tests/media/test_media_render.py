"""The final encode, the poster and the delivery checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_kit import FAST_H264, FPS, H, VideoFactory, W, decode_audio, decode_gray

from ugen.media.concat import plan_concat
from ugen.media.errors import InvalidMediaError
from ugen.media.filters import filter_value
from ugen.media.probe import probe
from ugen.media.render import extract_poster, render_plan, verify_output
from ugen.media.runner import ffmpeg_argv, run_capture, run_ffmpeg
from ugen.media.subtitle_colours import bt601_input, for_bt709_frames
from ugen.media.verify import is_faststart

FONTS = Path("/usr/share/fonts/truetype/dejavu")
ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 568

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, \
Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,48,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,1,0,0,0,100,100,\
0,0,1,3,0,2,10,10,60,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,BUY NOW
"""


def _solid(out: Path, color: str, seconds: float, size: str = f"{W}x{H}") -> Path:
    """An untagged (so BT.601 by convention) yuv420p video of one colour."""
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c={color}:size={size}:rate={FPS}:d={seconds}",
                *FAST_H264, "-pix_fmt", "yuv420p", str(out)])
    return out


def _wav(out: Path, seconds: float) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}",
                str(out)])
    return out


def _render(video: Path, audio: Path, out: Path, *, subtitles: Path | None = None) -> Path:
    """``video`` rendered alone, as the pipeline renders a one-segment ad."""
    plan = plan_concat([video], width=W, height=H, fps=FPS)
    return render_plan(plan, audio, out, subtitles=subtitles,
                       fonts_dir=None if subtitles is None else FONTS)


def _first_frame_yuv(path: Path) -> tuple[float, float, float]:
    """Mean Y, U, V of the first frame, raw code values (no conversion)."""
    out, _ = run_capture(ffmpeg_argv(["-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                                      "-pix_fmt", "yuv420p", "pipe:1"]))
    y = np.frombuffer(out[: W * H], np.uint8)
    u = np.frombuffer(out[W * H: W * H * 5 // 4], np.uint8)
    v = np.frombuffer(out[W * H * 5 // 4:], np.uint8)
    return float(y.mean()), float(u.mean()), float(v.mean())


def test_render_plan_subtitled_output_passes_verification(tmp_path: Path) -> None:
    weird = tmp_path / "caps: it's [v1], final; C\\x"
    weird.mkdir()
    subs = weird / "subs.ass"
    subs.write_text(ASS)
    video, audio = _solid(tmp_path / "v.mp4", "gray", 2.0), _wav(tmp_path / "a.wav", 2.0)
    plain = _render(video, audio, tmp_path / "plain.mp4")
    # the captions are rewritten beside the output: the filtergraph names that odd folder
    out = _render(video, audio, weird / "final.mp4", subtitles=subs)

    info = verify_output(out, width=W, height=H, expected_duration_s=2.0, fps=FPS)
    assert info.video is not None and info.video.profile == "High"
    assert (info.video.color_space, info.video.color_primaries,
            info.video.color_transfer) == ("bt709", "bt709", "bt709")
    assert is_faststart(out)
    assert sorted(p.name for p in weird.iterdir()) == ["final.mp4", "subs.ass"]
    assert not list(tmp_path.glob(".*tmp*"))
    # the caption is drawn in the lower part during its first second only
    with_caps, without = decode_gray(out), decode_gray(plain)
    lower = slice(H - 160, H - 40)
    assert np.abs(with_caps[10, lower] - without[10, lower]).mean() > 10
    assert np.abs(with_caps[10, :200] - without[10, :200]).mean() < 2
    assert np.abs(with_caps[45, lower] - without[45, lower]).mean() < 2


def test_render_plan_pixels_converted_to_bt709(tmp_path: Path) -> None:
    video = _solid(tmp_path / "red.mp4", "red", 0.5)
    y601, _, _ = _first_frame_yuv(video)
    assert y601 == pytest.approx(81, abs=2)  # BT.601 red
    out = _render(video, _wav(tmp_path / "a.wav", 0.5), tmp_path / "o.mp4")
    y, u, v = _first_frame_yuv(out)
    assert [y, u, v] == pytest.approx([63, 102, 240], abs=2)  # BT.709 limited-range red


def test_render_plan_long_audio_cut_to_video(make_video: VideoFactory, tmp_path: Path) -> None:
    video = make_video("v.mp4", size="640x360", fps=24, duration=1.5, audio=None)
    out = _render(video, _wav(tmp_path / "a.wav", 4.0), tmp_path / "o.mp4")
    info = verify_output(out, width=W, height=H, expected_duration_s=1.5, fps=FPS)
    assert info.audio is not None and info.audio.duration is not None
    assert abs(info.audio.duration - 1.5) <= 1 / FPS
    assert abs(len(decode_audio(out)) / 48000 - 1.5) <= 1 / FPS


def test_render_plan_short_audio_padded_to_video(make_video: VideoFactory,
                                                 tmp_path: Path) -> None:
    video = make_video("v.mp4", duration=2.0, audio=None)
    out = _render(video, _wav(tmp_path / "a.wav", 0.5), tmp_path / "o.mp4")
    verify_output(out, width=W, height=H, expected_duration_s=2.0, fps=FPS)
    samples = decode_audio(out)[:, 0]
    assert np.abs(samples[: 24000]).max() > 0.05 and np.abs(samples[36000:]).max() < 0.01


def test_extract_poster_jpeg_matches_frame(make_video: VideoFactory, tmp_path: Path) -> None:
    video = make_video("v.mp4", duration=2.0, audio=None)
    poster = extract_poster(video, tmp_path / "poster.jpg", at_s=1.0)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"
    info = probe(poster)
    assert info.video is not None and info.video.codec == "mjpeg"
    assert (info.video.width, info.video.height) == (W, H)
    frames, shot = decode_gray(video), decode_gray(poster)[0]
    errors = [np.abs(shot - frames[k]).mean() for k in (15, 30, 45)]
    assert errors[1] < 3 and errors[1] < min(errors[0], errors[2])


def test_extract_poster_time_past_end_clamped(make_video: VideoFactory, tmp_path: Path) -> None:
    video = make_video("v.mp4", duration=1.0, audio=None)
    poster = extract_poster(video, tmp_path / "poster.jpg", at_s=10.0)
    assert poster.stat().st_size > 1000


def test_verify_output_not_faststart_rejected(tmp_path: Path) -> None:
    video, audio = _solid(tmp_path / "v.mp4", "blue", 1.0), _wav(tmp_path / "a.wav", 1.0)
    out = _render(video, audio, tmp_path / "o.mp4")
    slow = tmp_path / "slow.mp4"
    run_ffmpeg(["-i", str(out), "-c", "copy", "-movflags", "-faststart", str(slow)])
    with pytest.raises(InvalidMediaError, match="moov box is not before mdat"):
        verify_output(slow, width=W, height=H, expected_duration_s=1.0, fps=FPS)


def test_verify_output_wrong_expectations_all_listed(tmp_path: Path) -> None:
    video = _solid(tmp_path / "v.mp4", "blue", 1.0)  # no audio, no tags, not faststart
    with pytest.raises(InvalidMediaError) as caught:
        verify_output(video, width=1080, height=1920, expected_duration_s=3.0, fps=FPS)
    message = str(caught.value)
    for reason in ("size 320x568, not 1080x1920", "expected 3.000 s", "no audio stream",
                   "colour tags", "moov box"):
        assert reason in message


def _yuv444(path: Path, frame: int) -> np.ndarray:
    """Frame ``frame`` as (Y, U, V) planes at full size, raw code values."""
    out, _ = run_capture(ffmpeg_argv(["-i", str(path), "-vf", f"select=eq(n\\,{frame})",
                                      "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv444p",
                                      "pipe:1"]))
    return np.frombuffer(out, np.uint8).reshape(3, H, W).astype(np.float32)


def test_for_bt709_frames_colours_compensated_alpha_kept() -> None:
    assert bt601_input((255, 255, 255)) == (255, 255, 255) and bt601_input((0, 0, 0)) == (0, 0, 0)
    assert bt601_input((128, 128, 128)) == (128, 128, 128)
    text = r"Style: A,F,48,&H0000FFFF,&H80FFFFFF {\c&H00FFFF&\1a&HFF&}"
    assert for_bt709_frames(text) == r"Style: A,F,48,&H000BFFFD,&H80FFFFFF {\c&H0BFFFD&\1a&HFF&}"


def _captioned_in_rgb(video: Path, subs: Path, out: Path) -> Path:
    """``video`` with ``subs`` drawn on RGB frames and converted to BT.709 (the colours libass
    means), nearly losslessly: the reference for captions drawn on the YUV frames."""
    vf = ["format=rgb24", f"ass=filename={filter_value(str(subs))}"
          f":fontsdir={filter_value(str(FONTS))}", "scale=out_color_matrix=bt709:out_range=tv",
          "format=yuv444p"]
    run_ffmpeg(["-i", str(video), "-vf", ",".join(vf), "-c:v", "libx264", "-preset",
                "ultrafast", "-qp", "0", str(out)])
    return out


def test_render_plan_two_segments_captioned_in_bt709(tmp_path: Path) -> None:
    subs = tmp_path / "subs.ass"
    subs.write_text(ASS.replace("&H00FFFFFF", "&H0000FFFF"))  # a yellow caption
    red, gray = _solid(tmp_path / "red.mp4", "red", 0.5), _solid(tmp_path / "g.mp4", "gray", 1.0)
    audio = _wav(tmp_path / "a.wav", 1.5)
    plan = plan_concat([red, gray], width=W, height=H, fps=FPS)
    out = render_plan(plan, audio, tmp_path / "direct.mp4", subtitles=subs, fonts_dir=FONTS)
    plain = render_plan(plan, audio, tmp_path / "plain.mp4")
    via = _captioned_in_rgb(plain, subs, tmp_path / "via.mp4")

    info = verify_output(out, width=W, height=H, expected_duration_s=plan.duration_s, fps=FPS)
    assert info.video is not None and info.video.profile == "High"
    counted = probe(out, count_frames=True).video
    assert counted is not None and counted.frames == plan.frame_count == 45
    assert plan.transition_frames == (4,)  # red to gray is a jump: crossfaded
    assert len(decode_audio(out)) == pytest.approx(1.5 * 48000, abs=1024)
    # BT.709 limited-range red above the caption
    above = _yuv444(out, 0)[:, : H - 200].mean(axis=(1, 2))
    assert list(above) == pytest.approx([63, 102, 240], abs=2)
    # the caption drawn on YUV has the colour the RGB path gives it
    lower = (slice(None), slice(H - 160, H - 40))
    caption, expected = _yuv444(out, 20)[lower], _yuv444(via, 20)[lower]
    assert np.abs(caption - expected).mean(axis=(1, 2)).max() < 2.0
    assert expected[1].min() < 60  # yellow really is there: low U
