"""The three caption looks and their ASS styles.

* ``tiktok_karaoke``: bold white words with a thick black outline; the spoken word turns
  yellow.
* ``word_pop``: as above, and the spoken word also grows (``\\fscx``/``\\fscy``) and turns
  green.
* ``boxed_highlight``: white outlined words; the spoken word sits on a coloured box, drawn
  on a layer *below* the text in a ``BorderStyle=3`` style where all glyphs and every other
  word's box are fully transparent (so neighbouring glyphs are never covered, even in CJK
  lines without spaces).

Sizes (outline, box padding) are fractions of the font size so a group shrunk to fit keeps
its proportions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pysubs2

from ugen.captions.options import CaptionOptions, parse_hex_colour
from ugen.catalog import CAPTION_STYLES

BASE_STYLE = "Caption"
BOX_STYLE = "CaptionBox"


@dataclass(frozen=True)
class StyleSpec:
    """Defaults and geometry of one caption look."""

    name: str
    primary: str
    highlight: str
    outline: str
    outline_ratio: float  # outline width per pixel of (visual) font size
    shadow_ratio: float
    active_scale: float  # >1: the spoken word is drawn this much larger (word_pop)
    boxed: bool  # the spoken word is drawn on a box (second layer)
    box_padding_ratio: float = 0.0


STYLE_SPECS: dict[str, StyleSpec] = {
    "tiktok_karaoke": StyleSpec(
        "tiktok_karaoke", primary="#FFFFFF", highlight="#FFE600", outline="#000000",
        outline_ratio=0.085, shadow_ratio=0.03, active_scale=1.0, boxed=False,
    ),
    "word_pop": StyleSpec(
        "word_pop", primary="#FFFFFF", highlight="#3DFF5A", outline="#000000",
        outline_ratio=0.08, shadow_ratio=0.03, active_scale=1.18, boxed=False,
    ),
    "boxed_highlight": StyleSpec(
        "boxed_highlight", primary="#FFFFFF", highlight="#FF2D6F", outline="#000000",
        outline_ratio=0.07, shadow_ratio=0.0, active_scale=1.0, boxed=True,
        box_padding_ratio=0.14,
    ),
}
assert tuple(STYLE_SPECS) == CAPTION_STYLES


def style_spec(style: str) -> StyleSpec:
    """The spec of caption style ``style``; unknown names raise ``ValueError``."""
    spec = STYLE_SPECS.get(style)
    if spec is None:
        raise ValueError(
            f"unknown caption_style {style!r}; expected one of {', '.join(CAPTION_STYLES)}"
        )
    return spec


@dataclass(frozen=True)
class Palette:
    primary: str
    highlight: str
    outline: str


def palette(spec: StyleSpec, options: CaptionOptions) -> Palette:
    """The style's colours with the caller's overrides applied."""
    return Palette(
        primary=options.primary_colour or spec.primary,
        highlight=options.highlight_colour or spec.highlight,
        outline=options.outline_colour or spec.outline,
    )


def ass_colour(hex_colour: str) -> str:
    """``#RRGGBB`` as an override-tag colour ``&HBBGGRR&``."""
    r, g, b = parse_hex_colour(hex_colour)
    return f"&H{b:02X}{g:02X}{r:02X}&"


def _colour(hex_colour: str, alpha: int = 0) -> pysubs2.Color:
    r, g, b = parse_hex_colour(hex_colour)
    return pysubs2.Color(r, g, b, alpha)


_ALIGNMENT = {
    "bottom": pysubs2.Alignment.BOTTOM_CENTER,
    "middle": pysubs2.Alignment.MIDDLE_CENTER,
    "top": pysubs2.Alignment.TOP_CENTER,
}


def ass_styles(
    spec: StyleSpec,
    colours: Palette,
    *,
    family: str,
    font_size: int,
    position: str,
    margin_l: int,
    margin_r: int,
    margin_v: int,
    rtl: bool,
    script_scale: float = 1.0,
) -> dict[str, pysubs2.SSAStyle]:
    """The named ASS styles one caption file uses.

    ``Encoding=-1`` for right-to-left languages makes libass detect the paragraph direction
    (with the RLM each line starts with: right to left); with the default ``1`` libass lays
    lines out left to right and trailing punctuation lands on the wrong side.

    ``script_scale`` is how much ``font_size`` was enlarged for the script (see
    :func:`ugen.captions.builder.build_ass`); outline and box padding follow the visual size.
    """
    unit = font_size / script_scale
    base = pysubs2.SSAStyle(
        fontname=family,
        fontsize=float(font_size),
        bold=True,
        primarycolor=_colour(colours.primary),
        secondarycolor=_colour(colours.highlight),
        outlinecolor=_colour(colours.outline),
        backcolor=_colour("#000000", 0x80),
        borderstyle=1,
        outline=round(spec.outline_ratio * unit, 1),
        shadow=round(spec.shadow_ratio * unit, 1),
        alignment=_ALIGNMENT[position],
        marginl=margin_l,
        marginr=margin_r,
        marginv=margin_v,
        encoding=-1 if rtl else 1,
    )
    styles = {BASE_STYLE: base}
    if spec.boxed:
        styles[BOX_STYLE] = dataclasses.replace(
            base,
            secondarycolor=_colour(colours.primary),
            outlinecolor=_colour(colours.highlight),
            backcolor=_colour(colours.highlight, 0xFF),
            borderstyle=3,
            outline=round(spec.box_padding_ratio * unit, 1),
            shadow=0.0,
        )
    return styles
