"""Render the offline demo: three keyframes and two segments of the serum ad.

Uses only the ``local`` providers (no network)::

    .venv/bin/python examples/render_demo.py [out_dir] [WIDTHxHEIGHT] [fps]

Writes ``kf_00.png`` (the anchor), ``kf_01.png``, ``kf_02.png`` with their layout sidecars and
``seg_00.mp4``, ``seg_01.mp4`` (voiced with the local voice), and prints the timings.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ugen.catalog import find_persona, voices
from ugen.providers.base import KeyframeRequest, KeyframeShot, SegmentRequest
from ugen.providers.local.keyframes import LocalKeyframeProvider
from ugen.providers.local.segments import LocalVideoProvider
from ugen.providers.local.voice import LocalVoiceProvider

HERE = Path(__file__).parent

SHOTS = (
    KeyframeShot(0, "medium close-up", "eye level", "delighted", "holding product up to camera",
                 "creator shows the serum to camera in a bright bathroom"),
    KeyframeShot(1, "medium", "slightly high", "curious", "pointing at label",
                 "creator points at the label"),
    KeyframeShot(2, "wide", "eye level", "confident", "placing product on counter",
                 "serum stands on the vanity next to the creator"),
)
LINES = (
    "Okay, this vitamin C serum is honestly unreal.",
    "Fifteen percent vitamin C, and my skin is glowing.",
)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/ugen_demo")
    size = sys.argv[2] if len(sys.argv) > 2 else "1080x1920"
    fps = int(sys.argv[3]) if len(sys.argv) > 3 else 24
    width, height = (int(v) for v in size.lower().split("x"))
    out.mkdir(parents=True, exist_ok=True)
    persona = find_persona("maya")
    assert persona is not None
    voice = voices()[persona.voice_id]
    product = HERE / "serum-bottle.png"

    keyframes = LocalKeyframeProvider()
    paths: list[Path] = []
    for shot in SHOTS:
        request = KeyframeRequest(
            shot=shot, product_image=product, anchor=paths[0] if paths else None,
            persona=persona, width=width, height=height, interaction_mode="holdable",
            environment_description="bright bathroom vanity", seed=42_000 + shot.index,
            out_path=out / f"kf_{shot.index:02d}.png",
        )
        start = time.perf_counter()
        paths.append(keyframes.generate_keyframe(request))
        print(f"{paths[-1]}  {time.perf_counter() - start:.2f} s")

    video = LocalVideoProvider(LocalVoiceProvider(), out / "tasks")
    for index, line in enumerate(LINES):
        segment = SegmentRequest(
            index=index, first_frame=paths[index], last_frame=paths[index + 1],
            prompt="slow push-in, then move to the next shot", spoken_line=line, language="en",
            voice=voice, duration_s=8.0, width=width, height=height, fps=fps,
            model_id="local", sound=True, seed=42_000 + index,
            out_path=out / f"seg_{index:02d}.mp4",
        )
        task = video.submit(segment)
        start = time.perf_counter()
        result = video.poll(task)
        print(f"{result.output or result.error}  {result.state}  "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
