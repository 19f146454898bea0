"""Benchmark: what Content Credentials cost the `complete` stage on a final-size video.

A final-like MP4 (1080x1920, 30 fps, H.264 at the settings' x264 preset and CRF with
``+faststart``, AAC 48 kHz stereo; testsrc2 pictures and a tone) is encoded once and timed as
the reference. Then, each ``--repeat`` times:

    signer    ensure_signer: the installation's credential read from the data dir (the first
              call, which makes it, is reported apart as ``signer_first``);
    sign      sign_video: the C2PA library hashes the whole file and writes the signed copy;
    read      read_manifest: the library reads the manifest back and validates it (a second
              hash of the file);
    stage     sign_and_check: sign plus read, what the `complete` stage adds.

    .venv/bin/python benchmarks/provenance.py                  # 30 s
    .venv/bin/python benchmarks/provenance.py --seconds 60 --repeat 3

The table gives medians; the last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1080, 1920, 30


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import os

    from ugen.core.config import Settings
    from ugen.media.probe import probe
    from ugen.media.provenance import ensure_signer, read_manifest, sign_and_check, sign_video
    from ugen.media.runner import run_ffmpeg

    with tempfile.TemporaryDirectory(prefix="ugen-provenance-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["UGEN_DATA_DIR"] = str(tmp / "data")
        settings = Settings()
        src = tmp / "final.mp4"
        seconds = args.seconds
        encode_s = _timed(lambda: run_ffmpeg([
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
            "-c:v", "libx264", "-preset", settings.x264_preset, "-crf", str(settings.x264_crf),
            "-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2",
            "-movflags", "+faststart", str(src)]))
        size_mb = src.stat().st_size / 1e6
        first_s = _timed(lambda: ensure_signer(settings))
        creds = ensure_signer(settings)
        out = tmp / "signed.mp4"
        runs: dict[str, list[float]] = {"signer": [], "sign": [], "read": [], "stage": []}
        for _ in range(args.repeat):
            runs["signer"].append(_timed(lambda: ensure_signer(settings)))
            runs["sign"].append(_timed(lambda: sign_video(src, out, creds, title="bench")))
            runs["read"].append(_timed(lambda: read_manifest(out)))
            out.unlink()
            runs["stage"].append(_timed(lambda: sign_and_check(src, out, creds, title="b")))
            out.unlink()
        sign_and_check(src, out, creds, title="bench")
        before, after = probe(src, count_frames=True), probe(out, count_frames=True)
        assert before.video is not None and after.video is not None
        assert (after.duration, after.video.frames) == (before.duration, before.video.frames)
        added_kb = (out.stat().st_size - src.stat().st_size) / 1e3

    medians = {name: statistics.median(values) for name, values in runs.items()}
    print(f"\n{seconds:g} s, {WIDTH}x{HEIGHT} @ {FPS} fps, {size_mb:.1f} MB; "
          f"encode {encode_s:.1f} s (x264 {settings.x264_preset}, CRF {settings.x264_crf})")
    print(f"{'step':<14}{'median s':>10}{'min s':>10}{'% of encode':>14}")
    print(f"{'signer_first':<14}{first_s:>10.3f}{first_s:>10.3f}"
          f"{100 * first_s / encode_s:>14.2f}")
    for name, values in runs.items():
        print(f"{name:<14}{medians[name]:>10.3f}{min(values):>10.3f}"
              f"{100 * medians[name] / encode_s:>14.2f}")
    print(f"manifest adds {added_kb:.1f} kB; duration and frame count unchanged")
    print(json.dumps({
        "benchmark": "provenance", "seconds": seconds, "width": WIDTH, "height": HEIGHT,
        "fps": FPS, "size_mb": round(size_mb, 2), "encode_s": round(encode_s, 3),
        "signer_first_s": round(first_s, 4),
        **{f"{name}_s": round(value, 4) for name, value in medians.items()},
        "stage_share_of_encode": round(medians["stage"] / encode_s, 5),
        "manifest_kb": round(added_kb, 1), "repeat": args.repeat}))


if __name__ == "__main__":
    main()
