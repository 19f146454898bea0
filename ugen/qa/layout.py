"""Is a keyframe the anchor's scene, as a camera the shot plan may have moved would show it?

The plan reframes on purpose: a product close-up or a medium close-up zooms into the room the
anchor established (and blurs it), a wider shot pulls back, the camera pans and tilts. So the
keyframe is not compared with the anchor as it is, but with the anchor under each of a family
of camera moves: zoomed into (the keyframe is the closer shot) or zoomed out of (the anchor is
the closer shot, so the keyframe is cropped the same way), at several focus points. The best
structural similarity over these views is the measure, on a coarse picture (about 32 px on the
long side) where depth-of-field blur and small changes of pose no longer count.

The product is judged on its own (it legitimately moves and grows between shots): where it is
known in either picture, it is left out of the comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ugen.qa.imaging import U8, ssim_map

ZOOMS = (1.2, 1.45, 1.75)  # camera moves tried beyond "no move" (either way)
FOCI = 3  # focus points per axis for each zoom
MIN_COMPARED = 0.3  # share of the frame that must stay compared once the product is left out


@dataclass(frozen=True)
class Reframe:
    """A camera move between the anchor and a keyframe: ``zoom`` into the anchor (when the
    keyframe is the closer shot) or into the keyframe (when the anchor is), the crop window
    placed at (``fx``, ``fy``) (0–1 each way); ``similarity`` is the SSIM it gives."""

    zoom: float = 1.0
    fx: float = 0.5
    fy: float = 0.5
    into_anchor: bool = True
    similarity: float = 0.0


def best_reframe(keyframe: U8, anchor: U8, *, keyframe_ignore: U8 | None = None,
                 anchor_ignore: U8 | None = None) -> Reframe:
    """The camera move under which ``keyframe`` and ``anchor`` (grey, same size) are most
    alike (mean SSIM), leaving out pixels under either ignore mask (255 = ignore)."""
    h, w = keyframe.shape[:2]
    k_ignore = _mask(keyframe_ignore, w, h)
    a_ignore = _mask(anchor_ignore, w, h)
    best = Reframe(similarity=_similarity(keyframe, anchor, k_ignore | a_ignore))
    for zoom, fx, fy in _moves():
        # the keyframe is a closer shot: the anchor zoomed into
        view, ignored = _zoom(anchor, zoom, fx, fy), _zoom_mask(a_ignore, zoom, fx, fy)
        value = _similarity(keyframe, view, k_ignore | ignored)
        if value > best.similarity:
            best = Reframe(zoom, fx, fy, True, value)
        # the anchor is the closer shot: the keyframe zoomed into the same way
        view, ignored = _zoom(keyframe, zoom, fx, fy), _zoom_mask(k_ignore, zoom, fx, fy)
        value = _similarity(view, anchor, ignored | a_ignore)
        if value > best.similarity:
            best = Reframe(zoom, fx, fy, False, value)
    return best


def reframed_similarity(keyframe: U8, anchor: U8, *, keyframe_ignore: U8 | None = None,
                        anchor_ignore: U8 | None = None) -> float:
    """The best mean SSIM between ``keyframe`` and ``anchor`` over camera reframes."""
    return best_reframe(keyframe, anchor, keyframe_ignore=keyframe_ignore,
                        anchor_ignore=anchor_ignore).similarity


def _moves() -> Iterator[tuple[float, float, float]]:
    for zoom in ZOOMS:
        for fx in np.linspace(0.0, 1.0, FOCI):
            for fy in np.linspace(0.0, 1.0, FOCI):
                yield zoom, float(fx), float(fy)


def _mask(mask: U8 | None, width: int, height: int) -> np.ndarray:
    if mask is None:
        return np.zeros((height, width), dtype=bool)
    return np.asarray(mask > 127, dtype=bool)


def _zoom(image: U8, zoom: float, fx: float, fy: float) -> U8:
    """``image`` magnified ``zoom`` times; (fx, fy) places the crop window (0–1 each way)."""
    h, w = image.shape[:2]
    x0, y0 = fx * (w - w / zoom), fy * (h - h / zoom)
    matrix = np.array([[zoom, 0, -x0 * zoom], [0, zoom, -y0 * zoom]], dtype=np.float32)
    out = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out, dtype=np.uint8)


def _zoom_mask(mask: np.ndarray, zoom: float, fx: float, fy: float) -> np.ndarray:
    if not mask.any():
        return mask
    return _zoom(mask.astype(np.uint8) * 255, zoom, fx, fy) > 127


def _similarity(a: U8, b: U8, ignore: np.ndarray) -> float:
    values = ssim_map(a, b)
    compared = ~ignore
    if compared.mean() < MIN_COMPARED:
        return float(values.mean())
    return float(values[compared].mean())
