"""Find the product in a keyframe by ORB features, a ratio test and a RANSAC fit.

The product image's alpha mask (when it has one) limits the features to the product. Each
scene feature may stand for one product feature only (a repeated pattern, such as a column of
letters, would otherwise pull many product features onto one scene point and let RANSAC accept
a transform that collapses the product to that point).

Two transforms are fitted to the matches: a homography (perspective) and a similarity
(rotation, uniform scale, shift). The homography is trusted only where its inliers span an
area of the product: fitted to points on a line or in a clump it is not determined, and its
shape says nothing about the product. Its shape is judged over the region its inliers cover
(not extrapolated to the whole outline), which tells whether the product came out distorted
(stretched, sheared, folded) rather than just moved, scaled or tilted. The whole product's
placement (to see whether it is cut off by the frame edge) uses the homography when its
inliers cover most of the product, else the similarity, which extrapolates safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from ugen.qa.imaging import U8, fit_long_side, gray, read_with_alpha

F64 = npt.NDArray[np.float64]

PRODUCT_LONG_SIDE = 480
RATIO = 0.8  # Lowe's ratio test
RANSAC_PX = 5.0
MAX_SIDE_RATIO = 1.8  # opposite sides of the projected support region
MAX_ASPECT_CHANGE = 1.6  # projected aspect / product aspect (or its inverse)
BORDER_STD = 6.0  # a product image without alpha whose border is this plain is a packshot
BORDER_DISTANCE = 24.0  # ... and pixels this far from the border colour are the product
MIN_SPREAD = 0.06  # inliers must spread this share of the product's size along both axes
MIN_SPREAD_PX = 4.0  # ... and at least this many product pixels
WHOLE_COVER = 0.5  # inliers covering this share of the outline (each way): place by homography
OUTLINE_SAMPLES = 4000  # product pixels sampled to measure how much of it is outside the frame
RENDER_SCALE, RENDER_TILT, RENDER_PX = 0.7, 6.0, 3.0  # the copy locatable_features looks in
PLAIN_COLOURS, PLAIN_DELTA_E = 3, 10.0  # a plain product's colours and how near counts


@dataclass(frozen=True)
class ProductFeatures:
    """ORB keypoints and descriptors of the product, and its outline (4 corners)."""

    points: npt.NDArray[np.float32]
    descriptors: U8 | None
    outline: npt.NDArray[np.float32]
    pixels: U8  # BGR, reduced, on mid grey where transparent
    mask: U8 | None
    locatable: int = 0  # features found again in a rendered copy (see locatable_features)


@dataclass(frozen=True)
class ProductMatch:
    """How well the product was found: inlier count, whether its shape looks sane, where it
    landed and how much of it the frame cuts off."""

    good_matches: int
    inliers: int
    distorted: bool
    detail: str
    colour_distance: float = 0.0  # chroma (Lab a*b*) distance inside the product, 0 unknown
    placement: F64 | None = None  # 3×3 product → keyframe transform of the whole product
    outside: float = 0.0  # share of the product's area outside the keyframe
    transform: F64 | None = None  # the fit the inliers support (for comparing colours)
    support: npt.NDArray[np.float32] | None = None  # inlier points, in the product image

    def colour_distance_with(self, product: ProductFeatures, scene: U8,
                             cast: npt.NDArray[np.float32] | None) -> float:
        """:attr:`colour_distance` again, with the keyframe's colour cast ``cast`` taken off
        (0 when the product was not placed or came out distorted)."""
        if self.transform is None or self.distorted:
            return 0.0
        return chroma_distance(product, self.transform, scene,
                               np.zeros(2, np.float32) if cast is None else cast,
                               support=None if product.mask is not None else self.support)


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
    return ProductFeatures(points, desc, outline, bgr, mask,
                           locatable_features(points, desc, bgr))


def locatable_features(points: npt.NDArray[np.float32], descriptors: U8 | None,
                       bgr: U8) -> int:
    """How many of the product's features are found again, in the right place, in a copy of
    the product as a keyframe would show it: smaller, tilted, softened and lit from one side.

    Corners that do not survive this (noise, soft gradients, strokes repeated along a label,
    the silhouette's own edge against the backdrop it was shot on) cannot locate the product
    in a keyframe either; a product with few that do is too plain to be located by features.
    """
    if descriptors is None or len(points) < 4:
        return 0
    h, w = bgr.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), RENDER_TILT, RENDER_SCALE)
    copy = cv2.warpAffine(bgr, matrix, (w, h), flags=cv2.INTER_AREA,
                          borderValue=(128, 128, 128))
    light = np.linspace(0.86, 1.0, w, dtype=np.float32)[None, :, None]
    soft = cv2.GaussianBlur(copy, (0, 0), 0.8).astype(np.float32) * light
    shown = np.asarray(np.clip(soft, 0, 255), dtype=np.uint8)
    keypoints, found = orb(4000).detectAndCompute(gray(shown), None)
    if found is None or len(keypoints) < 4:
        return 0
    good = _one_to_one(cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors, found, k=2))
    if not good:
        return 0
    src = points[[m.queryIdx for m in good]]
    dst = np.array([keypoints[m.trainIdx].pt for m in good], dtype=np.float32)
    expected = src @ matrix[:, :2].T + matrix[:, 2]
    return int(np.count_nonzero(np.linalg.norm(expected - dst, axis=1) < RENDER_PX))


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
    return _box(x, y, x + w, y + h)


def _box(x0: float, y0: float, x1: float, y1: float) -> npt.NDArray[np.float32]:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


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
    good = _one_to_one(cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(product.descriptors,
                                                                 descriptors, k=2))
    if len(good) < 4:
        return ProductMatch(len(good), 0, False, f"{len(good)} feature matches")
    src = product.points[[m.queryIdx for m in good]].reshape(-1, 2)
    dst = np.array([keypoints[m.trainIdx].pt for m in good], dtype=np.float32).reshape(-1, 2)
    fit = _fit(src, dst, _size(product.outline))
    if fit is None:
        return ProductMatch(len(good), 0, False, "no consistent product placement")
    transform, support, inliers, trusted = fit
    distorted, detail = (_distortion(_support_box(support, product.outline), transform)
                         if trusted else (False, "placed by a similarity (inliers too narrow "
                                                 "to judge the shape)"))
    placement = transform if trusted and _covers(support, product.outline) else \
        _similarity(src, dst)
    if placement is None:
        placement = transform
    size = (scene.shape[1], scene.shape[0])
    outside = outside_share(product, placement, size,
                            support=None if product.mask is not None else support)
    found = ProductMatch(len(good), inliers, distorted, detail, 0.0, placement, outside,
                         transform, support)
    return replace(found, colour_distance=found.colour_distance_with(product, scene_bgr, cast))


def _one_to_one(pairs: Sequence[Sequence[cv2.DMatch]]) -> list[cv2.DMatch]:
    """Matches that pass the ratio test, each scene feature kept for its closest product
    feature only."""
    good = sorted((p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance),
                  key=lambda m: m.distance)
    taken: set[int] = set()
    kept = []
    for m in good:
        if m.trainIdx not in taken:
            taken.add(m.trainIdx)
            kept.append(m)
    return kept


def _size(outline: npt.NDArray[np.float32]) -> tuple[float, float]:
    return float(outline[1, 0] - outline[0, 0]), float(outline[3, 1] - outline[0, 1])


def _spread_ok(points: npt.NDArray[np.float32], size: tuple[float, float]) -> bool:
    """Whether ``points`` span an area (not a line or a clump) of a product of ``size``."""
    if len(points) < 4:
        return False
    centred = points.astype(np.float64) - points.mean(axis=0)
    minor = float(np.linalg.svd(centred, compute_uv=False)[-1]) / np.sqrt(len(points))
    return bool(minor >= max(MIN_SPREAD_PX, MIN_SPREAD * min(size)))


def _fit(src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32],
         size: tuple[float, float]) -> tuple[F64, npt.NDArray[np.float32], int, bool] | None:
    """(transform, inlier product points, inlier count, transform is a trusted homography).

    A homography whose inliers do not span an area is not determined by them: the similarity
    fitted to the same matches stands in (None when that fails too)."""
    homography, mask = cv2.findHomography(src.reshape(-1, 1, 2), dst.reshape(-1, 1, 2),
                                          cv2.RANSAC, RANSAC_PX)
    if homography is not None and mask is not None:
        keep = mask.ravel() > 0
        # spread over the product, and not clumped onto a point of the keyframe
        if _spread_ok(src[keep], size) and _spread_ok(dst[keep], (0.0, 0.0)):
            return np.asarray(homography, dtype=np.float64), src[keep], int(keep.sum()), True
    similarity = _similarity_fit(src, dst)
    if similarity is None:
        return None
    transform, keep = similarity
    return transform, src[keep], int(keep.sum()), False


def _similarity_fit(src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32],
                    ) -> tuple[F64, npt.NDArray[np.bool_]] | None:
    matrix, mask = cv2.estimateAffinePartial2D(src.reshape(-1, 1, 2), dst.reshape(-1, 1, 2),
                                               method=cv2.RANSAC,
                                               ransacReprojThreshold=RANSAC_PX)
    if matrix is None or mask is None:
        return None
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    if not 0.02 < scale < 50.0:
        return None  # collapsed onto a point or blown up: not a placement
    full = np.vstack([np.asarray(matrix, dtype=np.float64), [0.0, 0.0, 1.0]])
    return full, mask.ravel() > 0


def _similarity(src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32]) -> F64 | None:
    fit = _similarity_fit(src, dst)
    return None if fit is None else fit[0]


def _support_box(support: npt.NDArray[np.float32],
                 outline: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The box the inliers cover, inside the product's outline."""
    x0, y0 = support.min(axis=0)
    x1, y1 = support.max(axis=0)
    return _box(max(float(x0), float(outline[0, 0])), max(float(y0), float(outline[0, 1])),
                min(float(x1), float(outline[2, 0])), min(float(y1), float(outline[2, 1])))


def _covers(support: npt.NDArray[np.float32], outline: npt.NDArray[np.float32]) -> bool:
    width, height = _size(outline)
    span = support.max(axis=0) - support.min(axis=0)
    return bool(span[0] >= WHOLE_COVER * width and span[1] >= WHOLE_COVER * height)


def outside_share(product: ProductFeatures, placement: F64, size: tuple[int, int], *,
                  support: npt.NDArray[np.float32] | None = None) -> float:
    """Share of the product's pixels that ``placement`` puts outside a frame of ``size``
    (without a mask: of the hull of the matched features, ``support``)."""
    ys, xs = np.nonzero(region(product, support) > 127)
    if len(xs) == 0:
        return 0.0
    step = max(1, len(xs) // OUTLINE_SAMPLES)
    points = np.stack([xs[::step], ys[::step]], axis=1).astype(np.float32).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(points, placement).reshape(-1, 2)
    inside = ((mapped[:, 0] >= 0) & (mapped[:, 0] <= size[0])
              & (mapped[:, 1] >= 0) & (mapped[:, 1] <= size[1]))
    return float(1.0 - inside.mean())


def footprint(product: ProductFeatures, placement: F64, size: tuple[int, int]) -> U8:
    """The product's mask as ``placement`` puts it in a frame of ``size`` (255 = product)."""
    out = cv2.warpPerspective(region(product), placement, size, flags=cv2.INTER_NEAREST)
    return np.asarray(out, dtype=np.uint8)


def region(product: ProductFeatures, support: npt.NDArray[np.float32] | None = None) -> U8:
    """Where the product is in its image (255): its mask; without one (a photo whose backdrop
    is not plain) the hull of the features matched on it (``support``), else everything."""
    if product.mask is not None:
        return product.mask
    if support is None or len(support) < 3:
        return np.full(product.pixels.shape[:2], 255, np.uint8)
    out = np.zeros(product.pixels.shape[:2], np.uint8)
    hull = cv2.convexHull(support.astype(np.float32)).astype(np.int32)
    cv2.fillConvexPoly(out, hull, 255)
    return out


def colour_footprint(product: ProductFeatures, scene: U8) -> U8:
    """Where ``scene`` (BGR) has the product's own colours (255): an outline of a plain
    product, which features cannot locate, good enough to leave it out of a comparison."""
    pixels = product.pixels[region(product) > 127]
    if len(pixels) < 16:
        return np.zeros(scene.shape[:2], np.uint8)
    lab = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.float32) / 255.0,
                       cv2.COLOR_BGR2Lab).reshape(-1, 3)
    count = min(PLAIN_COLOURS, len(lab))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    _, _, centres = cv2.kmeans(lab, count, np.zeros((len(lab), 1), np.int32), criteria, 2,
                               cv2.KMEANS_PP_CENTERS)
    scene_lab = cv2.cvtColor(scene.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
    near = np.zeros(scene.shape[:2], dtype=bool)
    for centre in np.asarray(centres, dtype=np.float32):
        near |= np.linalg.norm(scene_lab - centre, axis=2) < PLAIN_DELTA_E
    solid = near.astype(np.uint8) * 255
    return np.asarray(cv2.morphologyEx(solid, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)),
                      dtype=np.uint8)


