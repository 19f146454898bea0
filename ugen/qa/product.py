"""Find the product in a keyframe by ORB features, a ratio test and a RANSAC homography.

The product image's alpha mask (when it has one) limits the features to the product. The
homography maps the product's outline into the keyframe; its shape tells whether the product
came out distorted (stretched, sheared, folded) rather than just moved, scaled or tilted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from ugen.qa.imaging import U8, fit_long_side, gray, read_with_alpha

PRODUCT_LONG_SIDE = 480
RATIO = 0.8  # Lowe's ratio test
RANSAC_PX = 5.0
MAX_SIDE_RATIO = 1.8  # opposite sides of the projected outline
MAX_ASPECT_CHANGE = 1.6  # projected aspect / product aspect (or its inverse)
BORDER_STD = 6.0  # a product image without alpha whose border is this plain is a packshot
BORDER_DISTANCE = 24.0  # ... and pixels this far from the border colour are the product


@dataclass(frozen=True)
class ProductFeatures:
    """ORB keypoints and descriptors of the product, and its outline (4 corners)."""

    points: npt.NDArray[np.float32]
    descriptors: U8 | None
    outline: npt.NDArray[np.float32]
    pixels: U8  # BGR, reduced, on mid grey where transparent
    mask: U8 | None


@dataclass(frozen=True)
class ProductMatch:
    """How well the product was found: inlier count and whether its outline looks sane."""

    good_matches: int
    inliers: int
    distorted: bool
    detail: str
    colour_distance: float = 0.0  # chroma (Lab a*b*) distance inside the product, 0 unknown


def orb(features: int) -> cv2.ORB:
    """An ORB detector with a low FAST threshold, so flat product art still yields corners."""
    return cv2.ORB.create(nfeatures=features, fastThreshold=10, edgeThreshold=15, patchSize=31)


def product_features(path: Path) -> ProductFeatures | None:
    """Features of the product image; None when it cannot be read."""
    loaded = read_with_alpha(path)
    if loaded is None:
        return None
    bgr, alpha = loaded
    if alpha is not None:
        bgr = _flatten(bgr, alpha)
    bgr = fit_long_side(bgr, PRODUCT_LONG_SIDE)
    mask = _mask(alpha, bgr)
    keypoints, descriptors = orb(1500).detectAndCompute(gray(bgr), mask)
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    desc = None if descriptors is None else np.asarray(descriptors, dtype=np.uint8)
    outline = _outline(mask, bgr.shape[1], bgr.shape[0])
    return ProductFeatures(points, desc, outline, bgr, mask)


def _flatten(bgr: U8, alpha: U8) -> U8:
    """Put the product on mid grey, so transparent pixels carry no stray texture."""
    a = (alpha.astype(np.float32) / 255.0)[:, :, None]
    out = bgr.astype(np.float32) * a + 128.0 * (1.0 - a)
    return np.asarray(out.round(), dtype=np.uint8)


def _mask(alpha: U8 | None, bgr: U8) -> U8 | None:
    """Where the product is: its alpha, else what differs from a plain border (a packshot on
    white), else None (the whole image)."""
    h, w = bgr.shape[:2]
    if alpha is None:
        return _mask_from_border(bgr)
    small = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
    solid = np.where(small > 127, 255, 0).astype(np.uint8)
    return np.asarray(cv2.dilate(solid, np.ones((5, 5), np.uint8)), dtype=np.uint8)


def _mask_from_border(bgr: U8) -> U8 | None:
    border = np.concatenate([bgr[0], bgr[-1], bgr[:, 0], bgr[:, -1]]).astype(np.float32)
    if float(border.std(axis=0).max()) > BORDER_STD:
        return None
    distance = np.abs(bgr.astype(np.float32) - np.median(border, axis=0)).max(axis=2)
    solid = np.where(distance > BORDER_DISTANCE, 255, 0).astype(np.uint8)
    if np.count_nonzero(solid) < 0.05 * solid.size:
        return None
    return np.asarray(cv2.morphologyEx(solid, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8)),
                      dtype=np.uint8)


def _outline(mask: U8 | None, width: int, height: int) -> npt.NDArray[np.float32]:
    x, y, w, h = (0, 0, width, height) if mask is None else cv2.boundingRect(mask)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float32)


def match_product(
    product: ProductFeatures, scene_bgr: U8, *, cast: npt.NDArray[np.float32] | None = None
) -> ProductMatch:
    """Match the product against a keyframe (BGR, already reduced to working size).

    ``cast`` is the keyframe's overall a*b* shift from the anchor (a change of light), taken
    off before the product's colours are compared.
    """
    scene = gray(scene_bgr)
    if product.descriptors is None or len(product.points) < 4:
        return ProductMatch(0, 0, False, "the product image has too few features")
    keypoints, descriptors = orb(4000).detectAndCompute(scene, None)
    if descriptors is None or len(keypoints) < 4:
        return ProductMatch(0, 0, False, "the keyframe has too few features")
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(product.descriptors, descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < 4:
        return ProductMatch(len(good), 0, False, f"{len(good)} feature matches")
    src = product.points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    dst = np.array([keypoints[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 1, 2)
    homography, inlier_mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PX)
    if homography is None:
        return ProductMatch(len(good), 0, False, "no consistent product placement")
    inliers = int(np.count_nonzero(inlier_mask))
    h = np.asarray(homography, dtype=np.float64)
    distorted, detail = _distortion(product.outline, h)
    shift = np.zeros(2, np.float32) if cast is None else cast
    colour = 0.0 if distorted else chroma_distance(product, h, scene_bgr, shift)
    return ProductMatch(len(good), inliers, distorted, detail, colour)


def chroma_distance(product: ProductFeatures, h: npt.NDArray[np.float64], scene: U8,
                    cast: npt.NDArray[np.float32]) -> float:
    """Lab a*b* distance between the product's mean colour and where it landed in the scene.

    Lightness is left out, so a darker or brighter shot of the product does not count.
    """
    size = (scene.shape[1], scene.shape[0])
    mask = product.mask if product.mask is not None else np.full(
        product.pixels.shape[:2], 255, np.uint8)
    inside = cv2.warpPerspective(cv2.erode(mask, np.ones((7, 7), np.uint8)), h, size,
                                 flags=cv2.INTER_NEAREST) > 127
    src = cv2.warpPerspective(product.pixels, h, size, flags=cv2.INTER_AREA)
    if np.count_nonzero(inside) < 50:
        return 0.0
    b = mean_ab(scene[inside]) - cast
    return float(np.linalg.norm(mean_ab(np.asarray(src, dtype=np.uint8)[inside]) - b))


def mean_ab(pixels: U8) -> npt.NDArray[np.float32]:
    """Mean Lab a*, b* of BGR pixels (any shape ending in 3)."""
    lab = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
    return np.asarray(lab.reshape(-1, 3)[:, 1:].mean(axis=0), dtype=np.float32)


def _distortion(outline: npt.NDArray[np.float32], h: npt.NDArray[np.float64]) -> tuple[bool, str]:
    """Whether the product's outline, mapped into the keyframe, is folded or stretched."""
    quad = cv2.perspectiveTransform(outline.reshape(-1, 1, 2), h).reshape(4, 2)
    if not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return True, "the product outline folds over itself"
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    if min(sides) < 1e-3:
        return True, "the product outline collapses"
    top_bottom = max(sides[0], sides[2]) / min(sides[0], sides[2])
    left_right = max(sides[1], sides[3]) / min(sides[1], sides[3])
    warp = max(top_bottom, left_right)
    if warp > MAX_SIDE_RATIO:
        return True, f"the product is warped (opposite sides differ {warp:.1f}×)"
    src_aspect = float(outline[1, 0] - outline[0, 0]) / float(outline[3, 1] - outline[0, 1])
    aspect = ((sides[0] + sides[2]) / 2) / ((sides[1] + sides[3]) / 2) / src_aspect
    if max(aspect, 1 / aspect) > MAX_ASPECT_CHANGE:
        return True, f"the product is stretched (aspect changed {aspect:.2f}×)"
    return False, "the product keeps its shape"
