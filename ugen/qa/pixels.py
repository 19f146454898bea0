"""Judges that look only at pixels: fast, deterministic, no model and no network.

:class:`PixelKeyframeJudge` checks size, exposure, sharpness, consistency with the anchor
keyframe (its colours, and its layout as any camera move of the shot plan would show the
anchor's scene: :mod:`ugen.qa.layout`) and that the product is there, undistorted, with its
own colours and wholly inside the frame (:mod:`ugen.qa.product`). :class:`PixelSegmentJudge`
checks that a segment starts and ends on its keyframes, moves, does not flicker, cut or
break, and has the expected number of frames. Thresholds are module constants, documented
where they are used.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from ugen.media.errors import FFmpegError, InvalidMediaError
from ugen.media.probe import probe
from ugen.qa import temporal
from ugen.qa.base import (
    CRITICAL_DEFECT,
    MOTION_ARTIFACT,
    PRODUCT_INTEGRITY,
    TEMPORAL_INCONSISTENCY,
    VISUAL_ARTIFACT,
    Findings,
    QaVerdict,
    threshold_for,
)
from ugen.qa.imaging import (
    LOW_LONG_SIDE,
    U8,
    WORK_LONG_SIDE,
    fit_long_side,
    gray,
    lab_distance,
    laplacian_variance,
    mean_abs_diff,
    ramp,
    read_bgr,
    resize_to,
    ssim,
)
from ugen.qa.layout import reframed_similarity
from ugen.qa.product import (
    ProductFeatures,
    ProductMatch,
    colour_footprint,
    footprint,
    match_product,
    mean_ab,
    product_features,
)

KEYFRAME_WEIGHTS = {"size": 0.15, "exposure": 0.15, "sharpness": 0.15,
                    "anchor_colour": 0.12, "anchor_structure": 0.08, "product": 0.35}
SEGMENT_WEIGHTS = {"first_frame": 0.15, "last_frame": 0.15, "broken_frames": 0.15,
                   "motion": 0.15, "flicker": 0.15, "identity_jump": 0.15, "frame_count": 0.10}

UNIFORM_STD = 4.0  # grey levels; below: a blank picture
SHARPNESS = (0.05, 0.15)  # Laplacian energy / gradient energy at 960 px: 0 score .. full
COLOUR_DIST = (24.0, 8.0)  # Lab distance to the anchor: 0 score .. full score
# Best SSIM to the anchor over camera reframes, at 32 px long side, the product left out
# (see ugen.qa.layout): below 0.30 no camera move explains the keyframe's layout.
STRUCTURE_SSIM = (0.15, 0.45)
STRUCTURE_LONG_SIDE = 32
PRODUCT_INLIERS = (8, 24)  # RANSAC inliers: 0 score .. full score
PRODUCT_MIN_INLIERS = 12  # fewer: the product is missing or replaced
# Fewer of the product's features survive a keyframe-like rendering of it (see
# ugen.qa.product.locatable_features): it cannot be located by features.
PRODUCT_MIN_LOCATABLE = 80
PRODUCT_CHROMA = (30.0, 15.0)  # Lab a*b* distance inside the found product: wrong colours
PRODUCT_OUTSIDE = 0.03  # more of the product's area outside the frame: it is cut off


class PixelKeyframeJudge:
    """Keyframe QA from pixels. Keeps the product's features (and where the product is in
    each anchor) between calls."""

    def __init__(self) -> None:
        self._products: dict[tuple[str, int, int], ProductFeatures | None] = {}
        self._anchors: dict[tuple[str, int, int, str], U8 | None] = {}

    def judge_keyframe(
        self,
        image: Path,
        *,
        anchor: Path | None,
        product: Path,
        width: int,
        height: int,
        interaction_mode: str,
        qai_mode: str,
    ) -> QaVerdict:
        """Score one keyframe. ``interaction_mode`` needs a vision model and is not checked."""
        threshold_for(qai_mode)
        found = Findings()
        bgr = read_bgr(image)
        if bgr is None:
            found.fail("readable", CRITICAL_DEFECT, f"{image.name} is not a readable image")
            return found.verdict(KEYFRAME_WEIGHTS | {"readable": 1.0}, qai_mode)
        _check_size(found, image, width, height)
        work = fit_long_side(bgr, WORK_LONG_SIDE)
        grey = gray(work)
        if float(grey.std()) < UNIFORM_STD:
            found.fail("exposure", CRITICAL_DEFECT,
                       f"nearly uniform picture (mean luma {grey.mean():.0f})")
            return found.verdict(KEYFRAME_WEIGHTS, qai_mode)
        _check_exposure(found, grey)
        _check_sharpness(found, grey)
        anchor_bgr = _read_anchor(found, anchor)
        features = self._usable_features(found, product)
        match = None if features is None else match_product(features, work)
        cast = None
        if anchor is not None and anchor_bgr is not None:
            plain = self._features(product) if features is None else None
            mine = _where(features, match, work) if features is not None else \
                None if plain is None else colour_footprint(plain, work)
            theirs = self._anchor_product(anchor, anchor_bgr, product)
            cast = _check_anchor_colour(found, work, anchor_bgr)
            _check_anchor_structure(found, work, anchor_bgr, mine, theirs)
        if match is not None and features is not None:
            _record_product(found, match, match.colour_distance_with(features, work, cast))
        return found.verdict(KEYFRAME_WEIGHTS, qai_mode)

    def _features(self, product: Path) -> ProductFeatures | None:
        key = _file_key(product)
        if key is None:
            return None
        if key not in self._products:
            self._products[key] = product_features(product)
        return self._products[key]

    def _usable_features(self, found: Findings, product: Path) -> ProductFeatures | None:
        features = self._features(product)
        if features is None:
            found.reasons.append(f"product: {product.name} is not readable; not checked")
            return None
        if features.locatable < PRODUCT_MIN_LOCATABLE:
            # Flat artwork gives too few distinctive corners to locate reliably: a missing
            # match would say nothing about the keyframe. Leave this to a vision judge.
            found.reasons.append(f"product: only {features.locatable} locatable features in "
                                 f"{product.name}; too plain to locate, not checked")
            return None
        return features

    def _anchor_product(self, anchor: Path, anchor_bgr: U8, product: Path) -> U8 | None:
        """Where the product is in the anchor (at working size), remembered per anchor: found
        by features, or by its colours when it is too plain for them."""
        key = _file_key(anchor)
        features = self._features(product)
        if key is None or features is None:
            return None
        full = (*key, str(product.resolve()))
        if full not in self._anchors:
            work = fit_long_side(anchor_bgr, WORK_LONG_SIDE)
            self._anchors[full] = (
                _where(features, match_product(features, work), work)
                if features.locatable >= PRODUCT_MIN_LOCATABLE
                else colour_footprint(features, work))
        return self._anchors[full]


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def _where(features: ProductFeatures, match: ProductMatch | None, work: U8) -> U8 | None:
    """The product's footprint in a picture where it was found (None when it was not)."""
    if match is None or match.placement is None or match.inliers < PRODUCT_MIN_INLIERS:
        return None
    return footprint(features, match.placement, (work.shape[1], work.shape[0]))


