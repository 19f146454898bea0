"""Real media for the fakes: the local segment renderer between the two given frames, speaking
the prompt's quoted line when the vendor was asked for sound (native audio)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from ugen import catalog
from ugen.providers.base import SegmentRequest
from ugen.providers.local.segments import render_segment
from ugen.providers.local.voice import LocalVoiceProvider


def decode_image(data: bytes) -> Image.Image:
    """The image in ``data``; raises ValueError when it is not a PNG or JPEG."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except OSError as err:
        raise ValueError(f"not an image: {err}") from err
    if image.format not in ("PNG", "JPEG"):
        raise ValueError(f"image format {image.format} is not jpg or png")
    return image


_QUOTED = re.compile(r'"([^"]+)"')


def spoken_line(prompt: str) -> str:
    """The dialogue a video model would speak: the prompt's last quoted text, or nothing."""
    found = _QUOTED.findall(prompt)
    return found[-1].strip() if found else ""


def render_between(first: bytes, last: bytes, *, duration_s: int, fps: int,
                   out_path: Path, speech: str = "") -> Path:
    """An MP4 of ``duration_s`` at the first image's size, from ``first`` to ``last``; its
    audio speaks ``speech`` (offline voice), or is silent."""
    work = out_path.with_suffix("")
    work.mkdir(parents=True, exist_ok=True)
    a, b = work / "first.png", work / "last.png"
    for data, path in ((first, a), (last, b)):
        decode_image(data).convert("RGB").save(path)
    with Image.open(a) as img:
        width, height = img.size
    request = SegmentRequest(
        index=0, first_frame=a, last_frame=b, prompt="", spoken_line=speech, language="en",
        voice=next(iter(catalog.voices().values())), duration_s=float(duration_s),
        width=width - width % 2, height=height - height % 2, fps=fps, model_id="fake",
        sound=bool(speech), seed=0, out_path=out_path)
    return render_segment(request, LocalVoiceProvider())  # the offline provider's renderer
