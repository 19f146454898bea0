"""Small pixel measures shared by the judges: loading, resizing, SSIM, Lab moments, ramps.

Everything works on reduced copies (a long side of a few hundred pixels), so a measure costs
milliseconds whatever the source resolution.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

WORK_LONG_SIDE = 960  # sharpness, exposure, feature matching
LOW_LONG_SIDE = 128  # colour and structure against the anchor


def ramp(value: float, zero_at: float, one_at: float) -> float:
    """0 at ``zero_at``, 1 at ``one_at``, linear between and clamped (either direction)."""
    if zero_at == one_at:
        return 1.0 if value >= one_at else 0.0
    return float(min(1.0, max(0.0, (value - zero_at) / (one_at - zero_at))))


def fit_long_side(image: U8, long_side: int) -> U8:
    """Shrink ``image`` (never enlarge) so its longer side is ``long_side``."""
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    if scale >= 1.0:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def resize_to(image: U8, width: int, height: int) -> U8:
    """Resize to exactly ``width`` × ``height`` (area filter)."""
    out = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    return np.asarray(out, dtype=np.uint8)


def read_bgr(path: Path) -> U8 | None:
    """A colour image as BGR uint8, or None when it cannot be decoded."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image, dtype=np.uint8)


def read_with_alpha(path: Path) -> tuple[U8, U8 | None] | None:
    """BGR pixels and the alpha mask (255 = product) when the image has one."""
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        return None
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8), None
    if image.shape[2] == 4:
        alpha = np.asarray(image[:, :, 3], dtype=np.uint8)
        return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8), alpha
    return np.asarray(image, dtype=np.uint8), None


def gray(image: U8) -> U8:
    """Luma of a BGR image (a grey image passes through)."""
    if image.ndim == 2:
        return image
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def ssim(a: U8, b: U8) -> float:
    """Mean structural similarity of two grey images of the same size (Gaussian window)."""
    return float(np.mean(ssim_map(a, b)))


def ssim_map(a: U8, b: U8) -> F32:
    """Structural similarity per pixel of two grey images of the same size (Gaussian window)."""
    x = a.astype(np.float32)
    y = b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img: F32) -> F32:
        return np.asarray(cv2.GaussianBlur(img, (7, 7), 1.5), dtype=np.float32)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * cxy + c2)
    den = (mx * mx + my * my + c1) * (vx + vy + c2)
    return np.asarray(num / den, dtype=np.float32)


def mean_abs_diff(a: U8, b: U8) -> float:
    """Mean absolute difference of two same-sized images, on a 0–1 scale."""
    return float(np.mean(cv2.absdiff(a, b))) / 255.0


def lab_distance(a: U8, b: U8) -> float:
    """Distance of colour and lighting: Lab means plus half the Lab spreads (ΔE-like units)."""
    ma, sa = _lab_moments(a)
    mb, sb = _lab_moments(b)
    return float(np.linalg.norm(ma - mb) + 0.5 * np.linalg.norm(sa - sb))


def _lab_moments(image: U8) -> tuple[F32, F32]:
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
    pixels = lab.reshape(-1, 3)
    return (np.asarray(pixels.mean(axis=0), dtype=np.float32),
            np.asarray(pixels.std(axis=0), dtype=np.float32))


def laplacian_variance(grey: U8) -> tuple[float, float]:
    """Variance of the Laplacian, and Laplacian energy over gradient energy.

    The variance grows with the amount of detail as well as with sharpness; the ratio does
    not: for an edge blurred over σ pixels it falls as 1/σ², whatever the edge's contrast.
    """
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    gradient = float(np.mean(gx * gx + gy * gy))
    return float(lap.var()), float(np.mean(lap * lap)) / max(gradient, 1e-6)