def _record_product(found: Findings, match: ProductMatch, colour_distance: float) -> None:
    """Found with enough consistent features, undistorted, whole in the frame, true colours."""
    score = ramp(match.inliers, *PRODUCT_INLIERS)
    colour = ramp(colour_distance, *PRODUCT_CHROMA)
    if match.inliers < PRODUCT_MIN_INLIERS:
        reason = f"not found ({match.inliers} inliers of {match.good_matches} matches)"
        score = min(score, 0.3)
    elif match.distorted:
        reason, score = match.detail, min(score, 0.2)
    elif match.outside > PRODUCT_OUTSIDE:
        reason = f"cut off by the frame edge ({match.outside:.0%} of the product outside)"
        score = min(score, 0.2)
    elif colour < score:
        reason, score = f"wrong colours (chroma distance {colour_distance:.0f})", colour
    else:
        reason = f"weakly found ({match.inliers} inliers of {match.good_matches} matches)"
    found.record("product", score, reason, category=PRODUCT_INTEGRITY)


def _read_anchor(found: Findings, anchor: Path | None) -> U8 | None:
    bgr = read_bgr(anchor) if anchor is not None and anchor.exists() else None
    if anchor is not None and bgr is None:
        found.reasons.append(f"anchor: {anchor.name} is not readable; not compared")
    return bgr


