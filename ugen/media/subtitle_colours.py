"""Caption colours for drawing ASS straight onto BT.709 YUV frames.

FFmpeg 5's ``ass`` filter turns a caption's RGB colour into YUV with the BT.601 matrix,
whatever the frames are. Drawing on the BT.709 frames of the final render would then shift
coloured captions a little (white, black and greys are the same in both). Rewriting every
colour ``c`` of the script to ``M601⁻¹ · M709 · c`` makes the BT.601 conversion land on the
BT.709 values of ``c``, so the captions can be drawn without converting every frame to RGB
and back.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

_COLOUR = re.compile(r"&H([0-9A-Fa-f]{8}|[0-9A-Fa-f]{6})(?![0-9A-Fa-f])")


def _matrix(kr: float, kb: float) -> npt.NDArray[np.float64]:
    kg = 1.0 - kr - kb
    return np.array([
        [kr, kg, kb],
        [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), 0.5],
        [0.5, -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))],
    ])


_TO_601_INPUT = np.linalg.inv(_matrix(0.299, 0.114)) @ _matrix(0.2126, 0.0722)


def bt601_input(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The RGB colour whose BT.601 YUV is ``rgb``'s BT.709 YUV (clipped to 0–255)."""
    out = _TO_601_INPUT @ (np.array(rgb, dtype=np.float64) / 255.0)
    r, g, b = (int(v) for v in np.rint(np.clip(out * 255.0, 0, 255)))
    return r, g, b


def _rewrite(match: re.Match[str]) -> str:
    digits = match.group(1)
    alpha, bgr = (digits[:2], digits[2:]) if len(digits) == 8 else ("", digits)
    b, g, r = (int(bgr[i:i + 2], 16) for i in (0, 2, 4))
    r2, g2, b2 = bt601_input((r, g, b))
    return f"&H{alpha}{b2:02X}{g2:02X}{r2:02X}"


def for_bt709_frames(script: str) -> str:
    """``script`` (ASS text) with every colour (``&HAABBGGRR`` in styles, ``&HBBGGRR`` in
    override tags) rewritten by :func:`bt601_input`; alpha values are left alone."""
    return _COLOUR.sub(_rewrite, script)
