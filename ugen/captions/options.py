"""The caller's caption settings (the product's ``custom_caption_options``), validated.

Every field is optional: ``None`` means "the caption style's default". Colours are ``#RRGGBB``
strings; ``font_size`` is in pixels *at a short frame side of 1080* and is scaled to the real
output size, so the same options look the same in a 540x960 preview and a 1080x1920 final.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Position = Literal["bottom", "middle", "top"]

_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

MIN_FONT_SIZE = 16
MAX_FONT_SIZE = 200
REFERENCE_SHORT_SIDE = 1080
"""``CaptionOptions.font_size`` is given for a frame whose short side is this many pixels."""


class CaptionOptions(BaseModel):
    """Custom caption options; unknown keys and malformed values are rejected.

    Attributes:
        font_size: pixel size at a 1080-pixel short side (scaled to the output), or ``None``
            for the style default (about 7 % of the short side).
        primary_colour: colour of the words not being spoken (``#RRGGBB``).
        highlight_colour: colour of the spoken word, or of its box for ``boxed_highlight``.
        outline_colour: colour of the text outline.
        position: where the caption block sits: ``bottom`` (above the platform UI),
            ``middle`` or ``top``.
        uppercase: show the words in capitals.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    font_size: int | None = Field(default=None, ge=MIN_FONT_SIZE, le=MAX_FONT_SIZE)
    primary_colour: str | None = None
    highlight_colour: str | None = None
    outline_colour: str | None = None
    position: Position = "bottom"
    uppercase: bool = False

    @field_validator("primary_colour", "highlight_colour", "outline_colour")
    @classmethod
    def _check_colour(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _HEX_COLOUR.fullmatch(value):
            raise ValueError(f"colour must look like #RRGGBB, got {value!r}")
        return value.upper()


def parse_hex_colour(value: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as an (r, g, b) tuple."""
    if not _HEX_COLOUR.fullmatch(value):
        raise ValueError(f"colour must look like #RRGGBB, got {value!r}")
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)