def _check_size(found: Findings, image: Path, width: int, height: int) -> None:
    with Image.open(image) as img:
        w, h = img.size
    if (w, h) == (width, height):
        found.record("size", 1.0, "")
        return
    what = "size" if w * height == h * width else "size and aspect ratio"
    found.fail("size", CRITICAL_DEFECT, f"{what} {w}×{h}, expected {width}×{height}")


def _check_exposure(found: Findings, grey: U8) -> None:
    """Mean luma within 45–210 and under 10 % clipped pixels score fully."""
    mean = float(grey.mean())
    clipped = float(np.mean((grey <= 4) | (grey >= 251)))
    score = min(ramp(mean, 15, 45), ramp(mean, 240, 210), ramp(clipped, 0.40, 0.10))
    found.record("exposure", score, f"mean luma {mean:.0f}, {clipped:.0%} clipped",
                 category=VISUAL_ARTIFACT)


def _check_sharpness(found: Findings, grey: U8) -> None:
    """Laplacian energy over gradient energy: edge width, whatever the amount of detail."""
    variance, ratio = laplacian_variance(grey)
    found.record("sharpness", ramp(ratio, *SHARPNESS),
                 f"blurry (sharpness {ratio:.3f}, Laplacian variance {variance:.0f})",
                 category=VISUAL_ARTIFACT)


def _check_anchor_structure(found: Findings, work: U8, anchor: U8, mine: U8 | None,
                            theirs: U8 | None) -> None:
    """The layout against the anchor, as any camera reframe of it (see ugen.qa.layout), the
    product (``mine``, ``theirs``: its footprints at working size) left out."""
    tiny = gray(fit_long_side(work, STRUCTURE_LONG_SIDE))
    size = (tiny.shape[1], tiny.shape[0])
    ref = gray(resize_to(fit_long_side(anchor, WORK_LONG_SIDE), *size))
    similarity = reframed_similarity(tiny, ref, keyframe_ignore=_shrunk(mine, size),
                                     anchor_ignore=_shrunk(theirs, size))
    found.record("anchor_structure", ramp(similarity, *STRUCTURE_SSIM),
                 f"scene layout unlike the anchor, however reframed (SSIM {similarity:.2f})",
                 category=TEMPORAL_INCONSISTENCY)


def _check_anchor_colour(found: Findings, work: U8, anchor: U8) -> npt.NDArray[np.float32]:
    """Colour and lighting against the anchor; returns the colour cast (a*b* shift) between
    them."""
    low = fit_long_side(work, LOW_LONG_SIDE)
    ref = resize_to(anchor, low.shape[1], low.shape[0])
    distance = lab_distance(low, ref)
    found.record("anchor_colour", ramp(distance, *COLOUR_DIST),
                 f"colour/lighting far from the anchor (Lab distance {distance:.1f})",
                 category=TEMPORAL_INCONSISTENCY)
    return mean_ab(low) - mean_ab(ref)


