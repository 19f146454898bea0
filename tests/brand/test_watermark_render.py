"""The watermark in the final encode: placement, the one graph, and the pixels drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.brand.conftest import LOGO_COLOUR
from ugen.media import render
from ugen.media.concat import plan_concat
from ugen.media.render import build_plan_render_args, build_stream_render_args, render_plan
from ugen.media.runner import ffmpeg_argv, run_capture, run_ffmpeg
from ugen.media.watermark import WatermarkOverlay, WatermarkSpec, placement, prepare_overlay

W = H = 320
FPS = 30
GREY = 128


def _grey_video(out: Path, seconds: float = 1.0) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=gray:size={W}x{H}:rate={FPS}:d={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)])
    return out


def _wav(out: Path, seconds: float = 1.0) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                str(out)])
    return out


def _logo(out: Path, size: tuple[int, int] = (200, 100)) -> Path:
    Image.new("RGBA", size, (*LOGO_COLOUR, 255)).save(out)
    return out


def _rgb_frame(video: Path, *, last: bool = False) -> np.ndarray:
    seek = ["-sseof", "-0.1"] if last else []
    raw, _ = run_capture(ffmpeg_argv([*seek, "-i", str(video), "-frames:v", "1", "-vf",
                                      "scale=in_color_matrix=bt709:in_range=tv,format=rgb24",
                                      "-f", "rawvideo", "pipe:1"]))
    return np.frombuffer(raw, np.uint8).reshape(H, W, 3).astype(int)


@pytest.mark.parametrize(("position", "expected"), [
    ("top_left", (16, 16)), ("top_right", (304 - 64, 16)), ("bottom_left", (16, 304 - 32)),
    ("bottom_right", (240, 272)), ("center", (128, 144))])
def test_placement_even_inside_the_frame(position: str, expected: tuple[int, int]) -> None:
    spec = WatermarkSpec.model_validate({"position": position, "size": 0.2, "margin": 0.05})
    x, y, w, h = placement(spec, (200, 100), (W, H))
    assert (w, h) == (64, 32) and (x, y) == expected
    tall = placement(spec.model_copy(update={"size": 0.4}), (10, 1000), (W, 200))
    assert tall[3] <= 200 - 2 * 16 and all(v % 2 == 0 for v in tall)


def test_bad_specs_refused() -> None:
    for bad in ({"opacity": 1.5}, {"size": 0.01}, {"size": 0.5}, {"margin": -0.1},
                {"position": "middle"}, {"opacity": float("nan")}, {"extra": 1}):
        with pytest.raises(ValueError):
            WatermarkSpec.model_validate(bad)


def test_both_encoders_take_the_logo_as_a_third_input_in_one_graph(tmp_path: Path) -> None:
    plan = plan_concat([_grey_video(tmp_path / "s.mp4")], width=W, height=H, fps=FPS)
    mark = WatermarkOverlay(png=Path("logo.png"), x=16, y=20, width=64, height=32)
    for args in (build_plan_render_args(plan, Path("a.wav"), Path("o.mp4"), preset="veryfast",
                                        crf=20, watermark=mark, subtitles=Path("c.ass")),
                 build_stream_render_args(plan, Path("l.txt"), Path("a.wav"), Path("o.mp4"),
                                          preset="veryfast", crf=20, watermark=mark,
                                          subtitles=Path("c.ass"))):
        assert args is not None
        inputs = [args[i + 1] for i, a in enumerate(args) if a == "-i"]
        assert inputs[1:] == ["a.wav", "logo.png"]
        assert args.count("-c:v") == 1 and args.count("-filter_complex") == 1
        graph = args[args.index("-filter_complex") + 1]
        assert "[2:v:0]scale=out_color_matrix=bt709:out_range=tv,format=yuva420p[logo]" in graph
        # the captions are drawn after (over) the logo, in the same chain
        assert "[base][logo]overlay=x=16:y=20:format=yuv420" in graph
        assert graph.index("overlay=") < graph.index("ass=")
    plain = build_plan_render_args(plan, Path("a.wav"), Path("o.mp4"), preset="veryfast",
                                   crf=20)
    assert "overlay" not in plain[plain.index("-filter_complex") + 1]


@pytest.mark.parametrize("fed", [False, True], ids=["one-stream", "frame-fed"])
def test_logo_pixels_at_the_chosen_corner(tmp_path: Path, fed: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if fed:  # the fallback: segments decoded apart and fed to the encoder
        monkeypatch.setattr(render, "build_stream_render_args", lambda *a, **k: None)
    plan = plan_concat([_grey_video(tmp_path / "s.mp4")], width=W, height=H, fps=FPS)
    spec = WatermarkSpec(position="top_right", opacity=1.0, size=0.25, margin=0.05)
    half = WatermarkSpec(position="bottom_left", opacity=0.5, size=0.25, margin=0.05)
    out = render_plan(plan, _wav(tmp_path / "a.wav"), tmp_path / "o.mp4",
                      watermark=prepare_overlay(_logo(tmp_path / "l.png"), spec, (W, H),
                                                tmp_path / "p.png"))
    x, y, w, h = placement(spec, (200, 100), (W, H))
    assert (x, y, w, h) == (224, 16, 80, 40)
    for frame in (_rgb_frame(out, last=True), _rgb_frame(out)):  # the still lasts to the end
        inside = frame[y + 4:y + h - 4, x + 4:x + w - 4].reshape(-1, 3).mean(axis=0)
        assert np.abs(inside - np.array(LOGO_COLOUR)).max() < 12, inside
    outside = frame[y + h + 8:, :x - 8].reshape(-1, 3).mean(axis=0)
    assert np.abs(outside - GREY).max() < 6, outside

    out = render_plan(plan, _wav(tmp_path / "a.wav"), tmp_path / "h.mp4",
                      watermark=prepare_overlay(_logo(tmp_path / "l.png"), half, (W, H),
                                                tmp_path / "q.png"))
    frame = _rgb_frame(out)
    x, y, w, h = placement(half, (200, 100), (W, H))
    blend = frame[y + 4:y + h - 4, x + 4:x + w - 4].reshape(-1, 3).mean(axis=0)
    want = (np.array(LOGO_COLOUR) + GREY) / 2
    assert np.abs(blend - want).max() < 14, (blend, want)
