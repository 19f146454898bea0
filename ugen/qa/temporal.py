"""Decode a segment at low resolution and measure it frame by frame.

All frames are decoded (grey, about 108×192) in one ffmpeg call: a single black or broken
frame would slip between sparse samples, and decoding every frame costs little more than
decoding the samples, since H.264 must decode the frames between them anyway.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from ugen.media.runner import ffmpeg_argv, run_capture
from ugen.qa.imaging import F32, U8

FRAME_LONG_SIDE = 192
UNIFORM_STD = 4.0  # grey levels: a frame this flat is black, white or a decoder blank
GARBAGE_FACTOR = 3.0  # high-frequency energy this many times the median is noise/garbage
CHANGED_LEVEL = 4  # grey levels: a pixel that moved at least this much has changed
STATIC_SHARE = 0.001  # a pair of frames with fewer changed pixels is a repeated frame


def frame_size(width: int, height: int, long_side: int = FRAME_LONG_SIDE) -> tuple[int, int]:
    """A small even size with the video's aspect ratio."""
    scale = long_side / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def decode_grey(video: Path, width: int, height: int, *, timeout: float = 120.0) -> U8:
    """Every frame of ``video`` as grey ``(n, height, width)`` uint8.

    Raises:
        FFmpegError: ffmpeg could not decode the file.
    """
    argv = ffmpeg_argv([
        "-skip_loop_filter", "all", "-i", str(video), "-map", "0:v:0", "-an",
        "-vf", f"scale={width}:{height}:flags=area", "-f", "rawvideo", "-pix_fmt", "gray", "-",
    ])
    raw, _ = run_capture(argv, timeout=timeout)
    count = len(raw) // (width * height)
    return np.frombuffer(raw[: count * width * height], dtype=np.uint8).reshape(
        count, height, width
    )


def broken_frames(frames: U8) -> list[int]:
    """Indices of frames that are nearly uniform, or far busier than their neighbours (noise,
    blocks of garbage) while those are not."""
    flat = frames.reshape(len(frames), -1).astype(np.float32)
    uniform = flat.std(axis=1) < UNIFORM_STD
    energy = np.array([_hf_energy(f) for f in frames], dtype=np.float32)
    garbage = np.array([energy[i] > max(GARBAGE_FACTOR * _near_median(energy, i), 8.0)
                        for i in range(len(frames))], dtype=bool)
    broken = set(np.flatnonzero(uniform | garbage).tolist()) | set(transient_frames(frames))
    return sorted(int(i) for i in broken)


def transient_frames(frames: U8, *, factor: float = 4.0, floor: float = 0.04) -> list[int]:
    """Single frames unlike both neighbours while the neighbours are alike: a glitch.

    Differences are taken after removing each frame's mean brightness, so a frame that is
    only brighter or darker (flicker, judged separately) does not count.
    """
    if len(frames) < 3:
        return []
    flat = frames.reshape(len(frames), -1).astype(np.float32)
    flat -= flat.mean(axis=1, keepdims=True)
    found = []
    for i in range(1, len(frames) - 1):
        before = float(np.mean(np.abs(flat[i] - flat[i - 1]))) / 255.0
        after = float(np.mean(np.abs(flat[i + 1] - flat[i]))) / 255.0
        across = float(np.mean(np.abs(flat[i + 1] - flat[i - 1]))) / 255.0
        if min(before, after) > max(factor * across, floor):
            found.append(i)
    return found


def _near_median(values: F32, i: int, reach: int = 3) -> float:
    """Median of up to ``reach`` values on either side of ``i`` (not ``i`` itself)."""
    near = np.concatenate([values[max(0, i - reach): i], values[i + 1: i + 1 + reach]])
    return float(np.median(near)) if len(near) else float(values[i])


def _hf_energy(frame: U8) -> float:
    return float(np.mean(np.abs(cv2.Laplacian(frame, cv2.CV_32F, ksize=3))))


def pair_diffs(frames: U8) -> F32:
    """Mean absolute difference (0–1) between each frame and the next."""
    if len(frames) < 2:
        return np.zeros(0, dtype=np.float32)
    d = np.abs(np.diff(frames.astype(np.int16), axis=0)).reshape(len(frames) - 1, -1)
    return np.asarray(d.mean(axis=1) / 255.0, dtype=np.float32)


def moving_share(frames: U8) -> float:
    """Share of consecutive pairs in which a noticeable part of the picture changed."""
    if len(frames) < 2:
        return 0.0
    d = np.abs(np.diff(frames.astype(np.int16), axis=0)).reshape(len(frames) - 1, -1)
    changed = (d >= CHANGED_LEVEL).mean(axis=1)
    return float(np.mean(changed >= STATIC_SHARE))


def flicker_residual(frames: U8) -> float:
    """Largest jump (0–1) of a frame's mean luma away from its 5-frame running median.

    Brightness that ramps or steps (a fade, a cut) follows the median; a frame that jumps
    and comes back (flicker) does not.
    """
    if len(frames) < 3:
        return 0.0
    means = frames.reshape(len(frames), -1).mean(axis=1) / 255.0
    return float(np.max(np.abs(means - _running_median(means, 5))))


def _running_median(values: npt.NDArray[np.float64], window: int) -> npt.NDArray[np.float64]:
    pad = window // 2
    padded = np.pad(values, pad, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    return np.asarray(np.median(windows, axis=1), dtype=np.float64)


def jump_ratio(diffs: F32, *, factor: float = 4.0, floor: float = 0.06) -> tuple[float, int]:
    """The strongest single-frame change against its neighbours, and where it is.

    A ratio of 1 means one pair differs ``factor`` times more than the median of the 3 pairs
    on either side (and at least ``floor``): a cut to another picture rather than motion.
    """
    if len(diffs) == 0:
        return 0.0, -1
    best, where = 0.0, -1
    for i, value in enumerate(diffs):
        base = _near_median(diffs, i) if len(diffs) > 1 else 0.0
        ratio = float(value) / max(factor * base, floor)
        if ratio > best:
            best, where = ratio, i
    return best, where