def chroma_distance(product: ProductFeatures, h: F64, scene: U8,
                    cast: npt.NDArray[np.float32], *,
                    support: npt.NDArray[np.float32] | None = None) -> float:
    """Lab a*b* distance between the product's mean colour and where it landed in the scene.

    Lightness is left out, so a darker or brighter shot of the product does not count. The
    product's region is its mask; a product photo without one (a backdrop that is not plain)
    is compared over the hull of the matched features (``support``), which lie on the
    product itself, not on the backdrop it was photographed against.
    """
    size = (scene.shape[1], scene.shape[0])
    inside = cv2.warpPerspective(cv2.erode(region(product, support), np.ones((7, 7), np.uint8)),
                                 h, size,
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


def _distortion(region: npt.NDArray[np.float32], h: F64) -> tuple[bool, str]:
    """Whether ``region`` of the product (4 corners), mapped into the keyframe, is folded or
    stretched."""
    quad = cv2.perspectiveTransform(region.reshape(-1, 1, 2), h).reshape(4, 2)
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
    src_w, src_h = _size(region)
    if min(src_w, src_h) <= 0:
        return False, "the product keeps its shape"
    aspect = ((sides[0] + sides[2]) / 2) / ((sides[1] + sides[3]) / 2) / (src_w / src_h)
    if max(aspect, 1 / aspect) > MAX_ASPECT_CHANGE:
        return True, f"the product is stretched (aspect changed {aspect:.2f}×)"
    return False, "the product keeps its shape"
