"""Filtergraph text: escaping and the small filter chains every stage shares.

FFmpeg parses a ``-filter_complex`` string twice: the graph parser splits filters on
``[ ] , ;`` and then each filter's option parser splits ``key=value`` pairs on ``:``. Both
levels treat ``\\`` and ``'`` as escapes/quotes. A literal value (a file path) therefore has to
be escaped for the option level first and for the graph level second; :func:`filter_value`
does both.
"""

from __future__ import annotations

_OPTION_SPECIALS = frozenset("\\':")
_GRAPH_SPECIALS = frozenset("\\'[],;")

BT709_PARAMS = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
"""Tag frames as BT.709 limited range (the pixels must already be BT.709)."""


def _backslash(text: str, specials: frozenset[str]) -> str:
    return "".join("\\" + c if c in specials else c for c in text)


def escape_option_value(value: str) -> str:
    """Escape ``value`` for a filter's option parser (``\\``, ``'`` and ``:``)."""
    return _backslash(value, _OPTION_SPECIALS)


def escape_graph_text(text: str) -> str:
    """Escape one filter's text for the filtergraph parser (``\\ ' [ ] , ;``)."""
    return _backslash(text, _GRAPH_SPECIALS)


def filter_value(value: str) -> str:
    """A literal option value (e.g. a path) ready to paste into ``-filter_complex``."""
    return escape_graph_text(escape_option_value(value))


def fit_scale(width: int, height: int, *, flags: str = "bicubic", extra: str = "") -> str:
    """Scale to fit inside ``width``×``height`` keeping the *display* aspect (SAR-aware).

    ``extra`` is appended as further scale options (e.g. ``out_color_matrix=bt709``).
    The result has even dimensions so 4:2:0 chroma stays valid.
    """
    w = filter_value(f"min({width},2*round({height}*dar/2))")
    h = filter_value(f"min({height},2*round({width}/dar/2))")
    tail = f":{extra}" if extra else ""
    return f"scale=w={w}:h={h}:flags={flags}{tail}"


def fit_and_pad(width: int, height: int, *, pix_fmt: str = "yuv420p", bt709: bool = True,
                flags: str = "bicubic") -> list[str]:
    """Letterbox/pillarbox any input to exactly ``width``×``height`` ``pix_fmt``, square pixels.

    With ``bt709`` (YUV outputs) the same scale converts the pixels to BT.709 limited range
    and the frames are tagged so. FFmpeg 5's scale does not retag frames, so a chain must hold
    only one matrix-converting scale: a second one would convert again from the stale tag.
    """
    extra = "out_color_matrix=bt709:out_range=tv" if bt709 else ""
    return [
        fit_scale(width, height, flags=flags, extra=extra), f"format={pix_fmt}",
        *([BT709_PARAMS] if bt709 else []), "setsar=1",
        f"pad=w={width}:h={height}:x=(ow-iw)/2:y=(oh-ih)/2:color=black",
    ]


BT601_SPACES = frozenset({None, "unknown", "smpte170m", "bt470bg"})
"""Colour matrices read as BT.601: the two BT.601 tags, and none (swscale's default too)."""


def normalise_yuv420p(width: int, height: int, *, pix_fmt: str | None,
                      color_space: str | None) -> list[str]:
    """What :func:`fit_and_pad` does, cheaply for limited-range yuv420p BT.601/BT.709 input.

    swscale changes a YUV matrix through an RGB48 intermediate, at about the cost of decoding
    the picture again. For such input the scale here only resizes (and, at the output size
    already, passes frames through untouched), ``colorspace`` converts BT.601 pixels with the
    matrix alone (as swscale does), and BT.709 pixels are left as they are. Any other input
    (RGB, 4:4:4, full range, other matrices, unknown format) takes :func:`fit_and_pad`.

    Args:
        pix_fmt, color_space: the source's, as ffprobe names them (``None``: not known).
    """
    if pix_fmt != "yuv420p" or (color_space not in BT601_SPACES and color_space != "bt709"):
        return fit_and_pad(width, height)
    convert = [] if color_space == "bt709" else [
        "colorspace=all=bt709:iall=bt470bg:irange=tv:range=tv:fast=1:format=yuv420p"]
    return [
        fit_scale(width, height), "format=yuv420p", *convert, BT709_PARAMS, "setsar=1",
        f"pad=w={width}:h={height}:x=(ow-iw)/2:y=(oh-ih)/2:color=black",
    ]


def chain(filters: list[str]) -> str:
    """Join filters into one linear chain."""
    return ",".join(filters)
