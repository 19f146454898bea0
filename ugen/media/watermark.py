"""The brand-kit watermark: the account's logo drawn over the ad in the one final encode.

The logo (always a PNG: an SVG is rasterised when uploaded) is prepared here, before the
encode, at its exact pixel size with the opacity already in its alpha channel, so the
encoder's graph only converts it once to BT.709 YUV with alpha and ``overlay``\\ s it at a
fixed position: no scaling or blending maths of its own, and no second encode.

:class:`WatermarkSpec` is the placement a job keeps (a snapshot of the account's brand-kit
settings taken when the job was created, beside a copy of the logo), so a later change of the
logo or of the settings never changes what a retry of that job draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from ugen.media.files import atomic_output
from ugen.media.filters import chain

Position = Literal["top_left", "top_right", "bottom_left", "bottom_right", "center"]
POSITIONS: tuple[Position, ...] = ("top_left", "top_right", "bottom_left", "bottom_right",
                                   "center")

JOB_LOGO = "brand/logo.png"
"""A job's own copy of the account's logo (a name within the job's artifacts)."""
JOB_WATERMARK = "brand/watermark.json"
"""A job's own copy of the account's watermark settings (:class:`WatermarkSpec` as JSON)."""

MIN_SIZE, MAX_SIZE = 0.05, 0.4
"""The logo's width as a fraction of the video's width."""
MAX_MARGIN = 0.2
"""The gap between the logo and the frame's edges, as a fraction of the video's width."""


class WatermarkSpec(BaseModel):
    """Where and how the logo is drawn (the brand kit's settings)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    position: Position = "bottom_right"
    opacity: float = Field(default=0.8, ge=0.0, le=1.0, allow_inf_nan=False)
    """0 (invisible) to 1 (opaque), multiplied into the logo's own alpha."""
    size: float = Field(default=0.2, ge=MIN_SIZE, le=MAX_SIZE, allow_inf_nan=False)
    """The logo's width as a fraction of the video's width (its height keeps the aspect)."""
    margin: float = Field(default=0.04, ge=0.0, le=MAX_MARGIN, allow_inf_nan=False)
    """The gap to the nearest edges as a fraction of the video's width (both axes)."""


@dataclass(frozen=True)
class WatermarkOverlay:
    """A prepared logo: an RGBA PNG at its drawn size, and where its top-left corner goes."""

    png: Path
    x: int
    y: int
    width: int
    height: int


def _even(value: float) -> int:
    """Rounded down to an even number (yuv420p's chroma covers 2×2 pixels)."""
    return max(0, int(value) // 2 * 2)


def placement(spec: WatermarkSpec, logo_size: tuple[int, int], video_size: tuple[int, int]
              ) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of the logo on a ``video_size`` frame: even numbers, inside
    the frame (a tall logo is shrunk to fit the frame's height less its margins)."""
    vw, vh = video_size
    lw, lh = logo_size
    margin = _even(spec.margin * vw)
    width = max(2, _even(spec.size * vw))
    height = max(2, _even(width * lh / lw))
    room = vh - 2 * margin
    if height > room:  # a very tall logo: fit the height instead
        height = max(2, _even(room))
        width = max(2, _even(height * lw / lh))
    right, bottom = _even(vw - margin - width), _even(vh - margin - height)
    x, y = {"top_left": (margin, margin), "top_right": (right, margin),
            "bottom_left": (margin, bottom), "bottom_right": (right, bottom),
            "center": (_even((vw - width) / 2), _even((vh - height) / 2))}[spec.position]
    return x, y, width, height


def prepare_overlay(logo: Path, spec: WatermarkSpec, video_size: tuple[int, int],
                    out: Path) -> WatermarkOverlay:
    """Write ``logo`` resized for a ``video_size`` frame, with ``spec.opacity`` multiplied
    into its alpha, as the RGBA PNG ``out``; return it with its position.

    Raises:
        PIL.UnidentifiedImageError, OSError: ``logo`` is not a readable image.
    """
    drawn, x, y = _drawn(logo, spec, video_size)
    with atomic_output(out) as tmp:
        drawn.save(tmp, format="PNG")
    return WatermarkOverlay(png=out, x=x, y=y, width=drawn.width, height=drawn.height)


def _drawn(logo: Path, spec: WatermarkSpec, video_size: tuple[int, int]
           ) -> tuple[Image.Image, int, int]:
    """The logo as drawn on a ``video_size`` frame (RGBA, opacity applied) and its place."""
    with Image.open(logo) as img:
        img.load()
        rgba = img.convert("RGBA")
    x, y, width, height = placement(spec, rgba.size, video_size)
    drawn = rgba.resize((width, height), Image.Resampling.LANCZOS)
    if spec.opacity < 1.0:
        drawn.putalpha(drawn.getchannel("A").point(lambda a: round(a * spec.opacity)))
    return drawn, x, y


def job_overlay(logo: Path, spec_json: Path, video_size: tuple[int, int],
                out: Path) -> WatermarkOverlay:
    """:func:`prepare_overlay` of a job's own copies of the logo and of its settings."""
    spec = WatermarkSpec.model_validate_json(spec_json.read_text(encoding="utf-8"))
    return prepare_overlay(logo, spec, video_size, out)


def overlay_input_args(watermark: WatermarkOverlay | None) -> list[str]:
    """The encoder's input of the prepared logo (one still picture), or nothing."""
    return [] if watermark is None else ["-i", str(watermark.png)]


def video_graph(source: str, before: list[str], after: list[str],
                watermark: WatermarkOverlay | None, input_index: int) -> list[str]:
    """The final encode's video chains, ending in ``[v]``: ``before`` (the join), the logo
    overlaid (input ``input_index``), then ``after`` (the captions, drawn over the logo).

    The logo's RGBA is converted to BT.709 limited-range YUV with alpha, like the frames it is
    drawn on; ``overlay`` repeats its single picture to the end of the video.
    """
    if watermark is None:
        return [f"{source}{chain([*before, *after] or ['null'])}[v]"]
    logo = chain(["scale=out_color_matrix=bt709:out_range=tv", "format=yuva420p"])
    over = (f"overlay=x={watermark.x}:y={watermark.y}:format=yuv420:eof_action=repeat"
            ":repeatlast=1")
    return [f"{source}{chain(before or ['null'])}[base]",
            f"[{input_index}:v:0]{logo}[logo]",
            f"[base][logo]{chain([over, *after])}[v]"]


def preview_frame(logo: Path, spec: WatermarkSpec, video_size: tuple[int, int] = (1080, 1920),
                  shown_width: int = 270) -> Image.Image:
    """A picture of where and how ``logo`` is drawn on a ``video_size`` frame (a neutral
    gradient standing in for the ad), ``shown_width`` pixels wide."""
    vw, vh = video_size
    column = Image.linear_gradient("L").resize((vw, vh))
    frame = Image.merge("RGB", (column, column.point(lambda v: v // 2 + 60),
                                column.point(lambda v: 200 - v // 2))).convert("RGBA")
    drawn, x, y = _drawn(logo, spec, video_size)
    frame.alpha_composite(drawn, (x, y))
    return frame.convert("RGB").resize((shown_width, round(shown_width * vh / vw)),
                                       Image.Resampling.LANCZOS)
