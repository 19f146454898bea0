"""Persona pictures for the new-ad form: the offline provider's own persona illustration.

Each persona is drawn with the same figure the local keyframes use (its skin, hair and top
colours, its hair style and outfit), head and shoulders on a soft tint of its top colour, so
the picture a user chooses is the presenter the offline ads show.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image

from ugen import catalog
from ugen.providers.local._color import hex_to_rgb, mix
from ugen.providers.local._figure import draw_body, figure_style
from ugen.providers.local._layout import Expression, Layout, ShotSpec

SIZE = 240


def _layout(size: int) -> Layout:
    spec = ShotSpec(closeness=3, product_focus=False, angle=0, placement="surface",
                    gesture="none", expression=Expression("smile", "neutral", "open", 3.0))
    return Layout(width=size, height=size, spec=spec, horizon=float(size),
                  counter_front=size * 1.2, hu=size * 0.34, head=(size / 2, size * 0.4),
                  side=1, product_box=(0.0, 0.0, 1.0, 1.0), product_angle=0.0,
                  product_depth=1.0, bg_zoom=1.0, bg_anchor_x=0.0, backdrop_blur=0.0,
                  persona_blur=0.0)


@cache
def persona_png(persona_id: str, size: int = SIZE) -> bytes:
    """The persona's picture as PNG bytes (drawn once per process).

    Raises:
        KeyError: no such persona.
    """
    persona = catalog.personas()[persona_id]
    style = figure_style(persona)
    piece = draw_body(style, _layout(size), size + 10.0)
    tint = mix(hex_to_rgb(persona.top), (250, 248, 252), 0.82)
    canvas = Image.new("RGBA", (size, size), (*tint, 255))
    canvas.paste(piece.image, (piece.x, piece.y), piece.image)
    out = io.BytesIO()
    canvas.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()
