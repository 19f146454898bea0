"""SVG logos, checked and rasterised to PNG without any network or file access.

An uploaded SVG is never kept or served as SVG. It is first read with a parser that refuses
any document type declaration (so no entity, internal or external, is ever expanded), then
checked element by element: scripts, event handlers, ``foreignObject``, text (which would need
fonts from disk), and any reference that is not to the document itself (an ``href`` other
than ``#id``, ``url(...)`` other than ``url(#id)``, ``@import``) are refused. What passes is
rasterised by resvg (``resvg-py``: a renderer without scripting or networking) with system
fonts skipped and no resources directory, into a PNG no larger than :data:`MAX_SIDE`.
"""

from __future__ import annotations

import io
import re
import xml.parsers.expat
from typing import Any
from xml.etree import ElementTree

import resvg_py
from PIL import Image

MAX_SIDE = 1024
"""The rasterised logo's longer side, in pixels."""
MAX_ASPECT = 10.0
"""The most one side of an SVG logo may exceed the other (a thin line is no logo)."""

_FORBIDDEN_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "embed", "object",
                                 "audio", "video", "text", "textPath", "tspan", "handler",
                                 "listener", "feImage"})
_LOCAL_URL = re.compile(r"url\(\s*['\"]?#[^)]*\)", re.IGNORECASE)
_ANY_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


class UnsafeSvgError(ValueError):
    """The SVG is refused: not well-formed, unsafe, or not a drawable logo (the message says
    why, for the uploader)."""


def _no_doctype(data: bytes) -> None:
    """Parse ``data`` with expat, refusing any DOCTYPE before anything in it is read."""
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> Any:
        raise UnsafeSvgError("an SVG logo must not have a DOCTYPE or entities")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as err:
        raise UnsafeSvgError(f"the SVG is not well-formed XML: {err}") from None


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _check_element(el: ElementTree.Element) -> None:
    name = _local_name(el.tag) if isinstance(el.tag, str) else ""
    if name in _FORBIDDEN_ELEMENTS:
        hint = " (convert text to outlines)" if name in ("text", "textPath", "tspan") else ""
        raise UnsafeSvgError(f"an SVG logo must not contain <{name}>{hint}")
    for attr, value in el.attrib.items():
        local = _local_name(attr).lower()
        if local.startswith("on"):
            raise UnsafeSvgError(f"an SVG logo must not have event handlers ({local})")
        if local == "href" and not value.strip().startswith("#"):
            raise UnsafeSvgError("an SVG logo must not reference anything outside itself "
                                 "(href)")
        if _ANY_URL.search(_LOCAL_URL.sub("", value)):
            raise UnsafeSvgError("an SVG logo must not reference anything outside itself "
                                 "(url())")
    if name == "style" and (el.text or ""):
        text = el.text or ""
        if "@import" in text.lower() or _ANY_URL.search(_LOCAL_URL.sub("", text)):
            raise UnsafeSvgError("an SVG logo's style must not load anything (@import, url())")


def _aspect(root: ElementTree.Element) -> float:
    """The logo's width / height, from its viewBox or its width and height in pixels."""
    box = root.attrib.get("viewBox", "").replace(",", " ").split()
    if len(box) == 4:
        try:
            w, h = float(box[2]), float(box[3])
        except ValueError:
            w = h = 0.0
        if w > 0 and h > 0:
            return w / h
    sizes = [_LENGTH.match(root.attrib.get(k, "")) for k in ("width", "height")]
    if sizes[0] and sizes[1] and float(sizes[0][1]) > 0 and float(sizes[1][1]) > 0:
        return float(sizes[0][1]) / float(sizes[1][1])
    raise UnsafeSvgError("an SVG logo needs a viewBox, or a width and height in pixels")


def check_svg(data: bytes) -> float:
    """Check an SVG logo; return its aspect (width / height).

    Raises:
        UnsafeSvgError: not well-formed, a DOCTYPE, an unsafe element or reference, or no
            usable size.
    """
    _no_doctype(data)
    root = ElementTree.fromstring(data)  # safe now: no DOCTYPE, so no entities
    if _local_name(root.tag) != "svg":
        raise UnsafeSvgError("the file is XML but not an SVG image")
    for el in root.iter():
        _check_element(el)
    aspect = _aspect(root)
    if not 1 / MAX_ASPECT <= aspect <= MAX_ASPECT:
        raise UnsafeSvgError(f"an SVG logo's sides may differ at most {MAX_ASPECT:g} times")
    return aspect


def rasterise_svg(data: bytes) -> Image.Image:
    """The checked SVG drawn as an RGBA picture whose longer side is :data:`MAX_SIDE`.

    Raises:
        UnsafeSvgError: refused by :func:`check_svg`, or resvg could not draw it.
    """
    aspect = check_svg(data)
    width = MAX_SIDE if aspect >= 1 else max(1, round(MAX_SIDE * aspect))
    height = MAX_SIDE if aspect < 1 else max(1, round(MAX_SIDE / aspect))
    try:
        png = resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), width=width,
                                    height=height, skip_system_fonts=True)
    except (ValueError, UnicodeDecodeError) as err:
        raise UnsafeSvgError(f"the SVG could not be drawn: {err}") from None
    with Image.open(io.BytesIO(bytes(png))) as img:
        img.load()
        rgba: Image.Image = img.convert("RGBA")  # typed alike by every Pillow we install
        return rgba


def looks_like_svg(data: bytes) -> bool:
    """Whether ``data`` starts like an XML/SVG document (after a BOM and white space)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE", b"<!doctype"))
