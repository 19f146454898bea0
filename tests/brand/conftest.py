"""Fixtures of the brand-kit tests: the HTTP API tests' app, accounts and job helpers."""

from __future__ import annotations

import io

from PIL import Image

from tests.api.conftest import account, client, create_job, make_account, upload

__all__ = ["account", "client", "create_job", "make_account", "upload"]

LOGO_COLOUR = (255, 0, 0)
"""The test logos' colour: pure red, far from anything the local providers draw."""


def picture_bytes(fmt: str, size: tuple[int, int] = (200, 100),
                  colour: tuple[int, ...] = (*LOGO_COLOUR, 255)) -> bytes:
    """A solid picture in ``fmt`` (``PNG``, ``WEBP``, ``JPEG``...)."""
    mode = "RGBA" if len(colour) == 4 and fmt != "JPEG" else "RGB"
    buf = io.BytesIO()
    Image.new(mode, size, colour[:len(mode)]).save(buf, format=fmt)
    return buf.getvalue()


def red_svg(extra: str = "", head: str = "") -> bytes:
    """A 200x100 red SVG logo, with ``extra`` markup inside and ``head`` before it."""
    return (f'{head}<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 200 100">'
            f'<rect width="200" height="100" fill="#ff0000"/>{extra}</svg>').encode()