def _shrunk(mask: U8 | None, size: tuple[int, int]) -> U8 | None:
    if mask is None:
        return None
    return np.asarray(cv2.resize(mask, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


ENDPOINT_SSIM = (0.35, 0.70)
ENDPOINT_MAD = (0.12, 0.05)
FLICKER = (0.05, 0.015)  # luma residual (0–1) against the running median
JUMP = (1.2, 0.7)  # jump ratio (see temporal.jump_ratio)
MOVING = (0.25, 0.60)  # share of frame pairs that change
FRAME_COUNT_DEV = (0.25, 0.05)  # deviation from duration × fps; 25 % off: wrong length
ENDPOINT_FRAMES = 3  # the first/last keyframe may match any of the first/last 3 frames


class PixelSegmentJudge:
    """Segment QA from pixels: decodes every frame small and grey, in one ffmpeg call."""

    def judge_segment(
        self,
        video: Path,
        *,
        first_keyframe: Path,
        last_keyframe: Path,
        fps: int,
        duration_s: float,
        qai_mode: str,
    ) -> QaVerdict:
        """Score one segment against the keyframes it was generated between."""
        threshold_for(qai_mode)
        found = Findings()
        frames = _decode(video, found)
        if frames is None:
            return found.verdict(SEGMENT_WEIGHTS | {"readable": 1.0}, qai_mode)
        _check_frame_count(found, len(frames), fps, duration_s)
        _check_endpoint(found, "first_frame", frames[:ENDPOINT_FRAMES], first_keyframe)
        _check_endpoint(found, "last_frame", frames[-ENDPOINT_FRAMES:], last_keyframe)
        broken = temporal.broken_frames(frames)
        found.record("broken_frames", 0.0 if broken else 1.0,
                     f"{len(broken)} blank or garbage frame(s) at {broken[:5]}",
                     category=CRITICAL_DEFECT)
        _check_motion(found, np.delete(frames, broken, axis=0))
        return found.verdict(SEGMENT_WEIGHTS, qai_mode)


def _decode(video: Path, found: Findings) -> U8 | None:
    try:
        info = probe(video)
        if info.video is None:
            raise InvalidMediaError(f"{video.name} has no video stream")
        width, height = temporal.frame_size(info.video.width, info.video.height)
        frames = temporal.decode_grey(video, width, height)
    except (InvalidMediaError, FFmpegError) as err:
        found.fail("readable", CRITICAL_DEFECT, f"{video.name} cannot be decoded: {err}")
        return None
    if len(frames) == 0:
        found.fail("readable", CRITICAL_DEFECT, f"{video.name} has no frames")
        return None
    return frames


def _check_frame_count(found: Findings, count: int, fps: int, duration_s: float) -> None:
    expected = max(1, round(fps * duration_s))
    deviation = abs(count - expected) / expected
    found.record("frame_count", ramp(deviation, *FRAME_COUNT_DEV),
                 f"{count} frames, expected about {expected}", category=CRITICAL_DEFECT,
                 fail_below=0.01)


def _check_endpoint(found: Findings, name: str, frames: U8, keyframe: Path) -> None:
    bgr = read_bgr(keyframe)
    if bgr is None:
        found.reasons.append(f"{name}: {keyframe.name} is not readable; not checked")
        return
    h, w = frames.shape[1:]
    ref = gray(resize_to(bgr, w, h))
    best = max((_endpoint_score(f, ref) for f in frames), key=lambda t: t[0])
    found.record(name, best[0], f"does not match {keyframe.name} ({best[1]})",
                 category=TEMPORAL_INCONSISTENCY)


def _endpoint_score(frame: U8, ref: U8) -> tuple[float, str]:
    similarity, diff = ssim(frame, ref), mean_abs_diff(frame, ref)
    score = min(ramp(similarity, *ENDPOINT_SSIM), ramp(diff, *ENDPOINT_MAD))
    return score, f"SSIM {similarity:.2f}, mean difference {diff:.3f}"


def _check_motion(found: Findings, frames: U8) -> None:
    """Frozen picture, flicker and identity jumps, on the frames that are not broken."""
    moving = temporal.moving_share(frames)
    found.record("motion", ramp(moving, *MOVING),
                 f"frozen: only {moving:.0%} of frame pairs change", category=MOTION_ARTIFACT)
    residual = temporal.flicker_residual(frames)
    found.record("flicker", ramp(residual, *FLICKER),
                 f"brightness flickers by {residual:.1%}", category=TEMPORAL_INCONSISTENCY)
    ratio, where = temporal.jump_ratio(temporal.pair_diffs(frames))
    found.record("identity_jump", ramp(ratio, *JUMP),
                 f"abrupt change of picture after frame {where} (ratio {ratio:.1f})",
                 category=TEMPORAL_INCONSISTENCY)
